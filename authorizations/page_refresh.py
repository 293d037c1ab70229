"""Kept pages made stale by a change of profiles (see chorus_portal.page_cache), and the
delegated managers (Organisation – Modification) who see a structure's people."""

from __future__ import annotations

from django.db.models.signals import post_delete, post_save

from affiliations.page_refresh import structures_of
from chorus_portal import page_cache

from .models import Application, Authorization, Level


def delegates_seeing(user_ids: set[int], structure_ids: set[int]):
    """Whoever holds Organisation – Modification at structure level on those structures
    (affiliations' `structures_of`). Attached or not: more pages dropped, never fewer."""
    where = structures_of(user_ids, structure_ids)
    if where is None:
        return []
    return Authorization.objects.filter(
        where,
        application=Application.ORGANISATION,
        level=Level.MODIFICATION,
        service__isnull=True,
    ).values_list("user_id", flat=True)


def _profile_changed(sender, instance, raw=False, **kwargs):
    if not raw:
        page_cache.refresh(users=[instance.user_id], structures=[instance.structure_id])


def connect() -> None:
    page_cache.register_viewers(delegates_seeing)
    post_save.connect(_profile_changed, sender=Authorization, dispatch_uid="pages.profile.saved")
    post_delete.connect(
        _profile_changed, sender=Authorization, dispatch_uid="pages.profile.deleted"
    )
