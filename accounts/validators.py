"""Password rules of the portal.

The character-class rules are the portal's (see DESIGN §6): at least 12
characters with a digit, a lower-case letter, an upper-case letter and a
special character. Each rule fails with its own message so the user knows
exactly what to change. There is no maximum below 4096 characters, no
truncation and no case folding.
"""

from __future__ import annotations

import unicodedata

from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

MIN_LENGTH = 12
MAX_LENGTH = 4096


class PortalPasswordPolicy:
    def validate(self, password: str, user=None) -> None:
        errors = []
        if len(password) < MIN_LENGTH:
            errors.append(
                ValidationError(
                    ngettext(
                        "The password must contain at least %(min)d character.",
                        "The password must contain at least %(min)d characters.",
                        MIN_LENGTH,
                    ),
                    code="password_too_short",
                    params={"min": MIN_LENGTH},
                )
            )
        if len(password) > MAX_LENGTH:
            errors.append(
                ValidationError(
                    _("The password must contain at most %(max)d characters."),
                    code="password_too_long",
                    params={"max": MAX_LENGTH},
                )
            )
        if not any(c.isdigit() for c in password):
            errors.append(
                ValidationError(_("The password must contain a digit."), code="password_no_digit")
            )
        if not any(c.islower() for c in password):
            errors.append(
                ValidationError(
                    _("The password must contain a lower-case letter."),
                    code="password_no_lower",
                )
            )
        if not any(c.isupper() for c in password):
            errors.append(
                ValidationError(
                    _("The password must contain an upper-case letter."),
                    code="password_no_upper",
                )
            )
        if not any(_is_special(c) for c in password):
            errors.append(
                ValidationError(
                    _("The password must contain a special character (such as ! ? # @ -)."),
                    code="password_no_special",
                )
            )
        if errors:
            raise ValidationError(errors)

    def get_help_text(self) -> str:
        return _(
            "At least 12 characters, with a digit, a lower-case letter, an upper-case "
            "letter and a special character."
        )


def _is_special(char: str) -> bool:
    if char.isalnum():
        return False
    return unicodedata.category(char)[0] in {"P", "S", "Z"}


class ContextWordsValidator:
    """Refuses passwords built on the user's own e-mail, names, or the portal's name."""

    PORTAL_WORDS = ("chorus", "choruspro")
    MIN_WORD = 4

    def validate(self, password: str, user=None) -> None:
        lowered = password.casefold()
        words = set(self.PORTAL_WORDS)
        if user is not None:
            email = (getattr(user, "email", "") or "").casefold()
            local = email.split("@")[0]
            for part in [
                local,
                *_split(local),
                getattr(user, "first_name", ""),
                getattr(user, "last_name", ""),
            ]:
                part = (part or "").casefold()
                if len(part) >= self.MIN_WORD:
                    words.add(part)
        if any(word in lowered for word in words):
            raise ValidationError(
                _(
                    "The password must not contain your name, your e-mail address or the "
                    "portal's name."
                ),
                code="password_context_word",
            )

    def get_help_text(self) -> str:
        return _("Your name, your e-mail address and the portal's name are not allowed.")


def _split(text: str) -> list[str]:
    for sep in ".-_+":
        text = text.replace(sep, " ")
    return text.split()
