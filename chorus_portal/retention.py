"""How long the portal keeps personal data, and the daily purge that enforces it.

The same numbers are shown on the personal-data page, so the page cannot say
something the portal does not do. `purge_personal_data` (daily) deletes what
nothing else deletes; the README's other scheduled jobs do the rest: `clearsessions`
(ended sessions, with their entry in the sessions list), `sweep_mail` (sent and
given-up mails after MAIL_KEEP_DAYS) and `prune_db_task_results` (finished tasks).
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
# asks of those who keep connection data (décret n° 2021-1362). The admin's history of
# staff changes and the markers of the weekly summaries sent follow the same year.
ACTIVITY_LOG_DAYS = 365
# chorus_portal.mail.sweep: a sent or given-up mail's record (its text is wiped at once).
MAIL_KEEP_DAYS = 30

RETENTION = {
    "activity_log_days": ACTIVITY_LOG_DAYS,
    "mail_keep_days": MAIL_KEEP_DAYS,
    "session_idle_minutes": settings.SESSION_COOKIE_AGE // 60,
    "session_max_hours": settings.SESSION_ABSOLUTE_LIFETIME // 3600,
    "code_minutes": settings.MFA_EMAIL_CODE_VALIDITY // 60,
    "request_expiry_days": 90,
}


@dataclass
class PurgeResult:
    activity_entries: int = 0
    admin_history_entries: int = 0
    summary_markers: int = 0
    email_codes: int = 0
    cache_entries: int = 0

    def as_dict(self) -> dict[str, int]:
        return dict(self.__dict__)


def purge_expired(now=None) -> PurgeResult:
    """Delete what has outlived its retention period; returns the counts."""
    from django.contrib.admin.models import LogEntry

    from activity.models import Action, ActivityLog
    from activity.services import log_event
    from mfa.models import EmailCode
    from notifications.models import SummarySent

    now = now or timezone.now()
    result = PurgeResult()
    with transaction.atomic():
        year_ago = now - timedelta(days=ACTIVITY_LOG_DAYS)
        result.activity_entries = ActivityLog.objects.purge_before(year_ago)
        result.admin_history_entries, _ = LogEntry.objects.filter(action_time__lt=year_ago).delete()
        result.summary_markers, _ = SummarySent.objects.filter(queued_at__lt=year_ago).delete()
        # A code is useless once expired (a used one is deleted when it is used).
        result.email_codes, _ = EmailCode.objects.filter(valid_until__lt=now).delete()
    result.cache_entries = _purge_database_cache(now)
    if any(result.as_dict().values()):
        log_event(Action.DATA_PURGED, **result.as_dict())
    return result


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
