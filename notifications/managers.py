"""Managers hear of new requests: one mail gathering them, at most one per interval.

When a request arrives (inside the transaction that creates it), each manager of
its structure who has no digest on its way gets one scheduled: a task queued with
`run_after` = MANAGER_DIGEST_DELAY from now, or MANAGER_DIGEST_INTERVAL after the
previous digest if that is later. Every request arriving meanwhile finds the digest
already scheduled and adds nothing; the task then sends one mail counting every
request that arrived since the previous digest, with a link to the Users area.
"""

from __future__ import annotations

from datetime import timedelta

from django.conf import settings
from django.db import transaction
from django.db.models import Count
from django.utils import timezone
from django_tasks import task

from affiliations.models import Request, RequestStatus
from affiliations.permissions import managed_structure_ids, structure_managers
from chorus_portal.mail import MailPriority, queue_mail

from .models import ManagerDigest


def request_arrived(req: Request) -> None:
    """Registered with the workflow: schedule the digest of each manager of the structure."""
    if req.structure_id is None:
        return
    manager_ids = list(
        structure_managers(req.structure_id)
        .exclude(pk=req.requester_id)
        .values_list("pk", flat=True)
    )
    if manager_ids:
        schedule_digests(manager_ids)


def schedule_digests(manager_ids: list[int]) -> None:
    now = timezone.now()
    ManagerDigest.objects.bulk_create(
        [ManagerDigest(manager_id=pk) for pk in manager_ids], ignore_conflicts=True
    )
    idle = ManagerDigest.objects.select_for_update().filter(
        manager_id__in=manager_ids, scheduled_for__isnull=True
    )
    for digest in idle:
        due = now + timedelta(seconds=settings.MANAGER_DIGEST_DELAY)
        if digest.last_sent_at is not None:
            due = max(
                due, digest.last_sent_at + timedelta(seconds=settings.MANAGER_DIGEST_INTERVAL)
            )
        # Conditional: of two requests arriving together, one schedules the digest.
        if ManagerDigest.objects.filter(
            manager_id=digest.manager_id, scheduled_for__isnull=True
        ).update(scheduled_for=due):
            _enqueue(digest.manager_id, due)


def _enqueue(manager_id: int, due) -> None:
    backend = send_manager_digest.get_backend()
    if backend.supports_defer:
        # A database queue: the task is written in the request's transaction.
        send_manager_digest.using(run_after=due).enqueue(manager_id)
    else:
        # In-process tasks cannot wait: the digest goes once the request is committed.
        transaction.on_commit(lambda: send_manager_digest.enqueue(manager_id), robust=True)


@task(priority=MailPriority.NOTIFICATION)
def send_manager_digest(manager_id: int) -> int:
    """Mail the manager the requests that arrived since their previous digest."""
    from accounts.models import User

    with transaction.atomic():
        digest = ManagerDigest.objects.select_for_update().filter(manager_id=manager_id).first()
        if digest is None or digest.scheduled_for is None:
            return 0
        now = timezone.now()
        manager = User.objects.filter(pk=manager_id, is_active=True).first()
        arrived = 0
        if manager is not None:
            arrived = _mail_digest(manager, since=digest.last_sent_at)
        digest.scheduled_for = None
        if arrived:
            digest.last_sent_at = now
        digest.save(update_fields=["scheduled_for", "last_sent_at"])
        return arrived


def _mail_digest(manager, *, since) -> int:
    pending = Request.objects.filter(
        status=RequestStatus.PENDING, structure_id__in=managed_structure_ids(manager)
    ).exclude(requester=manager)
    new = pending.filter(created_at__gt=since) if since is not None else pending
    per_structure = list(
        new.values("structure__company_name", "structure__identifier")
        .annotate(count=Count("id"))
        .order_by("structure__company_name")
    )
    arrived = sum(row["count"] for row in per_structure)
    if not arrived:
        return 0
    queue_mail(
        to=manager.email,
        template_prefix="notifications/email/manager_digest",
        context={
            "name": manager.get_full_name() or manager.email,
            "arrived": arrived,
            "waiting": pending.count(),
            "structures": [
                {
                    "name": row["structure__company_name"],
                    "identifier": row["structure__identifier"],
                    "count": row["count"],
                }
                for row in per_structure
            ],
            "users_url": f"{settings.PORTAL_BASE_URL}/users/",
        },
        language=manager.language,
        priority=MailPriority.NOTIFICATION,
    )
    return arrived
