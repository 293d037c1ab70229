"""The one request workflow shared by every kind of request.

A request is submitted pending, then leaves that state exactly once: approved
or refused by a manager, cancelled by its requester, or expired. Each
transition is a conditional UPDATE on `status = pending` inside a transaction,
so of any number of concurrent decisions exactly one takes effect. Approving
runs the kind's registered handler in the same transaction: it applies all of
the request or, if it fails, nothing (the decision is rolled back too).

Kinds register their handler from their AppConfig.ready() with `register_kind`;
a kind may lapse sooner than the general expiry (`lifetime`) and may say nothing
by mail when decided (`mail_decision=False`, when its own flow tells the person).
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import timedelta

from django.db import IntegrityError, transaction
from django.db.models import Q
from django.utils import timezone

from activity.models import Action
from activity.services import log_event
from chorus_portal.mail import queue_mail

from .models import Request, RequestKind, RequestStatus, Service, Structure


class WorkflowError(Exception):
    pass


class DuplicateRequest(WorkflowError):
    pass


class AlreadyDecided(WorkflowError):
    pass


class NotAllowed(WorkflowError):
    pass


@dataclass(frozen=True)
class KindHandler:
    apply: Callable[[Request, object], None]
    # How long a request of this kind may stay pending (None: the general expiry).
    lifetime: timedelta | None = None
    # Whether the requester gets the "request approved/refused" mail.
    mail_decision: bool = True


_handlers: dict[str, KindHandler] = {}


def register_kind(
    kind: str,
    *,
    apply: Callable[[Request, object], None],
    lifetime: timedelta | None = None,
    mail_decision: bool = True,
) -> None:
    _handlers[kind] = KindHandler(apply=apply, lifetime=lifetime, mail_decision=mail_decision)


def lifetime_of(kind: str) -> timedelta | None:
    handler = _handlers.get(kind)
    return handler.lifetime if handler else None


def has_handler(kind: str) -> bool:
    """Whether requests of `kind` can be approved (a handler applies them)."""
    return kind in _handlers


def fingerprint(
    kind: str,
    structure_id: int | None,
    whole_structure: bool,
    service_ids: Iterable[int],
    extra: str = "",
) -> str:
    """What makes two pending requests the same request."""
    services = ",".join(str(i) for i in sorted(set(service_ids))) if not whole_structure else "*"
    raw = f"{kind}|{structure_id}|{services}|{extra}"
    return hashlib.sha256(raw.encode()).hexdigest()


# Other layers hear of each new request inside the transaction that creates it
# (the managers' digest); they register from AppConfig.ready().
_on_submit: list[Callable[[Request], None]] = []


def register_on_submit(func: Callable[[Request], None]) -> None:
    if func not in _on_submit:
        _on_submit.append(func)


def submit(
    *,
    requester,
    kind: str,
    structure: Structure | None,
    whole_structure: bool,
    services: Iterable[Service],
    comment: str,
    http_request=None,
    extra_fingerprint: str = "",
) -> Request:
    services = list(services)
    print_ = fingerprint(
        kind,
        getattr(structure, "pk", None),
        whole_structure,
        [s.pk for s in services],
        extra_fingerprint,
    )
    if Request.objects.filter(
        requester=requester, fingerprint=print_, status=RequestStatus.PENDING
    ).exists():
        raise DuplicateRequest
    try:
        with transaction.atomic():
            req = Request.objects.create(
                kind=kind,
                requester=requester,
                structure=structure,
                whole_structure=whole_structure,
                comment=comment,
                fingerprint=print_,
            )
            if services and not whole_structure:
                req.services.set(services)
            for func in _on_submit:
                func(req)
    except IntegrityError:
        # Submitted twice at the same moment: the database kept one.
        raise DuplicateRequest from None
    log_event(
        Action.REQUEST_SUBMITTED,
        request=http_request,
        actor=requester,
        structure=structure,
        request_id=req.pk,
        kind=kind,
    )
    return req


def decide(*, req: Request, by, approve: bool, reason: str = "", http_request=None) -> Request:
    """Approve or refuse a pending request once; the caller has checked `by` may decide."""
    if not approve and not reason.strip():
        raise NotAllowed("A refusal needs a reason.")
    status = RequestStatus.APPROVED if approve else RequestStatus.REFUSED
    now = timezone.now()
    with transaction.atomic():
        won = Request.objects.filter(pk=req.pk, status=RequestStatus.PENDING).update(
            status=status,
            decided_by=by,
            decided_at=now,
            refusal_reason="" if approve else reason.strip(),
        )
        if not won:
            raise AlreadyDecided
        req.refresh_from_db()
        if approve:
            _handlers[req.kind].apply(req, by)
        log_event(
            Action.REQUEST_APPROVED if approve else Action.REQUEST_REFUSED,
            request=http_request,
            actor=by,
            subject=req.requester,
            structure=req.structure_id,
            request_id=req.pk,
            kind=req.kind,
        )
        if _handlers[req.kind].mail_decision:
            _mail_decision(req)
    return req


def cancel(*, req: Request, by, http_request=None, notify: bool = False) -> bool:
    """The requester withdraws a pending request (or the portal voids it).

    `notify`: someone else cancelled it (staff, in the admin): the requester is mailed.
    """
    cancelled = Request.objects.filter(pk=req.pk, status=RequestStatus.PENDING).update(
        status=RequestStatus.CANCELLED, decided_at=timezone.now()
    )
    if cancelled:
        log_event(
            Action.REQUEST_CANCELLED,
            request=http_request,
            actor=by,
            subject=req.requester,
            structure=req.structure_id,
            request_id=req.pk,
            kind=req.kind,
        )
        if notify:
            _mail_cancelled(req)
    return bool(cancelled)


def _mail_cancelled(req: Request) -> None:
    requester = req.requester
    queue_mail(
        to=requester.email,
        template_prefix="affiliations/email/request_cancelled",
        context={
            "name": requester.get_full_name() or requester.email,
            "structure": str(req.structure) if req.structure else "",
            "request_id": req.pk,
        },
        language=requester.language,
    )


def _mail_decision(req: Request) -> None:
    requester = req.requester
    if req.kind == RequestKind.REACTIVATION and req.status == RequestStatus.APPROVED:
        return  # the reactivation's own mail says it, with what to do next
    queue_mail(
        to=requester.email,
        template_prefix="affiliations/email/request_decided",
        context={
            "name": requester.get_full_name() or requester.email,
            "kind": req.kind,
            "approved": req.status == RequestStatus.APPROVED,
            "structure": str(req.structure) if req.structure else "",
            "reason": req.refusal_reason,
            "request_id": req.pk,
        },
        language=requester.language,
    )


def kind_label(kind: str) -> str:
    return str(RequestKind(kind).label)


def record_decided(*, kind: str, requester, by, comment: str, http_request=None) -> Request:
    """A request decided the moment it is made (deactivation, reactivation): it still
    goes through the one model so the person finds it in History of my requests."""
    now = timezone.now()
    req = Request.objects.create(
        kind=kind,
        requester=requester,
        comment=comment,
        status=RequestStatus.APPROVED,
        decided_by=by,
        decided_at=now,
        fingerprint=fingerprint(kind, None, True, [], f"decided:{now.isoformat()}"),
    )
    log_event(
        Action.REQUEST_APPROVED,
        request=http_request,
        actor=by,
        subject=requester,
        request_id=req.pk,
        kind=kind,
    )
    return req


def expire(*, req: Request) -> bool:
    """A pending request whose time is up becomes expired (conditional, logged)."""
    expired = Request.objects.filter(pk=req.pk, status=RequestStatus.PENDING).update(
        status=RequestStatus.EXPIRED, decided_at=timezone.now()
    )
    if expired:
        req.status = RequestStatus.EXPIRED
        log_event(
            Action.REQUEST_EXPIRED,
            subject=req.requester,
            structure=req.structure_id,
            request_id=req.pk,
            kind=req.kind,
        )
    return bool(expired)


def expire_stale(*, older_than_days: int) -> int:
    """Pending requests nobody decided within `older_than_days` become expired; kinds
    registered with a shorter `lifetime` lapse after it instead."""
    now = timezone.now()
    short = {kind: h.lifetime for kind, h in _handlers.items() if h.lifetime is not None}
    due = Q(created_at__lt=now - timedelta(days=older_than_days)) & ~Q(kind__in=list(short))
    for kind, lifetime in short.items():
        due |= Q(kind=kind, created_at__lte=now - lifetime)
    stale = Request.objects.filter(due, status=RequestStatus.PENDING).select_related("requester")
    # Conditional, like every transition: a decision made meanwhile wins.
    return sum(1 for req in stale if expire(req=req))
