"""One normal form for login addresses, applied at every entry.

An address typed anywhere (signup, login, lost password, the admin, a change of
login address) goes through `normalize_email`: Unicode NFKC, then lower case.
After that it must be plain ASCII: look-alike letters such as `ı` (dotless i)
are refused rather than folded by a database (PostgreSQL's `UPPER()` maps `ı`
to `I` and `ſ` to `S`), so two spellings can never reach one account, nor two
accounts one spelling. Users are then looked up by exact match.
"""

from __future__ import annotations

import unicodedata

from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.utils.translation import gettext_lazy as _

MAX_LENGTH = 254

NOT_ASCII_MESSAGE = _(
    "Write the e-mail address with unaccented letters (a–z), digits and the usual signs "
    "(. - _ +): accented or look-alike characters are not accepted."
)


def normalize_email(value: str | None) -> str:
    """NFKC, lower case, no surrounding spaces. Never raises."""
    return unicodedata.normalize("NFKC", value or "").strip().lower()


def is_plain_ascii(value: str) -> bool:
    return value.isascii() and value.isprintable()


def clean_email(value: str | None) -> str:
    """The normal form of a typed address, or a translated ValidationError."""
    email = normalize_email(value)
    if not is_plain_ascii(email):
        raise ValidationError(NOT_ASCII_MESSAGE, code="email_not_ascii")
    if len(email) > MAX_LENGTH:
        raise ValidationError(
            _("An e-mail address has at most %(max)d characters."),
            code="email_too_long",
            params={"max": MAX_LENGTH},
        )
    validate_email(email)
    return email


def lookup_key(value: str | None) -> str | None:
    """The exact value to look a user up with, or None when no user can match."""
    email = normalize_email(value)
    if not email or len(email) > MAX_LENGTH or not is_plain_ascii(email):
        return None
    return email
