"""Profiles: who may hold what, saving a scope's profiles, the authorization requests."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field

from django.db import transaction
from django.utils.translation import gettext as _

from activity.models import Action
from activity.services import log_event
from affiliations import workflow
from affiliations.models import (
    Affiliation,
    AffiliationStatus,
    Request,
    RequestKind,
    Role,
    Service,
    Structure,
)
from affiliations.permissions import forget_managed_structures, may_manage
from chorus_portal.mail import queue_mail

from .models import (
    LEVEL_RANK,
    Application,
    Authorization,
    AuthorizationRequestLine,
    Level,
    profile_label,
)

# Opened to every new affiliation, at its scope (see docs/decisions.md).
DEFAULT_PROFILES = {
    Application.ISSUED_REQUESTS: Level.MODIFICATION,
    Application.RECEIVED_REQUESTS: Level.MODIFICATION,
}


class ScopeNotAllowed(workflow.WorkflowError):
    """The user is not affiliated where the profile would apply."""


class MainManagerProtected(workflow.NotAllowed):
    """Someone else tried to change the profiles of the structure's main manager."""


def _is_main_manager_of(user, structure: Structure) -> bool:
    return Affiliation.objects.filter(
        user=user, structure=structure, role=Role.MAIN_MANAGER, status=AffiliationStatus.ACTIVE
    ).exists()


def scope_allowed(user, structure: Structure, service: Service | None) -> bool:
    """A profile may apply only where the user is affiliated: the structure, or that service."""
    affiliation = (
        Affiliation.objects.filter(user=user, structure=structure, status=AffiliationStatus.ACTIVE)
        .only("id", "whole_structure")
        .first()
    )
    if affiliation is None:
        return False
    if service is not None and service.structure_id != structure.pk:
        return False
    if affiliation.whole_structure:
        return True
    return service is not None and affiliation.services.filter(pk=service.pk).exists()


def profiles_at(user, structure: Structure, service: Service | None) -> dict[str, str]:
    return dict(
        Authorization.objects.filter(user=user, structure=structure, service=service).values_list(
            "application", "level"
        )
    )


@dataclass
class SaveResult:
    applied: list[str] = field(default_factory=list)
    request: Request | None = None


def _log(action, *, by, user, structure, service, application, level, http_request=None):
    log_event(
        action,
        request=http_request,
        actor=by,
        subject=user,
        structure=structure,
        service=getattr(service, "pk", None),
        application=application,
        level=level,
    )


def _grant(*, user, structure, service, application, level, by, http_request=None) -> None:
    current = Authorization.objects.filter(
        user=user, structure=structure, service=service, application=application
    ).first()
    if current is None:
        Authorization.objects.create(
            user=user,
            structure=structure,
            service=service,
            application=application,
            level=level,
            granted_by=by,
        )
        action = Action.PROFILE_GRANTED
    elif current.level != level:
        current.level = level
        current.granted_by = by
        current.save(update_fields=["level", "granted_by", "updated_at"])
        action = Action.PROFILE_CHANGED
    else:
        return
    _log(
        action,
        by=by,
        user=user,
        structure=structure,
        service=service,
        application=application,
        level=level,
        http_request=http_request,
    )


@transaction.atomic
def save_profiles(
    *,
    user,
    structure: Structure,
    service: Service | None,
    desired: dict[str, str],
    by,
    http_request=None,
    comment: str = "",
) -> SaveResult:
    """`_save_profiles`, and the person is mailed when someone else changed their profiles."""
    before = profiles_at(user, structure, service) if by.pk != user.pk else None
    result = _save_profiles(
        user=user,
        structure=structure,
        service=service,
        desired=desired,
        by=by,
        http_request=http_request,
        comment=comment,
    )
    if before is not None and result.applied:
        _mail_profiles_changed(
            user=user,
            structure=structure,
            service=service,
            by=by,
            before=before,
            after=profiles_at(user, structure, service),
        )
    return result


def _mail_profiles_changed(*, user, structure, service, by, before, after) -> None:
    from django.conf import settings
    from django.utils import translation

    with translation.override(user.language):
        changes = []
        for application in sorted(set(before) | set(after)):
            old, new = before.get(application), after.get(application)
            if old == new:
                continue
            if new is None:
                changes.append(
                    _("%(profile)s: removed") % {"profile": profile_label(application, old)}
                )
            elif old is None:
                changes.append(
                    _("%(profile)s: granted") % {"profile": profile_label(application, new)}
                )
            else:
                changes.append(
                    _("%(profile)s (was %(level)s)")
                    % {"profile": profile_label(application, new), "level": Level(old).label}
                )
    queue_mail(
        to=user.email,
        template_prefix="authorizations/email/profiles_changed",
        context={
            "name": user.get_full_name() or user.email,
            "by": by.get_full_name() or by.email,
            "structure": str(structure),
            "structure_name": structure.company_name,
            "service": str(service) if service is not None else "",
            "changes": changes,
            "url": f"{settings.PORTAL_BASE_URL}/account/authorizations/",
        },
        language=user.language,
    )


