"""Which kept pages a change of structures, affiliations or requests makes stale
(see chorus_portal.page_cache): the people concerned and their structures' managers."""

from __future__ import annotations

from django.db.models import Q
from django.db.models.signals import m2m_changed, post_delete, post_save

from chorus_portal import page_cache

from .models import Affiliation, AffiliationStatus, Request, Role, Service, Structure


def structures_of(user_ids: set[int], structure_ids: set[int]) -> Q | None:
    """`structure_ids` and every structure `user_ids` belong to (in any state: the Users
    area lists deactivated members too), as a filter on `structure_id`; None when empty.
    Each viewer source filters its own managers with it."""
    where = Q()
    if structure_ids:
        where |= Q(structure_id__in=structure_ids)
    if user_ids:
        where |= Q(
            structure_id__in=Affiliation.objects.filter(user_id__in=user_ids).values("structure_id")
        )
    return where or None


def main_managers_seeing(user_ids: set[int], structure_ids: set[int]):
    """The main managers of those structures."""
    where = structures_of(user_ids, structure_ids)
    if where is None:
        return []
    return Affiliation.objects.filter(
        where, role=Role.MAIN_MANAGER, status=AffiliationStatus.ACTIVE
    ).values_list("user_id", flat=True)


def _affiliation_changed(sender, instance, raw=False, **kwargs):
    if not raw:
        page_cache.refresh(users=[instance.user_id], structures=[instance.structure_id])


def _affiliation_services_changed(sender, instance, action, reverse, **kwargs):
    if not action.startswith("post_"):
        return
    if reverse:  # a service's affiliations: whose they are is not at hand
        page_cache.refresh_everyone()
    else:
        page_cache.refresh(users=[instance.user_id], structures=[instance.structure_id])


def _request_changed(sender, instance, raw=False, **kwargs):
    if not raw:
        page_cache.refresh(users=[instance.requester_id], structures=[instance.structure_id])


def _reference_changed(sender, instance, raw=False, created=False, **kwargs):
    """A structure or service renamed, closed or deleted shows on every page that names
    it. One just created is on no page yet."""
    if not raw and not created:
        page_cache.refresh_everyone()


def _request_services_changed(sender, instance, action, reverse, **kwargs):
    if action.startswith("post_") and not reverse:
        _request_changed(sender, instance)


def connect() -> None:
    page_cache.register_viewers(main_managers_seeing)
    for name, signal in (("saved", post_save), ("deleted", post_delete)):
        signal.connect(_affiliation_changed, sender=Affiliation, dispatch_uid=f"pages.aff.{name}")
        signal.connect(_request_changed, sender=Request, dispatch_uid=f"pages.req.{name}")
        for model in (Structure, Service):
            signal.connect(
                _reference_changed, sender=model, dispatch_uid=f"pages.{model.__name__}.{name}"
            )
    m2m_changed.connect(
        _affiliation_services_changed,
        sender=Affiliation.services.through,
        dispatch_uid="pages.aff.services",
    )
    m2m_changed.connect(
        _request_services_changed, sender=Request.services.through, dispatch_uid="pages.req.s"
    )
