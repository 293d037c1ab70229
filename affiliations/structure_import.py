"""Structures imported from a CSV file: one reader and one set of checks for the
management command and the admin page.

The file is read as a stream, line by line, so its size does not matter: valid
lines are created in batches with `bulk_create`, each batch in its own
transaction; every refused line is reported with its line number and the reasons,
in the language active while reading. A dry run reads and checks everything
(identifiers already known included) and creates nothing.

Columns (a header line is required; order free; English or French names):
identifier_type, identifier, company_name, kind are required; status, street,
postal_code, city, country, service_code_required, engagement_number_required
are optional.
"""

from __future__ import annotations

import codecs
import csv
import re
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from chorus_portal.text import validate_one_line

from .identifiers import IdentifierType, normalise_identifier, validate_identifier
from .models import Structure, StructureKind, StructureStatus
from .search import fold

BATCH_SIZE = 1000
KEPT_ERRORS = 1000
SNIFF_BYTES = 1 << 20
MAX_FIELD = 2000


class ImportFileError(Exception):
    """The whole file is unusable (no header, missing columns, not a CSV file)."""


@dataclass(frozen=True)
class Column:
    name: str
    aliases: tuple[str, ...]
    required: bool = False


COLUMNS = [
    Column("identifier_type", ("type_identifiant", "type_d_identifiant"), required=True),
    Column("identifier", ("identifiant", "siret"), required=True),
    Column("company_name", ("raison_sociale", "nom", "name"), required=True),
    Column("kind", ("type_structure", "type_de_structure", "nature"), required=True),
    Column("status", ("statut",)),
    Column("street", ("adresse", "rue", "address")),
    Column("postal_code", ("code_postal",)),
    Column("city", ("ville", "commune")),
    Column("country", ("pays",)),
    Column("service_code_required", ("code_service_obligatoire",)),
    Column("engagement_number_required", ("numero_engagement_obligatoire",)),
]
_BY_NAME = {alias: c.name for c in COLUMNS for alias in (c.name, *c.aliases)}

_KINDS = {
    "public": StructureKind.PUBLIC,
    "publique": StructureKind.PUBLIC,
    "private": StructureKind.PRIVATE,
    "prive": StructureKind.PRIVATE,
    "privee": StructureKind.PRIVATE,
}
_STATUSES = {
    "": StructureStatus.ACTIVE,
    "active": StructureStatus.ACTIVE,
    "actif": StructureStatus.ACTIVE,
    "active_": StructureStatus.ACTIVE,
    "inactive": StructureStatus.INACTIVE,
    "inactif": StructureStatus.INACTIVE,
}
_TRUE = {"1", "true", "yes", "y", "oui", "o", "vrai", "x"}
_FALSE = {"", "0", "false", "no", "n", "non", "faux"}
_LIMITS = {
    "company_name": 255,
    "street": 255,
    "postal_code": 16,
    "city": 128,
}


def column_key(header: str) -> str:
    """'Raison sociale' → 'raison_sociale': how a header cell is recognised."""
    return re.sub(r"[^a-z0-9]+", "_", fold(header)).strip("_")


@dataclass
class Report:
    lines: int = 0
    valid: int = 0
    created: int = 0
    error_count: int = 0
    errors: list[tuple[int, list[str]]] = field(default_factory=list)
    encoding: str = ""
    delimiter: str = ""

    def add_error(self, line: int, messages: list[str]) -> None:
        self.error_count += 1
        if len(self.errors) < KEPT_ERRORS:
            self.errors.append((line, messages))


# --- reading ----------------------------------------------------------------------------


def detect_encoding(head: bytes) -> str:
    """UTF-8 (with or without BOM) when the start of the file decodes as such;
    otherwise Windows-1252, what spreadsheets save as plain "CSV" in France."""
    if head.startswith(codecs.BOM_UTF8):
        return "utf-8-sig"
    try:
        codecs.getincrementaldecoder("utf-8")().decode(head, final=False)
    except UnicodeDecodeError:
        return "cp1252"
    return "utf-8"


def _decoded_lines(binary: Iterable[bytes], encoding: str, bad: set[int]) -> Iterator[str]:
    """Each physical line decoded on its own; a line that does not decode is kept
    (with replacement characters) and its number noted, so that only it is refused."""
    codec = "utf-8" if encoding == "utf-8-sig" else encoding
    for number, raw in enumerate(binary, start=1):
        if number == 1 and encoding == "utf-8-sig" and raw.startswith(codecs.BOM_UTF8):
            raw = raw[len(codecs.BOM_UTF8) :]
        try:
            yield raw.decode(codec)
        except UnicodeDecodeError:
            bad.add(number)
            yield raw.decode(codec, errors="replace")


def _delimiter(header_line: str) -> str:
    counts = {sep: header_line.count(sep) for sep in (";", ",", "\t")}
    best = max(counts, key=lambda sep: counts[sep])
    return best if counts[best] else ";"


# --- checking one line --------------------------------------------------------------------


