"""Affiliation flows: request, apply, detach, transfer of the main manager role;
deactivation and reactivation as seen from the structures."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import timedelta

from django.db import transaction
from django.db.models import Max, Min
from django.utils import timezone

from activity.models import Action
from activity.services import log_event
from chorus_portal.mail import queue_mail
from chorus_portal.names import of_structure

from . import workflow
from .models import (
    Affiliation,
    AffiliationStatus,
    Request,
    RequestKind,
    RequestStatus,
    Role,
    Service,
    Structure,
    StructureStatus,
)


class AffiliationError(Exception):
    pass


class LastMainManager(AffiliationError):
    pass


class AlreadyAttached(AffiliationError):
    pass


class NotMainManager(AffiliationError):
    """Only the current main manager (or staff, in the admin) may transfer the role."""


def check_not_already_attached(
    *, user, structure: Structure, whole_structure: bool, services: Iterable[Service]
) -> None:
    """Refuse a request that would change nothing."""
    affiliation = (
        Affiliation.objects.filter(user=user, structure=structure, status=AffiliationStatus.ACTIVE)
        .prefetch_related("services")
        .first()
    )
    if affiliation is None:
        return
    if affiliation.whole_structure:
        raise AlreadyAttached
    if not whole_structure and {s.pk for s in services} <= {
        s.pk for s in affiliation.services.all()
    }:
        raise AlreadyAttached


# Other layers react to a detach (authorizations remove the profiles of what
# was left) inside the same transaction; they register from AppConfig.ready().
_after_detach: list = []


def register_after_detach(func) -> None:
    if func not in _after_detach:
        _after_detach.append(func)


# ... and to a new or widened affiliation (authorizations open the default profiles).
_after_attach: list = []


def register_after_attach(func) -> None:
    if func not in _after_attach:
        _after_attach.append(func)


def request_affiliation(
    *,
    user,
    structure: Structure,
    whole_structure: bool,
    services: Iterable[Service],
    comment: str,
    http_request=None,
) -> Request:
    return workflow.submit(
        requester=user,
        kind=RequestKind.AFFILIATION,
        structure=structure,
        whole_structure=whole_structure,
        services=services,
        comment=comment,
        http_request=http_request,
    )


def apply_affiliation_request(req: Request, by) -> None:
    """The affiliation kind's handler: attach the requester as asked."""
    affiliation = (
        Affiliation.objects.select_for_update()
        .filter(user=req.requester, structure=req.structure, status=AffiliationStatus.ACTIVE)
        .first()
    )
    services = list(req.services.all())
    if affiliation is None:
        affiliation = Affiliation.objects.create(
            user=req.requester,
            structure=req.structure,
            whole_structure=req.whole_structure,
            role=Role.USER,
        )
        if not req.whole_structure:
            affiliation.services.set(services)
    elif req.whole_structure:
        if not affiliation.whole_structure:
            affiliation.whole_structure = True
            affiliation.save(update_fields=["whole_structure", "updated_at"])
            affiliation.services.clear()
    elif not affiliation.whole_structure:
        affiliation.services.add(*services)
    for func in _after_attach:
        func(affiliation, by)
    log_event(
        Action.AFFILIATION_GRANTED,
        actor=by,
        subject=req.requester,
        structure=req.structure_id,
        affiliation_id=affiliation.pk,
        request_id=req.pk,
    )


@transaction.atomic
def detach(
    *,
    user,
    affiliation: Affiliation,
    services: Iterable[Service] | None,
    http_request=None,
) -> Affiliation:
    """Detach `user` from the whole structure (services=None) or from some services."""
    affiliation = Affiliation.objects.select_for_update().get(pk=affiliation.pk)
    if affiliation.status != AffiliationStatus.ACTIVE:
        raise AffiliationError("This affiliation is no longer active.")
    if affiliation.role == Role.MAIN_MANAGER:
        raise LastMainManager
    removed: list[int] = []
    if services is None:
        affiliation.status = AffiliationStatus.DELETED
        affiliation.save(update_fields=["status", "updated_at"])
        level = "structure"
    else:
        chosen = {s.pk for s in services}
        if affiliation.whole_structure:
            kept = list(
                Service.objects.filter(structure=affiliation.structure, active=True)
                .exclude(pk__in=chosen)
                .values_list("pk", flat=True)
            )
            affiliation.whole_structure = False
            affiliation.save(update_fields=["whole_structure", "updated_at"])
            affiliation.services.set(kept)
        else:
            affiliation.services.remove(*chosen)
        removed = sorted(chosen)
        if not affiliation.services.exists():
            affiliation.status = AffiliationStatus.DELETED
            affiliation.save(update_fields=["status", "updated_at"])
        level = "services"
    for func in _after_detach:
        func(affiliation)
    log_event(
        Action.AFFILIATION_DETACHED,
        request=http_request,
        actor=user,
        structure=affiliation.structure_id,
        level=level,
        services=removed,
    )
    return affiliation


