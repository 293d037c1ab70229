"""Text people type: the characters it may never carry.

One validator serves every field a person types, in the portal's forms and in
the admin (through the model fields). It refuses:

- control characters (Unicode category Cc): the C0 set with CR, LF and TAB, DEL,
  and the C1 set U+0080–U+009F (NEL U+0085 included);
- format characters (Cf): bidirectional overrides and isolates (U+202A–U+202E,
  U+2066–U+2069), direction marks, zero-width spaces and joiners, the byte
  order mark U+FEFF, soft hyphens, …;
- the line and paragraph separators U+2028 and U+2029 (Zl, Zp);
- surrogates (Cs) and private-use characters (Co).

Such characters can start a new line in a mail or a log, reverse the reading
order of what follows, or hide text from the reader. A multi-line text keeps its
line breaks: LF, or CR LF as browsers send them, and nothing else.
"""

from __future__ import annotations

import unicodedata

from django.core.exceptions import ValidationError
from django.utils.deconstruct import deconstructible
from django.utils.translation import gettext_lazy as _

REFUSED_CATEGORIES = frozenset({"Cc", "Cf", "Cs", "Co", "Zl", "Zp"})
# Everything Python's str.splitlines() treats as the end of a line.
LINE_BREAKS = frozenset("\n\r\x0b\x0c\x1c\x1d\x1e\x85\u2028\u2029")


def _refused(value: str, index: int, multiline: bool) -> bool:
    char = value[index]
    if unicodedata.category(char) not in REFUSED_CATEGORIES:
        return False
    if multiline:
        if char == "\n":
            return False
        if char == "\r" and value[index + 1 : index + 2] == "\n":
            return False
    return True


def first_refused(value: str, *, multiline: bool = False) -> str | None:
    """The first refused character of `value`, or None."""
    for index, char in enumerate(value):
        if _refused(value, index, multiline):
            return char
    return None


def without_refused(value: str, *, multiline: bool = False) -> str:
    """`value` with every refused character removed (for text received, not typed)."""
    if first_refused(value, multiline=multiline) is None:
        return value
    return "".join(
        char for index, char in enumerate(value) if not _refused(value, index, multiline)
    )


@deconstructible(path="chorus_portal.text.TypedTextValidator")
class TypedTextValidator:
    """Refuses the characters above, with a message that says which kind was found."""

    code = "forbidden_character"

    def __init__(self, multiline: bool = False):
        self.multiline = multiline

    def __call__(self, value) -> None:
        char = first_refused(str(value), multiline=self.multiline)
        if char is None:
            return
        if char == "\t":
            message = _("Tabs are not allowed in this field.")
        elif char in LINE_BREAKS and not self.multiline:
            message = _("Line breaks are not allowed in this field: type it on one line.")
        else:
            message = _(
                "This field contains an invisible or control character (%(character)s) that is "
                "not allowed: type the text again without it."
            )
        raise ValidationError(message, code=self.code, params={"character": f"U+{ord(char):04X}"})

    def __eq__(self, other) -> bool:
        return isinstance(other, TypedTextValidator) and self.multiline == other.multiline

    def __hash__(self) -> int:
        return hash((TypedTextValidator, self.multiline))


validate_one_line = TypedTextValidator()
validate_multiline = TypedTextValidator(multiline=True)
