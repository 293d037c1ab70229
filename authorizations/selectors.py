from __future__ import annotations

from itertools import groupby

from django.db.models import F

from affiliations.models import Affiliation, AffiliationStatus, Service

from .models import Authorization

SERVICES_IN_SELECT = 200


def profiles_by_scope(user) -> list[dict]:
    """The user's profiles grouped by structure, then service (structure level first)."""
    rows = (
        Authorization.objects.filter(user=user)
        .select_related("structure", "service")
        .order_by(
            "structure__company_name",
            "structure_id",
            F("service__code").asc(nulls_first=True),
            "application",
        )
    )
    groups = []
    for (structure, service), items in groupby(rows, key=lambda a: (a.structure, a.service)):
        groups.append({"structure": structure, "service": service, "profiles": list(items)})
    return groups


def profiles_for_members(affiliations) -> dict[int, list[Authorization]]:
    """Profiles of the listed members in their structures, in one query."""
    pairs = {(a.user_id, a.structure_id) for a in affiliations}
    if not pairs:
        return {}
    users = {u for u, _ in pairs}
    structures = {s for _, s in pairs}
    found: dict[tuple[int, int], list[Authorization]] = {}
    for profile in (
        Authorization.objects.filter(user_id__in=users, structure_id__in=structures)
        .select_related("service")
        .order_by(F("service__code").asc(nulls_first=True), "application")
    ):
        found.setdefault((profile.user_id, profile.structure_id), []).append(profile)
    return {a.pk: found.get((a.user_id, a.structure_id), []) for a in affiliations}


def scopes_for(affiliation: Affiliation, query: str = ""):
    """The services of this affiliation a profile may apply to (first 200 matches)."""
    if affiliation.whole_structure:
        services = Service.objects.filter(structure_id=affiliation.structure_id, active=True)
    else:
        services = affiliation.services.all()
    if query:
        from affiliations.search import fold

        for word in fold(query).split():
            services = services.filter(search_text__contains=word)
    return list(services.order_by("code").only("id", "code", "name")[:SERVICES_IN_SELECT])


def active_affiliations(user):
    return list(
        Affiliation.objects.filter(user=user, status=AffiliationStatus.ACTIVE)
        .select_related("structure")
        .order_by("structure__company_name")
    )


def annotate_members(affiliations) -> None:
    """Give each listed affiliation the member's profiles in that structure."""
    by_affiliation = profiles_for_members(affiliations)
    for affiliation in affiliations:
        affiliation.profiles = by_affiliation.get(affiliation.pk, [])