def _flag(value: str, column: str, errors: list[str]) -> bool:
    key = fold(value)
    if key in _TRUE:
        return True
    if key not in _FALSE:
        errors.append(
            _("Column “%(column)s”: “%(value)s” is not yes or no (use 1/0, yes/no or oui/non).")
            % {"column": column, "value": value}
        )
    return False


def _text(values: dict[str, str], column: str, errors: list[str]) -> str:
    value = values.get(column, "").strip()
    try:
        validate_one_line(value)
    except ValidationError as error:
        errors.append(
            _("Column “%(column)s”: %(message)s")
            % {"column": column, "message": " ".join(error.messages)}
        )
        return ""
    limit = _LIMITS.get(column)
    if limit and len(value) > limit:
        errors.append(
            _("Column “%(column)s”: %(count)d characters at most.")
            % {"column": column, "count": limit}
        )
    return value


def check_line(values: dict[str, str]) -> tuple[dict | None, list[str]]:
    """The structure's fields from one line, or the reasons it is refused."""
    errors: list[str] = []
    raw_type = values.get("identifier_type", "").strip()
    identifier_type = re.sub(r"[\s\-]+", "_", raw_type.upper())
    if not raw_type:
        errors.append(_("The identifier type is missing."))
    elif identifier_type not in IdentifierType.values:
        errors.append(
            _("Unknown identifier type “%(value)s”: use one of %(choices)s.")
            % {"value": raw_type, "choices": ", ".join(IdentifierType.values)}
        )
    identifier = ""
    raw_identifier = values.get("identifier", "").strip()
    if not raw_identifier:
        errors.append(_("The identifier is missing."))
    elif identifier_type in IdentifierType.values:
        identifier = normalise_identifier(identifier_type, raw_identifier)
        try:
            validate_one_line(identifier)
            validate_identifier(identifier_type, identifier)
        except ValidationError as error:
            errors.append(
                _("Identifier “%(value)s”: %(message)s")
                % {"value": raw_identifier, "message": " ".join(error.messages)}
            )
    company_name = _text(values, "company_name", errors)
    if not company_name and not any("company_name" in e for e in errors):
        errors.append(_("The company name is missing."))
    raw_kind = values.get("kind", "").strip()
    kind = _KINDS.get(fold(raw_kind))
    if kind is None:
        errors.append(
            _("Unknown kind “%(value)s”: use public or private.") % {"value": raw_kind}
            if raw_kind
            else _("The kind (public or private) is missing.")
        )
    raw_status = values.get("status", "").strip()
    status = _STATUSES.get(fold(raw_status))
    if status is None:
        errors.append(
            _("Unknown status “%(value)s”: use active or inactive.") % {"value": raw_status}
        )
    street = _text(values, "street", errors)
    postal_code = _text(values, "postal_code", errors)
    city = _text(values, "city", errors)
    country = values.get("country", "").strip().upper() or "FR"
    if not re.fullmatch(r"[A-Z]{2}", country):
        errors.append(
            _("Column “country”: “%(value)s” is not a two-letter country code (FR, BE…).")
            % {"value": values.get("country", "")}
        )
    service_code = _flag(values.get("service_code_required", ""), "service_code_required", errors)
    engagement = _flag(
        values.get("engagement_number_required", ""), "engagement_number_required", errors
    )
    if errors:
        return None, errors
    return {
        "identifier_type": identifier_type,
        "identifier": identifier,
        "company_name": company_name,
        "kind": kind,
        "status": status,
        "street": street,
        "postal_code": postal_code,
        "city": city,
        "country": country,
        "service_code_required": service_code,
        "engagement_number_required": engagement,
    }, []


# --- the whole file -----------------------------------------------------------------------


class _Counter:
    """Counts the bytes read from the binary stream, for the progress bar."""

    def __init__(self, binary):
        self.binary = binary
        self.read = 0

    def __iter__(self):
        for raw in self.binary:
            self.read += len(raw)
            yield raw


