from __future__ import annotations

from django.core.paginator import Page, Paginator
from django.db.models import F, OuterRef, Q, Subquery

from affiliations.models import Affiliation, AffiliationStatus, Service

from .models import Authorization

SERVICES_IN_SELECT = 200


SCOPES_PER_PAGE = 50


def profiles_by_scope(user, *, page=None) -> Page:
    """One page of the user's scopes (a structure, or one of its services; structure level
    first), each with its profiles: two queries (and the count) whatever the number."""
    # The service's code is looked up by key for each of the person's profiles: joined,
    # PostgreSQL hashed all 100,000 services for a person with 2,000 profiles (46 ms).
    service_code = Subquery(
        Service.objects.filter(pk=OuterRef("service_id")).order_by().values("code")
    )
    scopes = (
        Authorization.objects.filter(user=user)
        .annotate(service_code=service_code)
        .values_list("structure_id", "service_id")
        .order_by(
            "structure__company_name",
            "structure_id",
            F("service_code").asc(nulls_first=True),
            "service_id",
        )
        .distinct()
    )
    result = Paginator(scopes, SCOPES_PER_PAGE).get_page(page)
    pairs = [(structure_id, service_id) for structure_id, service_id, *_ in result.object_list]
    wanted = Q(pk__in=[])
    for structure_id, service_id in pairs:
        wanted |= Q(structure_id=structure_id, service_id=service_id)
    found: dict[tuple[int, int | None], list[Authorization]] = {}
    if pairs:
        rows = (
            Authorization.objects.filter(wanted, user=user)
            .select_related("structure", "service")
            .order_by("application")
        )
        for profile in rows:
            found.setdefault((profile.structure_id, profile.service_id), []).append(profile)
    result.object_list = [
        {
            "structure": found[pair][0].structure,
            "service": found[pair][0].service,
            "profiles": found[pair],
        }
        for pair in pairs
        if pair in found
    ]
    return result


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


def active_affiliations_page(user, *, page=None):
    """One page of the structures whose profiles the user may manage."""
    from affiliations.selectors import active_affiliations_page

    return active_affiliations_page(user, page=page)


def active_affiliation(user, affiliation_id: int) -> Affiliation | None:
    return (
        Affiliation.objects.filter(user=user, status=AffiliationStatus.ACTIVE, pk=affiliation_id)
        .select_related("structure", "user")
        .first()
    )


def annotate_members(affiliations) -> None:
    """Give each listed affiliation the member's profiles in that structure."""
    by_affiliation = profiles_for_members(affiliations)
    for affiliation in affiliations:
        affiliation.profiles = by_affiliation.get(affiliation.pk, [])
