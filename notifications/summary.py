"""The weekly summary: each subscriber gets, for each of their structures, last
week's movements read from the activity log.

Built for a million accounts: people are read in batches by increasing id (a
fixed number of queries per batch, none per person), each structure's week is
read once and kept in a bounded cache, and each batch's mails are queued in the
same transaction as its `SummarySent` markers — so a second run in the same
week, or a run restarted after a crash, never mails anyone twice.
"""

from __future__ import annotations

from collections import OrderedDict, defaultdict
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta

from django.conf import settings
from django.db import IntegrityError, transaction
from django.db.models import Count, Exists, F, OuterRef, Window
from django.db.models.fields.json import KeyTextTransform
from django.db.models.functions import RowNumber
from django.template.loader import get_template
from django.utils import timezone, translation
from django.utils.formats import date_format
from django.utils.translation import gettext as _
from django_tasks import task

from activity.models import Action, ActivityLog
from activity.services import log_event
from affiliations.models import Affiliation, AffiliationStatus, Role, Structure
from authorizations.models import Application, Authorization, Level, profile_label
from chorus_portal.mail import MailPriority, build_mail, portal_subject, queue_many
from chorus_portal.text import without_refused

from .models import NotificationApplication, SummarySent

# What the summary counts, by activity-log action.
COUNTED = {
    Action.AFFILIATION_GRANTED: "joined",
    Action.AFFILIATION_DETACHED: "detached",
    Action.ROLE_TRANSFERRED: "role",
    Action.PROFILE_GRANTED: "profiles",
    Action.PROFILE_CHANGED: "profiles",
    Action.PROFILE_REMOVED: "profiles",
    Action.REQUEST_APPROVED: "approved",
    Action.REQUEST_REFUSED: "refused",
    Action.NOTIFICATION_PUBLISHED: "notifications",
}
# Managers also read who moved: at most this many lines per structure.
LINES_PER_STRUCTURE = 10
STRUCTURES_CACHED = 5000
# Where a person's name and parts go in the frame rendered once per language.
_NAME = "\x00name\x00"
_SECTIONS = "\x00sections\x00"


def last_week(today: date | None = None) -> date:
    """The Monday of the last complete week (Monday to Sunday, the portal's time zone)."""
    today = today or timezone.localdate()
    return today - timedelta(days=today.weekday() + 7)


def week_bounds(week: date) -> tuple[datetime, datetime]:
    zone = timezone.get_current_timezone()
    start = datetime.combine(week, time.min, tzinfo=zone)
    return start, datetime.combine(week + timedelta(days=7), time.min, tzinfo=zone)


@dataclass
class StructureWeek:
    """One structure's week: counts for everyone, named lines for its managers."""

    name: str
    identifier: str
    counts: dict[str, int] = field(default_factory=dict)
    notifications: dict[str, int] = field(default_factory=dict)
    lines: list[tuple] = field(default_factory=list)
    rendered: dict[tuple[str, bool], str] = field(default_factory=dict)

    @property
    def moved(self) -> bool:
        return bool(self.counts)

    def render(self, language: str, manager: bool) -> str:
        """The structure's part of a mail (cached: rendered once per language and role)."""
        key = (language, manager)
        if key not in self.rendered:
            self.rendered[key] = get_template("notifications/email/_summary_structure.txt").render(
                {
                    "name": self.name,
                    "identifier": self.identifier,
                    "counts": self.counts,
                    "notifications": [
                        (str(NotificationApplication(app).label), count)
                        for app, count in sorted(self.notifications.items())
                        if app in NotificationApplication.values
                    ],
                    "lines": [_describe(*line) for line in self.lines] if manager else [],
                    "more": max(0, sum(self._line_counts()) - len(self.lines)) if manager else 0,
                }
            )
        return self.rendered[key]

    def _line_counts(self):
        return [n for key, n in self.counts.items() if key != "notifications"]


def _person(first: str | None, last: str | None, email: str | None) -> str:
    name = " ".join(part for part in (first, last) if part).strip()
    return without_refused(name or email or _("someone"))