def run(
    binary,
    *,
    dry_run: bool,
    batch_size: int = BATCH_SIZE,
    encoding: str | None = None,
    progress: Callable[[Report, int], None] | None = None,
    on_error: Callable[[int, list[str]], None] | None = None,
) -> Report:
    """Read, check and (unless `dry_run`) create the structures of a CSV file.

    `binary` is a file opened in binary mode, positioned at its start.
    `progress(report, bytes_read)` is called after each batch.
    """
    report = Report()
    head = binary.read(SNIFF_BYTES)
    binary.seek(0)
    report.encoding = encoding or detect_encoding(head)
    counter = _Counter(binary)
    bad_lines: set[int] = set()
    lines = _decoded_lines(counter, report.encoding, bad_lines)
    first = next(lines, None)
    if first is None or not first.strip():
        raise ImportFileError(_("The file is empty: the first line must name the columns."))
    report.delimiter = _delimiter(first)
    header_row = next(csv.reader([first], delimiter=report.delimiter))
    header = [_BY_NAME.get(column_key(cell), "") for cell in header_row]
    unknown = [cell for cell, name in zip(header_row, header, strict=True) if not name]
    unknown = [cell for cell in unknown if cell.strip()]
    if unknown:
        raise ImportFileError(
            ngettext(
                "Unknown column in the first line: %(columns)s. Known columns: %(known)s.",
                "Unknown columns in the first line: %(columns)s. Known columns: %(known)s.",
                len(unknown),
            )
            % {"columns": ", ".join(unknown), "known": ", ".join(c.name for c in COLUMNS)}
        )
    missing = [c.name for c in COLUMNS if c.required and c.name not in header]
    if missing:
        raise ImportFileError(
            ngettext(
                "Missing column in the first line: %(columns)s.",
                "Missing columns in the first line: %(columns)s.",
                len(missing),
            )
            % {"columns": ", ".join(missing)}
        )
    twice = sorted({name for name in header if name and header.count(name) > 1})
    if twice:
        raise ImportFileError(
            ngettext(
                "Column named twice: %(columns)s.", "Columns named twice: %(columns)s.", len(twice)
            )
            % {"columns": ", ".join(twice)}
        )

    seen: dict[tuple[str, str], int] = {}
    batch: list[tuple[int, dict]] = []

    def refuse(line: int, messages: list[str]) -> None:
        report.add_error(line, messages)
        if on_error:
            on_error(line, messages)

    def flush() -> None:
        if batch:
            _flush(batch, report, dry_run=dry_run, refuse=refuse)
            batch.clear()
        if progress:
            progress(report, counter.read)

    reader = csv.reader(lines, delimiter=report.delimiter)
    previous_end = 1
    try:
        for row in reader:
            start, end = previous_end + 1, reader.line_num + 1
            previous_end = end
            if not any(cell.strip() for cell in row):
                continue
            report.lines += 1
            if any(number in bad_lines for number in range(start, end + 1)):
                refuse(
                    start,
                    [
                        _("This line is not valid %(encoding)s text: save the file as “CSV UTF-8”.")
                        % {"encoding": "UTF-8"}
                    ],
                )
                continue
            while len(row) > len(header) and not row[-1].strip():
                row = row[:-1]  # trailing separators left by spreadsheets
            if len(row) != len(header):
                refuse(
                    start,
                    [
                        _("This line has %(found)d values; the first line names %(expected)d.")
                        % {"found": len(row), "expected": len(header)}
                    ],
                )
                continue
            if any(len(cell) > MAX_FIELD for cell in row):
                refuse(
                    start,
                    [_("A value is longer than %(count)d characters.") % {"count": MAX_FIELD}],
                )
                continue
            values = {name: cell for name, cell in zip(header, row, strict=True) if name}
            fields, errors = check_line(values)
            if fields is not None:
                key = (fields["identifier_type"], fields["identifier"])
                if key in seen:
                    errors = [
                        _("Identifier “%(value)s” already appears on line %(line)d of this file.")
                        % {"value": fields["identifier"], "line": seen[key]}
                    ]
                else:
                    seen[key] = start
            if errors:
                refuse(start, errors)
                continue
            batch.append((start, fields))
            if len(batch) >= batch_size:
                flush()
    except csv.Error as error:
        refuse(
            reader.line_num + 1,
            [_("The file cannot be read past this line (%(error)s).") % {"error": error}],
        )
    flush()
    return report


def _known(batch: list[tuple[int, dict]]) -> set[tuple[str, str]]:
    identifiers = {fields["identifier"] for _line, fields in batch}
    return set(
        Structure.objects.filter(identifier__in=identifiers).values_list(
            "identifier_type", "identifier"
        )
    )


def _already_exists(line: int, fields: dict) -> list[str]:
    return [
        _("A structure with the identifier “%(value)s” (%(type)s) already exists.")
        % {"value": fields["identifier"], "type": fields["identifier_type"]}
    ]


def _flush(batch, report: Report, *, dry_run: bool, refuse) -> None:
    known = _known(batch)
    fresh = []
    for line, fields in batch:
        if (fields["identifier_type"], fields["identifier"]) in known:
            refuse(line, _already_exists(line, fields))
        else:
            fresh.append((line, fields))
    report.valid += len(fresh)
    if dry_run or not fresh:
        return
    structures = [_structure(fields) for _line, fields in fresh]
    try:
        with transaction.atomic():
            Structure.objects.bulk_create(structures)
        report.created += len(structures)
        return
    except IntegrityError:
        pass
    # Someone created one of these meanwhile: one at a time, refusing only those.
    for (line, fields), structure in zip(fresh, structures, strict=True):
        structure.pk = None
        try:
            with transaction.atomic():
                structure.save(force_insert=True)
            report.created += 1
        except IntegrityError:
            report.valid -= 1
            refuse(line, _already_exists(line, fields))


def _structure(fields: dict) -> Structure:
    structure = Structure(**fields)
    structure.search_text = structure.build_search_text()
    return structure
