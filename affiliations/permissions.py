"""Who may manage a structure, and the one helper per object type that answers 404."""

from __future__ import annotations

from collections.abc import Callable

from django.contrib.auth import get_user_model
from django.db import connections, router
from django.db.models import Exists, OuterRef, QuerySet
from django.http import Http404

from .models import Affiliation, AffiliationStatus, Request, Role

# Other layers (authorizations) add their own answer to "may manage this
# structure" from their AppConfig.ready(): each source returns structure ids.
_manager_sources: list[Callable[[object], QuerySet]] = []


def register_manager_source(source: Callable[[object], QuerySet]) -> None:
    """`source(user)` returns a values_list("structure_id", flat=True) queryset."""
    if source not in _manager_sources:
        _manager_sources.append(source)


# The same answer seen from the structure's side, as subqueries: "has this
# structure any manager?" (the admin's "needs staff" filter). Each source takes the
# name of the outer column holding the structure id and returns an Exists().
_manager_exists_sources: list[Callable[[str], Exists]] = []


def register_manager_exists(source: Callable[[str], Exists]) -> None:
    if source not in _manager_exists_sources:
        _manager_exists_sources.append(source)


def manager_exists(outer: str = "structure_id") -> list[Exists]:
    """One Exists() per source; a structure has a manager when any of them holds."""
    main = Exists(
        Affiliation.objects.filter(
            structure_id=OuterRef(outer),
            role=Role.MAIN_MANAGER,
            status=AffiliationStatus.ACTIVE,
            user__is_active=True,
        )
    )
    return [main, *(source(outer) for source in _manager_exists_sources)]


def _main_manager_structures(user) -> QuerySet:
    return Affiliation.objects.filter(
        user=user, role=Role.MAIN_MANAGER, status=AffiliationStatus.ACTIVE
    ).values_list("structure_id", flat=True)


def managed_structure_ids(user) -> frozenset[int]:
    """Ids of the structures `user` may manage, computed once per request."""
    if not user.is_authenticated or not user.is_active:
        return frozenset()
    cached = getattr(user, "_managed_structure_ids", None)
    if cached is None:
        alias = router.db_for_read(Affiliation)
        sql, params = _managed_ids_sql(alias, user.pk)
        with connections[alias].cursor() as cursor:
            cursor.execute(sql, params)
            cached = frozenset(row[0] for row in cursor.fetchall())
        user._managed_structure_ids = cached
    return cached


def _managed_structures_query(user) -> QuerySet:
    """One query: the main manager's structures united with every source's."""
    query = _main_manager_structures(user).order_by()
    others = [source(user).order_by() for source in _manager_sources]
    return query.union(*others) if others else query


# Every page with the header asks (the pending approvals' counter). The union's SQL is
# the same for everyone but the person's id, and Django compiling it cost more CPU than
# PostgreSQL running it (about 1 ms a page): it is compiled once per database and set
# of sources with a stand-in id, then run with the person's id in its place.
_STAND_IN = -713_013_013
_compiled_sql: dict[tuple, tuple[str, tuple, tuple[int, ...]]] = {}


def _managed_ids_sql(alias: str, user_id: int) -> tuple[str, list]:
    key = (alias, connections[alias].vendor, tuple(_manager_sources))
    compiled = _compiled_sql.get(key)
    if compiled is None:
        stand_in = get_user_model()(pk=_STAND_IN)
        query = _managed_structures_query(stand_in).query
        sql, params = query.get_compiler(using=alias).as_sql()
        where = tuple(i for i, value in enumerate(params) if value == _STAND_IN)
        compiled = _compiled_sql[key] = (sql, tuple(params), where)
    sql, params, where = compiled
    values = list(params)
    for i in where:
        values[i] = user_id
    return sql, values


def forget_managed_structures(user) -> None:
    user.__dict__.pop("_managed_structure_ids", None)


def may_manage(user, structure_id: int) -> bool:
    """The one answer to "may this person manage this structure?"."""
    return structure_id in managed_structure_ids(user)


def is_main_manager(user, structure_id: int) -> bool:
    """Only the active main manager holds the role itself: a delegate (a manager through
    another source) may manage the structure but never hand the role on."""
    if not user.is_authenticated or not user.is_active:
        return False
    return _main_manager_structures(user).filter(structure_id=structure_id).exists()


def main_managed_structure_or_404(user, structure_id: int):
    """The structure whose main manager `user` is; for anyone else, delegates included, 404."""
    from .models import Structure

    if not is_main_manager(user, structure_id):
        raise Http404
    return Structure.objects.get(pk=structure_id)


def decidable_request_or_404(user, request_id: int) -> Request:
    """A pending request on a structure `user` manages; anything else is not theirs."""
    try:
        req = Request.objects.select_related("structure", "requester", "decided_by").get(
            pk=request_id
        )
    except Request.DoesNotExist:
        raise Http404 from None
    if req.structure_id is None or not may_manage(user, req.structure_id):
        raise Http404
    return req


def own_request_or_404(user, request_id: int) -> Request:
    """One of `user`'s own requests; anyone else's is not theirs (404)."""
    try:
        return Request.objects.get(pk=request_id, requester=user)
    except Request.DoesNotExist:
        raise Http404 from None


def own_affiliation_or_404(user, affiliation_id: int) -> Affiliation:
    try:
        return Affiliation.objects.select_related("structure").get(
            pk=affiliation_id, user=user, status=AffiliationStatus.ACTIVE
        )
    except Affiliation.DoesNotExist:
        raise Http404 from None


# Seen from the structure's side: who manages it (whom to tell of a new request).
# Each source takes a structure id and returns a values("user_id") queryset.
_structure_manager_sources: list[Callable[[int], QuerySet]] = []


def register_structure_managers_source(source: Callable[[int], QuerySet]) -> None:
    if source not in _structure_manager_sources:
        _structure_manager_sources.append(source)


def structure_managers(structure_id: int) -> QuerySet:
    """The active people who may manage the structure: its main manager and every
    registered source's (Organisation – Modification holders), in one query."""
    from django.contrib.auth import get_user_model
    from django.db.models import Q

    condition = Q(
        pk__in=Affiliation.objects.filter(
            structure_id=structure_id, role=Role.MAIN_MANAGER, status=AffiliationStatus.ACTIVE
        ).values("user_id")
    )
    for source in _structure_manager_sources:
        condition |= Q(pk__in=source(structure_id))
    return get_user_model().objects.filter(condition, is_active=True)
