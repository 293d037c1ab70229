"""Reads for the pages: every queryset is built here, with its joins, once."""

from __future__ import annotations

from dataclasses import dataclass

from django.core.paginator import Page, Paginator
from django.db.models import Exists, OuterRef, Prefetch, Q, QuerySet
from django.db.models.functions import Lower

from .identifiers import IdentifierType
from .models import (
    Affiliation,
    AffiliationStatus,
    Request,
    RequestStatus,
    Service,
    Structure,
    StructureKind,
    StructureStatus,
)
from .permissions import managed_structure_ids
from .search import fold, sort_key, words

STRUCTURES_PER_PAGE = 20
SERVICES_PER_PAGE = 50
ROWS_PER_PAGE = 50
HISTORY_PER_PAGE = 20
# Lists of structures to choose from (detach, manage authorizations) and of members to
# choose from (transfer of the main manager role).
CHOICES_PER_PAGE = 20


def paginate(queryset: QuerySet, page: str | int | None, per_page: int) -> Page:
    """Django's `get_page`; on the first page (most visits) the rows are read first, one
    more than a page: a list that fits on one page needs no COUNT (most people's lists)."""
    paginator = Paginator(queryset, per_page)
    if str(page or "1").strip() != "1":
        return paginator.get_page(page)
    rows = list(queryset[: per_page + 1])
    if len(rows) <= per_page:
        paginator.count = len(rows)  # a cached_property: the COUNT is not run
    # Otherwise the count runs when asked (the page's links), as Django's would.
    return paginator._get_page(rows[:per_page], 1, paginator)


def _services_prefetch() -> Prefetch:
    return Prefetch("services", queryset=Service.objects.only("id", "code", "name", "structure_id"))


# Relations other layers hang on a request (authorization lines), prefetched
# with the lists; registered from those layers' AppConfig.ready().
_request_prefetches: list[str] = []


def register_request_prefetch(lookup: str) -> None:
    if lookup not in _request_prefetches:
        _request_prefetches.append(lookup)


def _request_extras() -> list[str]:
    return list(_request_prefetches)


# One-to-one details other layers keep beside a request (the new login address),
# joined into the same query as the request.
_request_joins: list[str] = []


def register_request_join(lookup: str) -> None:
    if lookup not in _request_joins:
        _request_joins.append(lookup)


# A person's own lists are sorted by structure name with an expression no index serves:
# given the index on the name, PostgreSQL would read a million structures in name order
# to meet a thousand of one person's (0.7 s at Chorus Pro's size); sorting the person's
# rows themselves takes a few milliseconds. Case aside, as people read names.
STRUCTURE_NAME = Lower("structure__company_name")


def affiliations_of(user, *, page=None) -> Page:
    """One page of the user's affiliations (My affiliations, Users area)."""
    queryset = (
        Affiliation.objects.filter(user=user)
        .exclude(status=AffiliationStatus.DELETED)
        .select_related("structure")
        .prefetch_related(_services_prefetch())
        .order_by(STRUCTURE_NAME, "id")
    )
    return paginate(queryset, page, ROWS_PER_PAGE)


def active_affiliations_of(user) -> QuerySet:
    return (
        Affiliation.objects.filter(user=user, status=AffiliationStatus.ACTIVE)
        .select_related("structure")
        .order_by(STRUCTURE_NAME, "id")
    )


def active_affiliations_page(user, *, page=None) -> Page:
    """One page of the structures the user may choose from (detach, manage profiles)."""
    return paginate(active_affiliations_of(user), page, CHOICES_PER_PAGE)


def pending_requests_of(user, *, page=None) -> Page:
    queryset = (
        Request.objects.filter(requester=user, status=RequestStatus.PENDING)
        .select_related("structure", *_request_joins)
        .prefetch_related(_services_prefetch(), *_request_extras())
        .order_by("-created_at", "-id")
    )
    return paginate(queryset, page, ROWS_PER_PAGE)


def history_of(user, *, status: str = "", page=None) -> Page:
    queryset = (
        Request.objects.filter(requester=user)
        .select_related("structure", "decided_by", *_request_joins)
        .prefetch_related(_services_prefetch(), *_request_extras())
        .order_by("-created_at", "-id")
    )
    if status:
        queryset = queryset.filter(status=status)
    return paginate(queryset, page, HISTORY_PER_PAGE)