def _save_profiles(
    *,
    user,
    structure: Structure,
    service: Service | None,
    desired: dict[str, str],
    by,
    http_request=None,
    comment: str = "",
) -> SaveResult:
    """Make `user`'s profiles at this scope what `desired` says, as far as `by` may.

    Removing or lowering applies at once. Adding or raising applies at once when
    `by` may manage the structure; otherwise it becomes one authorization request.
    """
    if not scope_allowed(user, structure, service):
        raise ScopeNotAllowed
    if by.pk != user.pk and _is_main_manager_of(user, structure):
        # Only the main manager changes their own profiles: a delegate never does.
        raise MainManagerProtected
    result = SaveResult()
    current = profiles_at(user, structure, service)
    increases: dict[str, str] = {}
    for application, level in current.items():
        wanted = desired.get(application)
        if wanted is None:
            Authorization.objects.filter(
                user=user, structure=structure, service=service, application=application
            ).delete()
            _log(
                Action.PROFILE_REMOVED,
                by=by,
                user=user,
                structure=structure,
                service=service,
                application=application,
                level=level,
                http_request=http_request,
            )
            result.applied.append(application)
        elif LEVEL_RANK[wanted] < LEVEL_RANK[level]:
            _grant(
                user=user,
                structure=structure,
                service=service,
                application=application,
                level=wanted,
                by=by,
                http_request=http_request,
            )
            result.applied.append(application)
        elif LEVEL_RANK[wanted] > LEVEL_RANK[level]:
            increases[application] = wanted
    for application, level in desired.items():
        if application not in current:
            increases[application] = level
    if not increases:
        forget_managed_structures(user)
        return result
    if may_manage(by, structure.pk):
        for application, level in sorted(increases.items()):
            _grant(
                user=user,
                structure=structure,
                service=service,
                application=application,
                level=level,
                by=by,
                http_request=http_request,
            )
            result.applied.append(application)
        forget_managed_structures(user)
        return result
    lines = sorted(increases.items())
    signature = hashlib.sha256(f"{getattr(service, 'pk', '')}|{lines}".encode()).hexdigest()
    req = workflow.submit(
        requester=user,
        kind=RequestKind.AUTHORIZATION,
        structure=structure,
        whole_structure=service is None,
        services=[service] if service is not None else [],
        comment=comment,
        http_request=http_request,
        extra_fingerprint=signature,
    )
    AuthorizationRequestLine.objects.bulk_create(
        AuthorizationRequestLine(request=req, service=service, application=a, level=lv)
        for a, lv in lines
    )
    result.request = req
    return result


def apply_authorization_request(req: Request, by) -> None:
    """The authorization kind's handler: all lines or none (the caller's transaction)."""
    lines = list(req.authorization_lines.select_related("service"))
    for line in lines:
        if not scope_allowed(req.requester, req.structure, line.service):
            # The requester left that structure or service meanwhile: nothing applies.
            raise ScopeNotAllowed
    for line in lines:
        _grant(
            user=req.requester,
            structure=req.structure,
            service=line.service,
            application=line.application,
            level=line.level,
            by=by,
        )


def open_default_profiles(affiliation: Affiliation, by) -> None:
    services = [None] if affiliation.whole_structure else list(affiliation.services.all())
    for service in services:
        for application, level in DEFAULT_PROFILES.items():
            exists = Authorization.objects.filter(
                user=affiliation.user,
                structure=affiliation.structure,
                service=service,
                application=application,
            ).exists()
            if not exists:
                _grant(
                    user=affiliation.user,
                    structure=affiliation.structure,
                    service=service,
                    application=application,
                    level=level,
                    by=by,
                )


def prune_after_detach(affiliation: Affiliation) -> None:
    """Remove the profiles of what the user was detached from (same transaction)."""
    held = Authorization.objects.filter(user=affiliation.user, structure=affiliation.structure)
    if affiliation.status != AffiliationStatus.ACTIVE:
        doomed = held
    elif affiliation.whole_structure:
        return
    else:
        doomed = held.exclude(service__in=affiliation.services.all())
    for profile in doomed.select_related("service"):
        _log(
            Action.PROFILE_REMOVED,
            by=affiliation.user,
            user=affiliation.user,
            structure=affiliation.structure,
            service=profile.service,
            application=profile.application,
            level=profile.level,
        )
    doomed.delete()
    forget_managed_structures(affiliation.user)


def organisation_manager_exists(outer: str):
    """The same rule from the structure's side: someone active holds Organisation –
    Modification at structure level there while attached to it."""
    from django.db.models import Exists, OuterRef

    return Exists(
        Authorization.objects.filter(
            structure_id=OuterRef(outer),
            application=Application.ORGANISATION,
            level=Level.MODIFICATION,
            service__isnull=True,
            user__is_active=True,
            user__affiliations__structure_id=OuterRef(outer),
            user__affiliations__status=AffiliationStatus.ACTIVE,
        )
    )


def organisation_managers_source(user):
    """Structures where `user` holds Organisation – Modification at structure level."""
    return Authorization.objects.filter(
        user=user,
        application=Application.ORGANISATION,
        level=Level.MODIFICATION,
        service__isnull=True,
        structure__affiliations__user=user,
        structure__affiliations__status=AffiliationStatus.ACTIVE,
    ).values_list("structure_id", flat=True)


def organisation_holders_source(structure_id: int):
    """Who holds Organisation – Modification at structure level on `structure_id` while
    attached to it: the structure's delegated managers."""
    return Authorization.objects.filter(
        structure_id=structure_id,
        application=Application.ORGANISATION,
        level=Level.MODIFICATION,
        service__isnull=True,
        user__affiliations__structure_id=structure_id,
        user__affiliations__status=AffiliationStatus.ACTIVE,
    ).values("user_id")