@transaction.atomic
def transfer_main_manager(
    *, structure: Structure, to_user, by, http_request=None, as_staff: bool = False
) -> None:
    """Hand the main manager role to another active user of the structure.

    Only the current main manager may do it (a delegate holding Organisation –
    Modification may not), or staff through the admin (`as_staff`). The former and
    the new main manager are each mailed, in their language.
    """
    current = (
        Affiliation.objects.select_for_update()
        .select_related("user")
        .filter(structure=structure, role=Role.MAIN_MANAGER, status=AffiliationStatus.ACTIVE)
        .first()
    )
    if not as_staff and (current is None or current.user_id != by.pk):
        raise NotMainManager
    target = (
        Affiliation.objects.select_for_update()
        .filter(structure=structure, user=to_user, status=AffiliationStatus.ACTIVE)
        .first()
    )
    if target is None or target.role == Role.MAIN_MANAGER:
        raise AffiliationError("This person cannot receive the role.")
    if current is not None:
        current.role = Role.USER
        current.save(update_fields=["role", "updated_at"])
    target.role = Role.MAIN_MANAGER
    if not target.whole_structure:
        # A main manager answers for the whole structure.
        target.whole_structure = True
        target.services.clear()
    target.save(update_fields=["role", "whole_structure", "updated_at"])
    entry = log_event(
        Action.ROLE_TRANSFERRED,
        request=http_request,
        actor=by,
        subject=to_user,
        structure=structure,
        previous=getattr(current, "user_id", None),
        by_staff=as_staff,
    )
    former = current.user if current is not None else None
    _mail_role_transferred(
        structure=structure, former=former, new=to_user, by=by, when=entry.created_at
    )


def _person(user) -> str:
    return user.get_full_name() or user.email


def _mail_role_transferred(*, structure: Structure, former, new, by, when) -> None:
    """Tell the former and the new main manager, each in their own language."""
    common = {
        "structure": str(structure),
        "structure_name": structure.company_name,
        "by": _person(by),
        "when": when,
        "former": _person(former) if former is not None else "",
        "new": _person(new),
    }
    recipients = [(new, True)]
    if former is not None:
        recipients.append((former, False))
    for person, became in recipients:
        queue_mail(
            to=person.email,
            template_prefix="affiliations/email/role_transferred",
            context={
                **common,
                "name": _person(person),
                "became": became,
                "by_self": by.pk == person.pk,
            },
            language=person.language,
        )


# --- account deactivation and reactivation (registered in AppConfig.ready) ----------


def main_manager_blockers(user) -> list[tuple[str, str]]:
    from django.urls import reverse
    from django.utils.translation import gettext as _

    held = Affiliation.objects.filter(
        user=user, role=Role.MAIN_MANAGER, status=AffiliationStatus.ACTIVE
    ).select_related("structure")
    return [
        (
            _("You are the main manager %(of_structure)s: designate a new main manager first.")
            % {"of_structure": of_structure(a.structure.company_name)},
            reverse("affiliations:role-transfer", args=[a.structure_id]),
        )
        for a in held
    ]


def on_user_deactivated(user, by) -> None:
    from django.utils.translation import gettext as _

    for req in Request.objects.filter(requester=user, status="pending"):
        workflow.cancel(req=req, by=by)
    Affiliation.objects.filter(user=user, status=AffiliationStatus.ACTIVE).update(
        status=AffiliationStatus.DEACTIVATED
    )
    workflow.record_decided(
        kind=RequestKind.DEACTIVATION,
        requester=user,
        by=by,
        comment=_("Account deactivated from “Deactivate/Reactivate a user account”.")
        if by == user
        else _("Account deactivated by %(name)s.") % {"name": by},
    )