def _matching_every_word(folded: str) -> Q:
    condition = Q()
    for word in folded.split():
        condition &= Q(search_text__contains=word)
    return condition


# Shorter words match a large share of a million names ("de", "sa") and say nothing.
MIN_TERM_LENGTH = 3
# Beyond this, the search says "more than 1,000" instead of counting every match.
SEARCH_COUNT_CAP = 1000

# Words that name a kind or an identifier type, folded (accents and case do not
# matter), in French and English: they filter on the column instead of matching text.
KIND_WORDS = {
    **dict.fromkeys(["public", "publics", "publique", "publiques"], StructureKind.PUBLIC),
    **dict.fromkeys(["prive", "prives", "privee", "privees", "private"], StructureKind.PRIVATE),
}
IDENTIFIER_TYPE_WORDS = {
    "siret": IdentifierType.SIRET,
    "ridet": IdentifierType.RIDET,
    "tahiti": IdentifierType.TAHITI,
}


@dataclass(frozen=True)
class StructureQuery:
    terms: tuple[str, ...]
    kinds: frozenset[str]
    identifier_types: frozenset[str]
    compact_identifier: str
    ignored: tuple[str, ...]

    @property
    def is_empty(self) -> bool:
        return not (self.terms or self.kinds or self.identifier_types or self.compact_identifier)


def parse_structure_query(query: str) -> StructureQuery:
    """Split what was typed into words to find, kind and identifier-type filters."""
    typed = words(query)
    terms, ignored = [], []
    kinds, types = set(), set()
    for word in typed:
        if word in KIND_WORDS:
            kinds.add(KIND_WORDS[word])
        elif word in IDENTIFIER_TYPE_WORDS:
            types.add(IDENTIFIER_TYPE_WORDS[word])
        elif len(word) >= MIN_TERM_LENGTH:
            terms.append(word)
        else:
            ignored.append(word)
    # An identifier typed in groups of digits: "732 829 320 00074".
    compact = "".join(typed)
    if not (len(typed) > 1 and compact.isdigit() and len(compact) >= MIN_TERM_LENGTH):
        compact = ""
    if len(kinds) > 1:
        kinds = set()  # "public or private": both
    return StructureQuery(
        terms=tuple(terms),
        kinds=frozenset(kinds),
        identifier_types=frozenset(types),
        compact_identifier=compact,
        ignored=tuple(ignored),
    )


def matching_structures(
    queryset: QuerySet, parsed: StructureQuery, *, scanned: frozenset[str] = frozenset()
) -> QuerySet:
    """`queryset` narrowed to what `parsed` asks for (in no order). The `scanned` terms
    are matched by LIKE rather than PostgreSQL's full-text index: the same rows (see
    `_scanned_terms`)."""
    if parsed.is_empty and parsed.ignored:
        return queryset.none()  # only short words: nothing to look for
    if parsed.kinds:
        queryset = queryset.filter(kind__in=parsed.kinds)
    if parsed.identifier_types:
        queryset = queryset.filter(identifier_type__in=parsed.identifier_types)
    if parsed.terms or parsed.compact_identifier:
        indexed = tuple(term for term in parsed.terms if term not in scanned)
        condition = Q()
        if indexed:
            condition &= Q(search_text__word_prefixes=indexed)
        if scanned:
            condition &= Q(search_text__word_prefixes_scan=tuple(sorted(scanned)))
        if parsed.compact_identifier:
            condition |= Q(search_text__word_prefixes=(parsed.compact_identifier,))
        queryset = queryset.filter(condition)
    return queryset


# Past this many estimated matches (5 % of a million structures), the table is read until
# the cap is reached (about SEARCH_COUNT_CAP / 5 % = 20,000 rows at most, a few
# milliseconds) rather than through the full-text index, whose cost is every row of the
# word's list (100,000 for "sarl": tens of milliseconds).
SCAN_ABOVE_ESTIMATE = 50_000