def _describe(action, detail, first, last, email, when) -> str:
    person = _person(first, last, email)
    day = date_format(timezone.localtime(when), "SHORT_DATE_FORMAT")
    detail = detail or {}
    profile = ""
    if detail.get("application") in Application.values and detail.get("level") in Level.values:
        profile = profile_label(detail["application"], detail["level"])
    texts = {
        Action.AFFILIATION_GRANTED: _("%(person)s was attached"),
        Action.AFFILIATION_DETACHED: _("%(person)s was detached"),
        Action.ROLE_TRANSFERRED: _("%(person)s became the main manager"),
        Action.PROFILE_GRANTED: _("%(person)s received %(profile)s"),
        Action.PROFILE_CHANGED: _("%(person)s now holds %(profile)s"),
        Action.PROFILE_REMOVED: _("%(person)s lost %(profile)s"),
        Action.REQUEST_APPROVED: _("request #%(request)s of %(person)s approved"),
        Action.REQUEST_REFUSED: _("request #%(request)s of %(person)s refused"),
    }
    text = texts[action] % {
        "person": person,
        "profile": profile,
        "request": detail.get("request_id", "?"),
    }
    return f"{day} · {text}"


class StructureWeeks:
    """The weeks of the structures met so far, read in bulk and kept in a bounded cache."""

    def __init__(self, start: datetime, end: datetime, limit: int = STRUCTURES_CACHED):
        self.start, self.end, self.limit = start, end, limit
        self.cache: OrderedDict[int, StructureWeek] = OrderedDict()

    def get(self, structure_id: int) -> StructureWeek | None:
        week = self.cache.get(structure_id)
        if week is not None:
            self.cache.move_to_end(structure_id)
        return week

    def load(self, structure_ids: set[int]) -> None:
        missing = [pk for pk in structure_ids if pk not in self.cache]
        if not missing:
            return
        weeks = {
            pk: StructureWeek(name=name, identifier=identifier)
            for pk, name, identifier in Structure.objects.filter(pk__in=missing).values_list(
                "pk", "company_name", "identifier"
            )
        }
        log = ActivityLog.objects.filter(
            structure_id__in=missing,
            created_at__gte=self.start,
            created_at__lt=self.end,
            action__in=list(COUNTED),
        )
        counts = log.values("structure_id", "action").annotate(n=Count("id")).order_by()
        for row in counts:
            week = weeks.get(row["structure_id"])
            if week is not None:
                key = COUNTED[row["action"]]
                week.counts[key] = week.counts.get(key, 0) + row["n"]
        apps = (
            log.filter(action=Action.NOTIFICATION_PUBLISHED)
            .annotate(app=KeyTextTransform("application", "detail"))
            .values("structure_id", "app")
            .annotate(n=Count("id"))
            .order_by()
        )
        for row in apps:
            week = weeks.get(row["structure_id"])
            if week is not None and row["app"]:
                week.notifications[row["app"]] = row["n"]
        lines = (
            log.exclude(action=Action.NOTIFICATION_PUBLISHED)
            .annotate(
                rank=Window(
                    RowNumber(),
                    partition_by=[F("structure_id")],
                    order_by=[F("created_at").asc(), F("id").asc()],
                )
            )
            .filter(rank__lte=LINES_PER_STRUCTURE)
            .order_by("structure_id", "created_at", "id")
            .values_list(
                "structure_id",
                "action",
                "detail",
                "subject__first_name",
                "subject__last_name",
                "subject__email",
                "created_at",
            )
        )
        for structure_id, *line in lines:
            week = weeks.get(structure_id)
            if week is not None:
                week.lines.append(tuple(line))
        for pk, week in weeks.items():
            self.cache[pk] = week
        while len(self.cache) > self.limit:
            self.cache.popitem(last=False)


@dataclass
class SummaryRun:
    week: date
    mailed: int = 0
    people: int = 0
    batches: int = 0


