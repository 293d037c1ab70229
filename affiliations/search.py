"""Accent- and case-insensitive matching, identical on every database."""

from __future__ import annotations

import unicodedata


def fold(text: str) -> str:
    decomposed = unicodedata.normalize("NFKD", text or "")
    # Accents go; so do control characters (a NUL cannot even reach PostgreSQL).
    stripped = "".join(
        c for c in decomposed if not unicodedata.combining(c) and unicodedata.category(c) != "Cc"
    )
    return " ".join(stripped.casefold().split())