def _estimated_rows(queryset: QuerySet) -> float:
    from django.db import connections

    sql, params = queryset.order_by().values("pk").query.sql_with_params()
    with connections[queryset.db].cursor() as cursor:
        cursor.execute(f"EXPLAIN (FORMAT JSON) {sql}", params)
        plan = cursor.fetchone()[0]
    if isinstance(plan, str):
        import json

        plan = json.loads(plan)
    return plan[0]["Plan"]["Plan Rows"]


def _scanned_terms(queryset: QuerySet, parsed: StructureQuery) -> tuple[frozenset[str], bool]:
    """The terms better matched by LIKE than by the full-text index, and whether the whole
    search is then a scan stopping at the cap.

    The full-text index reads the whole list of rows of each word typed: 100,000 for
    "sarl", tens of milliseconds. On PostgreSQL, from its estimates (the words'
    statistics): when the matches are many, the table is read until the cap is reached
    (about SEARCH_COUNT_CAP / 5 % = 20,000 rows at most); when they are few, the rarest
    term is found by the index and the very common ones are checked on its rows only."""
    from django.db import connections

    if connections[queryset.db].vendor != "postgresql" or not parsed.terms:
        return frozenset(), False
    base = Structure.objects.all()
    common = {
        term
        for term in parsed.terms
        if _estimated_rows(base.filter(search_text__word_prefixes=(term,))) >= SCAN_ABOVE_ESTIMATE
    }
    if not common:
        return frozenset(), False
    if common == set(parsed.terms) and not parsed.compact_identifier:
        if len(common) == 1 or _estimated_rows(matching_structures(queryset, parsed)) >= (
            SCAN_ABOVE_ESTIMATE
        ):
            return frozenset(common), True
        # Common words whose combination is rare: the first stays in the index.
        common.discard(parsed.terms[0])
    return frozenset(common), False


def _read_without_parallel_workers(queryset) -> list:
    """PostgreSQL expects a scan of the whole table (it cannot know the scan stops at the
    cap) and starts parallel workers, which cost more than the few thousand rows read."""
    from django.db import connections, transaction

    with transaction.atomic(using=queryset.db):
        with connections[queryset.db].cursor() as cursor:
            cursor.execute("SET LOCAL max_parallel_workers_per_gather = 0")
        return list(queryset)


def search_structures(query: str, *, page=None) -> Page:
    """Active structures with a word of their identifier or company name starting with
    each term typed ("boulang mart" finds "Boulangerie Martin SARL").

    Words naming a kind ("public", "privée"…) or an identifier type ("SIRET") filter
    on those columns; words under three characters are ignored. The matches are read
    without any order, at most SEARCH_COUNT_CAP + 1 of them (PostgreSQL's full-text
    index finds rare words, a scan that stops early finds common ones), then sorted by
    company name here. Past the cap the page says "more than 1,000" and shows the first page
    of those it read: nobody pages through a thousand structures, they type one more word.
    """
    parsed = parse_structure_query(query)
    active = Structure.objects.filter(status=StructureStatus.ACTIVE)
    scanned, scan_only = _scanned_terms(active, parsed)
    matches = matching_structures(active, parsed, scanned=scanned)
    first = matches.order_by().values_list("pk", "company_name")[: SEARCH_COUNT_CAP + 1]
    found = _read_without_parallel_workers(first) if scan_only else list(first)
    capped = len(found) > SEARCH_COUNT_CAP
    # Sorted here, accents and case aside, rather than by the database: an ORDER BY
    # company_name tempts PostgreSQL into reading its name index in order until it
    # meets the matches, and the matches of a word crowd together in that order
    # ("École…", "Groupe…"): hundreds of thousands of rows read for twenty.
    found.sort(key=lambda row: (sort_key(row[1]), row[0]))
    paginator = Paginator([pk for pk, _name in found], STRUCTURES_PER_PAGE)
    if capped:
        paginator.num_pages = 1
    result = paginator.get_page(1 if capped else page)
    structures = Structure.objects.order_by().in_bulk(list(result.object_list))
    result.object_list = [structures[pk] for pk in result.object_list if pk in structures]
    result.query = parsed
    result.capped = capped
    result.cap = SEARCH_COUNT_CAP
    return result