def send_weekly_summaries(
    *,
    week: date | None = None,
    batch_size: int | None = None,
    progress: Callable[[int, int], None] | None = None,
) -> SummaryRun:
    """Queue last week's summary for every subscriber who has not had it yet."""
    week = week or last_week()
    batch_size = batch_size or settings.WEEKLY_SUMMARY_BATCH_SIZE
    start, end = week_bounds(week)
    run = SummaryRun(week=week)
    from accounts.models import User

    waiting = User.objects.filter(is_active=True, notify_weekly_summary=True).exclude(
        Exists(SummarySent.objects.filter(user=OuterRef("pk"), week=week))
    )
    total = waiting.count() if progress else 0
    weeks = StructureWeeks(start, end)
    frame = get_template("notifications/email/weekly_summary_body.txt")
    subjects: dict[str, str] = {}
    frames: dict[tuple[str, bool], str] = {}
    last_pk = 0
    conflicts = 0
    while True:
        people = list(
            waiting.filter(pk__gt=last_pk)
            .order_by("pk")
            .values_list("pk", "email", "first_name", "last_name", "language")[:batch_size]
        )
        if not people:
            break
        ids = [person[0] for person in people]
        memberships: dict[int, list[tuple[int, bool]]] = defaultdict(list)
        delegated = set(
            Authorization.objects.filter(
                user_id__in=ids,
                application=Application.ORGANISATION,
                level=Level.MODIFICATION,
                service__isnull=True,
            ).values_list("user_id", "structure_id")
        )
        for user_id, structure_id, role in Affiliation.objects.filter(
            user_id__in=ids, status=AffiliationStatus.ACTIVE
        ).values_list("user_id", "structure_id", "role"):
            manager = role == Role.MAIN_MANAGER or (user_id, structure_id) in delegated
            memberships[user_id].append((structure_id, manager))
        weeks.load({pk for rows in memberships.values() for pk, _manager in rows})
        mails, markers = [], []
        for pk, email, first, last, language in people:
            with translation.override(language):
                parts = []
                manages = False
                for structure_id, manager in memberships.get(pk, []):
                    structure_week = weeks.get(structure_id)
                    if structure_week is None or not structure_week.moved:
                        continue
                    parts.append((structure_week.name, structure_week.render(language, manager)))
                    manages = manages or manager
                if not parts:
                    continue
                if language not in subjects:
                    subjects[language] = portal_subject(
                        _("Weekly summary: week of %(day)s")
                        % {"day": date_format(week, "SHORT_DATE_FORMAT")}
                    )
                if (language, manages) not in frames:
                    # The frame is rendered once per language and role, with markers
                    # where each person's name and parts go.
                    frames[language, manages] = frame.render(
                        {
                            "name": _NAME,
                            "week_start": week,
                            "week_end": week + timedelta(days=6),
                            "sections": [_SECTIONS],
                            "manages": manages,
                            "users_url": f"{settings.PORTAL_BASE_URL}/users/",
                            "account_url": f"{settings.PORTAL_BASE_URL}/account/",
                        }
                    )
                body = (
                    frames[language, manages]
                    .replace(_NAME, _person(first, last, email), 1)
                    .replace(_SECTIONS, "\n\n".join(t.strip() for _n, t in sorted(parts)), 1)
                )
            mails.append(
                build_mail(
                    to=[email],
                    subject=subjects[language],
                    body=body,
                    language=language,
                    priority=MailPriority.BULK,
                    template="notifications/email/weekly_summary",
                )
            )
            markers.append(SummarySent(user_id=pk, week=week))
        try:
            with transaction.atomic():
                SummarySent.objects.bulk_create(markers)
                queue_many(mails, priority=MailPriority.BULK)
        except IntegrityError:
            # Another run marked some of these people meanwhile: read the batch again
            # (the query leaves out whoever is marked now).
            conflicts += 1
            if conflicts > 3:
                raise
            continue
        conflicts = 0
        last_pk = ids[-1]
        run.mailed += len(mails)
        run.people += len(people)
        run.batches += 1
        if progress:
            progress(run.people, total)
    log_event(Action.SUMMARIES_QUEUED, week=week.isoformat(), mailed=run.mailed)
    return run


@task(priority=MailPriority.BULK)
def send_weekly_summaries_task(week: str | None = None) -> int:
    """The same as `manage.py send_weekly_summary`, for a scheduler that queues tasks."""
    run = send_weekly_summaries(week=date.fromisoformat(week) if week else None)
    return run.mailed
