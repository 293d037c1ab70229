"""How long the portal keeps personal data, and the daily purge that enforces it.

The same numbers are shown on the personal-data page, so the page cannot say
something the purge does not do.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta

from django.conf import settings
from django.core.cache import caches
from django.core.cache.backends.db import DatabaseCache
from django.db import connections, router, transaction
from django.utils import timezone

# Activity log (who did what, from which IP address): one year, the period French law
# asks of those who keep connection data (décret n° 2021-1362).
ACTIVITY_LOG_DAYS = 365
# Mails handed to the database task queue (TASK_BACKEND=database): the finished tasks,
# holding the recipient and the text, are removed a week after they ran.
MAIL_TASK_DAYS = 7

RETENTION = {
    "activity_log_days": ACTIVITY_LOG_DAYS,
    "mail_task_days": MAIL_TASK_DAYS,
    "session_idle_minutes": settings.SESSION_COOKIE_AGE // 60,
    "session_max_hours": settings.SESSION_ABSOLUTE_LIFETIME // 3600,
    "code_minutes": settings.MFA_EMAIL_CODE_VALIDITY // 60,
    "request_expiry_days": 90,
}


@dataclass
class PurgeResult:
    activity_entries: int = 0
    admin_history_entries: int = 0
    sessions: int = 0
    email_codes: int = 0
    mail_tasks: int = 0
    cache_entries: int = 0

    def as_dict(self) -> dict[str, int]:
        return dict(self.__dict__)


def purge_expired(now=None) -> PurgeResult:
    """Delete what has outlived its retention period; returns the counts."""
    from django.contrib.admin.models import LogEntry
    from django.contrib.sessions.models import Session

    from activity.models import Action, ActivityLog
    from activity.services import log_event
    from mfa.models import EmailCode

    now = now or timezone.now()
    result = PurgeResult()
    with transaction.atomic():
        log_cutoff = now - timedelta(days=ACTIVITY_LOG_DAYS)
        result.activity_entries = ActivityLog.objects.purge_before(log_cutoff)
        # The admin's own history of staff changes: the same year.
        result.admin_history_entries, _ = LogEntry.objects.filter(
            action_time__lt=log_cutoff
        ).delete()
        result.sessions, _ = Session.objects.filter(expire_date__lt=now).delete()
        result.email_codes, _ = EmailCode.objects.filter(valid_until__lt=now).delete()
        result.mail_tasks = _purge_mail_tasks(now - timedelta(days=MAIL_TASK_DAYS))
    result.cache_entries = _purge_database_cache(now)
    if any(result.as_dict().values()):
        log_event(Action.DATA_PURGED, **result.as_dict())
    return result


def _purge_mail_tasks(before) -> int:
    if "django_tasks_db" not in settings.INSTALLED_APPS:
        return 0
    from django_tasks.base import TaskResultStatus
    from django_tasks_db.models import DBTaskResult

    finished = DBTaskResult.objects.filter(
        status__in=[TaskResultStatus.SUCCESSFUL, TaskResultStatus.FAILED],
        finished_at__lt=before,
    )
    count, _ = finished.delete()
    return count


def _purge_database_cache(now) -> int:
    """The rate-limit counters (keyed on IP addresses and login addresses) past their
    expiry. Redis drops them by itself; Django's database cache only when it is full."""
    cache = caches["default"]
    if not isinstance(cache, DatabaseCache):
        return 0
    db = router.db_for_write(cache.cache_model_class)
    connection = connections[db]
    table = connection.ops.quote_name(cache._table)
    with connection.cursor() as cursor:
        cursor.execute(
            f"DELETE FROM {table} WHERE {connection.ops.quote_name('expires')} < %s",  # noqa: S608
            [connection.ops.adapt_datetimefield_value(now.replace(microsecond=0))],
        )
        return cursor.rowcount
