"""Who may manage a structure, and the one helper per object type that answers 404."""

from __future__ import annotations

from collections.abc import Callable

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
        # One query: the main manager's structures united with every source's.
        query = _main_manager_structures(user).order_by()
        others = [source(user).order_by() for source in _manager_sources]
        if others:
            query = query.union(*others)
        cached = frozenset(query)
        user._managed_structure_ids = cached
    return cached


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
