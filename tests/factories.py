"""Builders for structures, services, affiliations and requests."""

from __future__ import annotations

import itertools

from affiliations.identifiers import with_luhn_key
from affiliations.models import (
    Affiliation,
    Request,
    RequestKind,
    Role,
    Service,
    Structure,
    StructureKind,
)
from affiliations.workflow import fingerprint

_counter = itertools.count(1)


def make_structure(name: str = "", *, services: int = 0, kind=StructureKind.PUBLIC) -> Structure:
    n = next(_counter)
    structure = Structure.objects.create(
        identifier=with_luhn_key(f"{n:013d}"),
        company_name=name or f"Structure {n}",
        kind=kind,
        city="Paris",
    )
    if services:
        Service.objects.bulk_create(
            Service(
                structure=structure,
                code=f"S{i:05d}",
                name=f"Service {i}",
                search_text=f"s{i:05d} service {i}",
            )
            for i in range(1, services + 1)
        )
    return structure


def attach(user, structure, *, role=Role.USER, services=None) -> Affiliation:
    affiliation = Affiliation.objects.create(
        user=user, structure=structure, role=role, whole_structure=services is None
    )
    if services:
        affiliation.services.set(services)
    return affiliation


def pending_request(user, structure, *, services=None, comment="Please") -> Request:
    service_ids = [s.pk for s in services or []]
    req = Request.objects.create(
        kind=RequestKind.AFFILIATION,
        requester=user,
        structure=structure,
        whole_structure=not services,
        comment=comment,
        fingerprint=fingerprint(RequestKind.AFFILIATION, structure.pk, not services, service_ids),
    )
    if services:
        req.services.set(services)
    return req


def make_delegate(user, structure) -> Affiliation:
    """Attach `user` to `structure` as a delegated manager: Organisation – Modification
    at structure level."""
    from authorizations.models import Application, Authorization, Level

    affiliation = attach(user, structure)
    Authorization.objects.create(
        user=user,
        structure=structure,
        application=Application.ORGANISATION,
        level=Level.MODIFICATION,
    )
    return affiliation
