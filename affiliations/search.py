"""Accent- and case-insensitive matching, identical on every database."""

from __future__ import annotations

import re
import unicodedata

from django.db.models import Lookup, TextField

_SEPARATORS = re.compile(r"[\W_]+")


def fold(text: str) -> str:
    decomposed = unicodedata.normalize("NFKD", text or "")
    # Accents go; so do control characters (a NUL cannot even reach PostgreSQL).
    stripped = "".join(
        c for c in decomposed if not unicodedata.combining(c) and unicodedata.category(c) != "Cc"
    )
    return " ".join(stripped.casefold().split())


def words(text: str) -> list[str]:
    """The folded words of `text`: letters and digits, everything else separates them
    ("Mairie d'Écully" → mairie, d, ecully; "1234567.001" → 1234567, 001)."""
    return _SEPARATORS.sub(" ", fold(text)).split()


def _unaccented_table() -> dict[int, str]:
    table = {}
    for code in range(0xC0, 0x250):  # Latin-1 Supplement and Latin Extended-A/B
        base = "".join(
            c for c in unicodedata.normalize("NFKD", chr(code)) if not unicodedata.combining(c)
        )
        if base != chr(code):
            table[code] = base
    table.update({ord("œ"): "oe", ord("Œ"): "OE", ord("æ"): "ae", ord("Æ"): "AE"})
    return table


_UNACCENTED = _unaccented_table()


def sort_key(text: str) -> str:
    """A quick order for names, accents and case aside ("école" among the "e")."""
    return text.translate(_UNACCENTED).casefold()


@TextField.register_lookup
class WordPrefixes(Lookup):
    """`search_text__word_prefixes=("boulang", "mart")`: every given prefix starts a word.

    The column holds words() joined by spaces. PostgreSQL answers from a full-text
    index (`to_tsvector('simple', …)`, one posting list per word: see migration
    affiliations 0003); other databases scan with LIKE '% prefix%'. Both give the
    same rows. The prefixes come from words(), so they hold letters and digits only.
    """

    lookup_name = "word_prefixes"
    prepare_rhs = False

    def as_sql(self, compiler, connection):
        lhs, lhs_params = self.process_lhs(compiler, connection)
        prefixes = list(self.rhs)
        if not prefixes or not all(p.isalnum() for p in prefixes):
            raise ValueError("word_prefixes takes words of letters and digits")
        if connection.vendor == "postgresql":
            query = " & ".join(f"{prefix}:*" for prefix in prefixes)
            return (
                f"to_tsvector('simple', {lhs}) @@ to_tsquery('simple', %s)",
                [*lhs_params, query],
            )
        condition = " AND ".join([f"(' ' || {lhs}) LIKE %s"] * len(prefixes))
        params = []
        for prefix in prefixes:
            params += [*lhs_params, f"% {prefix}%"]
        return f"({condition})", params


@TextField.register_lookup
class WordPrefixesScan(WordPrefixes):
    """The same rows as `word_prefixes`, always as LIKE '% prefix%'.

    For words that a large share of the structures hold ("sarl", "mar"): reading the
    table until the first thousand matches is cheaper than the full-text index, whose
    cost is the word's whole list of rows (a hundred thousand for "sarl"). No index
    serves it: the search uses it only when PostgreSQL estimates many matches."""

    lookup_name = "word_prefixes_scan"

    def as_sql(self, compiler, connection):
        lhs, lhs_params = self.process_lhs(compiler, connection)
        prefixes = list(self.rhs)
        if not prefixes or not all(p.isalnum() for p in prefixes):
            raise ValueError("word_prefixes_scan takes words of letters and digits")
        condition = " AND ".join([f"(' ' || {lhs}) LIKE %s"] * len(prefixes))
        params = []
        for prefix in prefixes:
            params += [*lhs_params, f"% {prefix}%"]
        return f"({condition})", params