def on_user_reactivated(user, by, via_request=None) -> None:
    from django.utils.translation import gettext as _

    Affiliation.objects.filter(user=user, status=AffiliationStatus.DEACTIVATED).update(
        status=AffiliationStatus.ACTIVE
    )
    # The person's other reactivation requests (one per structure) have no object now.
    for req in Request.objects.filter(
        requester=user, kind=RequestKind.REACTIVATION, status=RequestStatus.PENDING
    ):
        workflow.cancel(req=req, by=by)
    if via_request is None:
        # Reactivated directly (Users area, admin): recorded so it shows in the history.
        workflow.record_decided(
            kind=RequestKind.REACTIVATION,
            requester=user,
            by=by,
            comment=_("Account reactivated by %(name)s.") % {"name": by},
        )


# --- a deactivated person asks for reactivation (the inactive-account page) ----------

# A person may ask again a day after their last request, once nothing is pending.
REACTIVATION_COOLDOWN = timedelta(hours=24)


class ReactivationAlreadyAsked(AffiliationError):
    def __init__(self, asked_at):
        super().__init__("reactivation already asked")
        self.asked_at = asked_at


def reactivation_structures(user) -> list[Structure]:
    """The active structures the deactivated account was attached to: their managers decide."""
    return list(
        Structure.objects.filter(
            status=StructureStatus.ACTIVE,
            affiliations__user=user,
            affiliations__status=AffiliationStatus.DEACTIVATED,
        )
        .distinct()
        .order_by("company_name", "id")
    )


def reactivation_asked_at(user, now=None):
    """When the person asked for reactivation, if that still stands: the oldest pending
    request, or a request made since the last deactivation within the cooldown."""
    now = now or timezone.now()
    mine = Request.objects.filter(requester=user, kind=RequestKind.REACTIVATION)
    pending = mine.filter(status=RequestStatus.PENDING).aggregate(at=Min("created_at"))["at"]
    if pending is not None:
        return pending
    since = Request.objects.filter(requester=user, kind=RequestKind.DEACTIVATION).aggregate(
        at=Max("created_at")
    )["at"]
    recent = mine.filter(created_at__gte=now - REACTIVATION_COOLDOWN)
    if since is not None:
        recent = recent.filter(created_at__gt=since)
    return recent.aggregate(at=Max("created_at"))["at"]


@transaction.atomic
def request_reactivation(*, user, comment: str, http_request=None) -> list[Request]:
    """One reactivation request per active structure the account was attached to, each in
    that structure's managers' inbox; with none, one request without a structure, which
    the support decides in the admin. The account's address is told by mail."""
    from accounts.models import User

    # One person at a time: two simultaneous submissions cannot both pass the checks.
    locked = User.objects.select_for_update().get(pk=user.pk)
    if locked.is_active:
        raise AffiliationError("This account is active.")
    asked = reactivation_asked_at(user)
    if asked is not None:
        raise ReactivationAlreadyAsked(asked)
    created = []
    for structure in reactivation_structures(user) or [None]:
        try:
            created.append(
                workflow.submit(
                    requester=user,
                    kind=RequestKind.REACTIVATION,
                    structure=structure,
                    whole_structure=True,
                    services=[],
                    comment=comment,
                    http_request=http_request,
                )
            )
        except workflow.DuplicateRequest:
            continue
    # Queued with the requests, in their transaction (the mail queue's rule).
    _mail_reactivation_asked(user, created[0].created_at if created else timezone.now())
    return created


def apply_reactivation_request(req: Request, by) -> None:
    """The reactivation kind's handler: a manager (or staff) approved it."""
    from accounts.services import reactivate

    reactivate(user=req.requester, by=by, via_request=req)


def _mail_reactivation_asked(user, when) -> None:
    queue_mail(
        to=user.email,
        template_prefix="affiliations/email/reactivation_asked",
        context={"name": _person(user), "when": when},
        language=user.language,
    )