def services_of(structure: Structure, query: str = "", *, page=None, only_ids=None) -> Page:
    queryset = Service.objects.filter(structure=structure, active=True).order_by("code", "id")
    if only_ids is not None:
        queryset = queryset.filter(pk__in=only_ids)
    folded = fold(query)
    if folded:
        queryset = queryset.filter(_matching_every_word(folded))
    return paginate(queryset.only("id", "code", "name", "description"), page, SERVICES_PER_PAGE)


def requests_waiting_on(user, *, page=None) -> Page | None:
    managed = managed_structure_ids(user)
    if not managed:
        return None
    queryset = (
        Request.objects.filter(status=RequestStatus.PENDING, structure_id__in=managed)
        .select_related("requester", "structure", *_request_joins)
        .prefetch_related(_services_prefetch(), *_request_extras())
        .order_by("created_at", "id")
    )
    return paginate(queryset, page, ROWS_PER_PAGE)


def pending_approvals_count(user) -> int:
    managed = managed_structure_ids(user)
    if not managed:
        return 0
    return Request.objects.filter(status=RequestStatus.PENDING, structure_id__in=managed).count()


# Higher layers decorate the members list (authorizations add each member's
# profiles); each annotator receives the page's affiliations once.
_member_annotators: list = []


def register_member_annotator(func) -> None:
    if func not in _member_annotators:
        _member_annotators.append(func)


def users_of_managed_structures(user, *, page=None) -> Page | None:
    managed = managed_structure_ids(user)
    if not managed:
        return None
    queryset = (
        Affiliation.objects.filter(structure_id__in=managed, status=AffiliationStatus.ACTIVE)
        .select_related("user", "structure")
        .prefetch_related(_services_prefetch())
        .order_by(STRUCTURE_NAME, "user__last_name", "user__first_name", "id")
    )
    members = paginate(queryset, page, ROWS_PER_PAGE)
    for annotate in _member_annotators:
        annotate(list(members.object_list))
    return members


def transfer_candidates(structure: Structure) -> QuerySet:
    return (
        Affiliation.objects.filter(structure=structure, status=AffiliationStatus.ACTIVE)
        .exclude(role="main_manager")
        .select_related("user")
        .order_by("user__last_name", "user__first_name", "user_id")
    )


def search_transfer_candidates(structure: Structure, query: str = "", *, page=None) -> Page:
    """One page of the members who may become main manager, narrowed by what was typed
    (every word must appear in the last name, first name or login address)."""
    queryset = transfer_candidates(structure)
    for word in query.split():
        queryset = queryset.filter(
            Q(user__last_name__icontains=word)
            | Q(user__first_name__icontains=word)
            | Q(user__email__icontains=word)
        )
    return paginate(queryset, page, CHOICES_PER_PAGE)


def main_managed_structures(user, *, page=None) -> Page:
    """One page of the structures whose main manager `user` is (to hand the role on)."""
    queryset = Structure.objects.filter(
        affiliations__user=user,
        affiliations__role="main_manager",
        affiliations__status=AffiliationStatus.ACTIVE,
    ).order_by(Lower("company_name"), "id")
    return paginate(queryset, page, ROWS_PER_PAGE)


def deactivated_members(user, *, page=None) -> Page | None:
    """Deactivated accounts attached to the structures `user` manages (to reactivate)."""
    managed = managed_structure_ids(user)
    if not managed:
        return None
    queryset = (
        Affiliation.objects.filter(
            structure_id__in=managed,
            status=AffiliationStatus.DEACTIVATED,
            user__is_active=False,
        )
        .select_related("user", "structure")
        .order_by("user__last_name", "user__first_name", "id")
    )
    return paginate(queryset, page, ROWS_PER_PAGE)


def colleagues_condition(viewer) -> Q:
    """A Q on User: people with an active affiliation to an active structure `viewer` shares.

    Both affiliations must be active (deleted, detached or deactivated ones share nothing);
    the whole structure or some of its services makes no difference.
    """
    shared = Affiliation.objects.filter(
        user_id=OuterRef("pk"),
        status=AffiliationStatus.ACTIVE,
        structure__status=StructureStatus.ACTIVE,
        structure__affiliations__user_id=viewer.pk,
        structure__affiliations__status=AffiliationStatus.ACTIVE,
    )
    return Q(Exists(shared))
