"""Mail that is never lost: queued with the change that causes it, sent by a worker.

`queue_mail` (a template in the recipient's language) and `queue_rendered_mail`
(a subject and text already written) write an `OutgoingMail` row and hand its
id to the `deliver_mails` task:

* with the database task backend (production), the row and the task are
  written in the caller's transaction: a change that rolls back leaves no
  mail, and a committed change always has its mail queued;
* with the in-process backend (`make run`, the tests), the task runs when the
  caller's transaction commits.

`deliver_mails` moves each mail queued → sending → sent with conditional
updates, so a mail is handed to the SMTP server at most once. When the server
fails, the mail goes back to queued and a new task is queued for it with
`run_after` (15 s, then doubling up to 30 min); after MAIL_GIVE_UP_AFTER it is
given up and shows as such in the admin. `manage.py sweep_mail` finishes what
a killed worker left behind.

Every mail has a text part and an HTML part: the text wrapped in the portal's
layout (templates/mail/base.html), made when it is sent.
"""

from __future__ import annotations

import logging
import re
import secrets
import smtplib
from collections.abc import Iterable, Sequence
from datetime import timedelta
from functools import partial
from pathlib import Path

from django.conf import settings
from django.core.mail import EmailMultiAlternatives, get_connection
from django.core.mail.backends.console import EmailBackend as ConsoleBackend
from django.db import transaction
from django.db.models import F, Q
from django.template.loader import render_to_string
from django.utils import timezone, translation
from django.utils.html import escape
from django.utils.safestring import mark_safe
from django_tasks import task

from .models import MailStatus, OutgoingMail
from .text import without_refused

logger = logging.getLogger(__name__)

_HEADER_BREAK = re.compile(r"[\r\n]")


class MailPriority:
    """Task priorities: a login code never waits behind a weekly summary."""

    CODE = 50
    NORMAL = 0
    NOTIFICATION = -10
    BULK = -50


# --- rendering ---------------------------------------------------------------------


def render_mail(template_prefix: str, context: dict, language: str) -> tuple[str, str]:
    """Render `<prefix>_subject.txt` and `<prefix>_body.txt` in `language`.

    Text quoted from the database (names, a refusal reason, a structure's name)
    loses any control or invisible character but its line breaks, so that even
    text stored before the forms refused them cannot reorder or hide a mail's words.
    """
    context = {
        key: without_refused(value, multiline=True) if isinstance(value, str) else value
        for key, value in context.items()
    }
    with translation.override(language):
        subject = render_to_string(f"{template_prefix}_subject.txt", context)
        body = render_to_string(f"{template_prefix}_body.txt", context)
    return portal_subject(subject), body


def one_line(subject: str) -> str:
    """A subject is one header line: nothing a user typed may add another."""
    return " ".join(_HEADER_BREAK.sub(" ", subject).split())


def portal_subject(subject: str) -> str:
    """One line, after the portal's prefix ("[Chorus Pro] ")."""
    return f"{settings.ACCOUNT_EMAIL_SUBJECT_PREFIX}{one_line(subject)}"


_URL = re.compile(r"https?://[^\s<>\"']+")
_PARAGRAPH_BREAK = re.compile(r"\n[ \t]*\n")
_P_STYLE = "margin:0 0 16px 0;font-size:16px;line-height:24px;color:#161616;"
_A_STYLE = "color:#000091;text-decoration:underline;"


def _link(match: re.Match) -> str:
    url = match.group(0)
    trail = ""
    while url and url[-1] in ".,;:!?)]":
        trail = url[-1] + trail
        url = url[:-1]
    return f'<a href="{url}" style="{_A_STYLE}">{url}</a>{trail}'


def text_to_html(text: str) -> str:
    """The text part as HTML paragraphs: escaped, line breaks kept, addresses as links."""
    paragraphs = [p for p in _PARAGRAPH_BREAK.split(text.replace("\r\n", "\n").strip()) if p]
    html = []
    for paragraph in paragraphs:
        lines = [_URL.sub(_link, str(escape(line.strip()))) for line in paragraph.split("\n")]
        html.append(f'<p style="{_P_STYLE}">' + "<br>".join(lines) + "</p>")
    return mark_safe("\n".join(html))  # noqa: S308 - every piece was escaped above


def render_html(body: str, *, subject: str, language: str) -> str:
    """The HTML part: the portal's layout around the text part."""
    with translation.override(language):
        return render_to_string(
            "mail/base.html",
            {
                "content": text_to_html(body),
                "subject": subject,
                "language": language,
                "base_url": settings.PORTAL_BASE_URL,
            },
        )


def _message(mail: OutgoingMail, connection) -> EmailMultiAlternatives:
    message = EmailMultiAlternatives(
        subject=mail.subject,
        body=mail.body,
        to=mail.recipients,
        connection=connection,
        headers={"Auto-Submitted": "auto-generated"},
    )
    html = mail.html or render_html(mail.body, subject=mail.subject, language=mail.language)
    message.attach_alternative(html, "text/html")
    return message


# --- queueing ----------------------------------------------------------------------


def build_mail(
    *,
    to: Sequence[str],
    subject: str,
    body: str,
    html: str = "",
    language: str | None = None,
    priority: int = MailPriority.NORMAL,
    give_up_after: timedelta | None = None,
    template: str = "",
) -> OutgoingMail:
    """An unsaved mail row, checked: for `queue_many`."""
    for address in to:
        if _HEADER_BREAK.search(address):
            raise ValueError("A recipient address cannot contain a line break.")
    if give_up_after is None:
        give_up_after = timedelta(seconds=settings.MAIL_GIVE_UP_AFTER)
    return OutgoingMail(
        to="\n".join(to),
        subject=one_line(subject),
        body=body,
        html=html,
        language=language or translation.get_language() or settings.LANGUAGE_CODE,
        template=template[:200],
        priority=priority,
        give_up_at=timezone.now() + give_up_after,
    )


def queue_rendered_mail(
    *,
    to: list[str],
    subject: str,
    body: str,
    html: str = "",
    language: str | None = None,
    priority: int = MailPriority.NORMAL,
    give_up_after: timedelta | None = None,
    template: str = "",
) -> OutgoingMail:
    """Queue a written mail in the current transaction; the request never waits for SMTP.

    `html`: a complete HTML part; when empty, the text in the portal's layout.
    `give_up_after`: how long to keep trying (a login code is useless after 10 minutes).
    """
    mail = build_mail(
        to=to,
        subject=subject,
        body=body,
        html=html,
        language=language,
        priority=priority,
        give_up_after=give_up_after,
        template=template,
    )
    _queue([mail], priority)
    return mail


def queue_mail(
    *,
    to: str,
    template_prefix: str,
    context: dict,
    language: str,
    priority: int = MailPriority.NORMAL,
    give_up_after: timedelta | None = None,
) -> OutgoingMail:
    """Render `<prefix>_subject.txt`/`_body.txt` in the recipient's language and queue it."""
    subject, body = render_mail(template_prefix, context, language)
    return queue_rendered_mail(
        to=[to],
        subject=subject,
        body=body,
        language=language,
        priority=priority,
        give_up_after=give_up_after,
        template=template_prefix,
    )


def queue_many(mails: Iterable[OutgoingMail], *, priority: int = MailPriority.BULK) -> int:
    """Queue many mails built with `build_mail` at once: one insert, one task per batch."""
    mails = list(mails)
    if mails:
        _queue(mails, priority)
    return len(mails)


def _queue(mails: list[OutgoingMail], priority: int) -> None:
    # The rows and their tasks commit together (and with the caller's change: inside the
    # caller's transaction no savepoint of its own, an error undoes the caller's work too).
    with transaction.atomic(savepoint=False):
        if len(mails) == 1:
            mails[0].save()
        else:
            OutgoingMail.objects.bulk_create(mails)
        ids = [mail.pk for mail in mails]
        size = settings.MAIL_BATCH_SIZE
        for start in range(0, len(ids), size):
            _dispatch(ids[start : start + size], priority)


def _uses_database_queue(backend) -> bool:
    from django_tasks_db import DatabaseBackend

    return isinstance(backend, DatabaseBackend)


def _after_commit(func) -> None:
    """Run `func` once the current transaction commits (now, outside one)."""
    transaction.on_commit(func, robust=True)


def _dispatch(ids: list[int], priority: int, *, run_after=None) -> None:
    """Hand mail ids to a delivery task: in the transaction when the queue is in the
    database, after the commit otherwise (the task would run before the rows exist)."""
    delivery = deliver_mails.using(priority=priority)
    backend = delivery.get_backend()
    if run_after is not None:
        if backend.supports_defer:
            delivery.using(run_after=run_after).enqueue(ids)
        # Without a worker nothing waits: `manage.py sweep_mail` sends it when due.
        return
    if _uses_database_queue(backend):
        delivery.enqueue(ids)
    else:
        _after_commit(partial(delivery.enqueue, ids))


# --- delivery ------------------------------------------------------------------------


@task()
def deliver_mails(mail_ids: list[int]) -> dict:
    """Send the given mails that are still queued; see the module's docstring."""
    return deliver(mail_ids)


def deliver(mail_ids: Sequence[int]) -> dict:
    counts = {"sent": 0, "retry": 0, "failed": 0, "skipped": 0}
    connection = None
    ids = list(mail_ids)
    try:
        for index, mail_id in enumerate(ids):
            mail = _claim(mail_id)
            if mail is None:
                counts["skipped"] += 1
                continue
            try:
                if connection is None:
                    connection = get_connection()
                    connection.open()
                if not connection.send_messages([_message(mail, connection)]):
                    raise smtplib.SMTPException("The mail backend sent nothing.")
            except Exception as error:  # every failure is recorded
                _close(connection)
                connection = None
                if _permanent(error):
                    _give_up(mail, _describe(error))
                    counts["failed"] += 1
                    continue
                # The server itself is unavailable: the rest of the batch waits too.
                rest = [] if _about_this_mail(error) else ids[index + 1 :]
                _retry_later(mail, error, rest)
                counts["retry"] += 1 + len(rest)
                if rest:
                    break
            else:
                _mark_sent(mail)
                counts["sent"] += 1
    finally:
        _close(connection)
    return counts


def _claim(mail_id: int) -> OutgoingMail | None:
    now = timezone.now()
    claimed = (
        OutgoingMail.objects.filter(pk=mail_id, status=MailStatus.QUEUED)
        .filter(Q(next_attempt_at__isnull=True) | Q(next_attempt_at__lte=now))
        .update(status=MailStatus.SENDING, attempts=F("attempts") + 1, last_attempt_at=now)
    )
    if not claimed:
        return None
    return OutgoingMail.objects.get(pk=mail_id)


def _mark_sent(mail: OutgoingMail) -> None:
    OutgoingMail.objects.filter(pk=mail.pk, status=MailStatus.SENDING).update(
        status=MailStatus.SENT,
        sent_at=timezone.now(),
        next_attempt_at=None,
        last_error="",
        body="",
        html="",
    )


def _give_up(mail: OutgoingMail, reason: str) -> None:
    OutgoingMail.objects.filter(pk=mail.pk).update(
        status=MailStatus.FAILED, next_attempt_at=None, last_error=reason, body="", html=""
    )
    logger.warning("Mail %s given up after %s attempts: %s", mail.pk, mail.attempts, reason)


def retry_delay(attempts: int) -> timedelta:
    seconds = settings.MAIL_RETRY_FIRST_DELAY * 2 ** max(attempts - 1, 0)
    return timedelta(seconds=min(seconds, settings.MAIL_RETRY_MAX_DELAY))


def _retry_later(mail: OutgoingMail, error: BaseException, rest: list[int]) -> None:
    now = timezone.now()
    if now >= mail.give_up_at:
        _give_up(mail, _describe(error))
    else:
        next_at = min(now + retry_delay(mail.attempts), mail.give_up_at)
        with transaction.atomic():
            OutgoingMail.objects.filter(pk=mail.pk, status=MailStatus.SENDING).update(
                status=MailStatus.QUEUED, next_attempt_at=next_at, last_error=_describe(error)
            )
            if rest:
                OutgoingMail.objects.filter(pk__in=rest, status=MailStatus.QUEUED).update(
                    next_attempt_at=next_at
                )
            _dispatch([mail.pk, *rest], mail.priority, run_after=next_at)
        logger.info("Mail %s not sent (%s); next attempt at %s", mail.pk, error, next_at)
        return
    if rest:
        # The mails behind it were not tried: they go again at once.
        with transaction.atomic():
            _dispatch(rest, mail.priority, run_after=now)


def _about_this_mail(error: BaseException) -> bool:
    """The server answered about this message (a recipient refused, data refused)."""
    return isinstance(error, smtplib.SMTPRecipientsRefused | smtplib.SMTPDataError)


def _permanent(error: BaseException) -> bool:
    """A 5xx answer about this very mail, or a fault in the mail itself: no retry helps."""
    if isinstance(error, smtplib.SMTPRecipientsRefused):
        return all(code >= 500 for code, _ in error.recipients.values())
    if isinstance(error, smtplib.SMTPDataError):
        return error.smtp_code >= 500
    return not isinstance(error, OSError | smtplib.SMTPException)


def _describe(error: BaseException) -> str:
    return f"{type(error).__name__}: {error}"[:1000]


def _close(connection) -> None:
    if connection is None:
        return
    try:
        connection.close()
    except Exception:  # noqa: S110 - the mail is already accepted or recorded
        pass


# --- what a killed worker leaves behind -------------------------------------------


def sweep(now=None) -> dict:
    """Finish what a lost worker left, send due mails when there is no worker, prune.

    * a delivery task still "running" after MAIL_STALE_AFTER lost its worker: it is
      marked failed and its mails still queued get a new task; when no delivery task is
      due or running, queued mails overdue by MAIL_STALE_AFTER get one too;
    * a mail still "being sent" after MAIL_STALE_AFTER may or may not have left:
      it is given up (never sent twice), visibly;
    * without a task worker (in-process backend), queued mails that are due are sent;
    * sent and given-up mails older than 30 days are deleted.
    """
    now = now or timezone.now()
    stale = now - timedelta(seconds=settings.MAIL_STALE_AFTER)
    done = {"requeued": 0, "interrupted": 0, "sent_now": 0, "pruned": 0}
    backend = deliver_mails.get_backend()
    if _uses_database_queue(backend):
        from django_tasks_db.models import DBTaskResult

        lost = DBTaskResult.objects.filter(
            task_path=deliver_mails.module_path, status="RUNNING", started_at__lt=stale
        )
        for result in lost:
            with transaction.atomic():
                result.set_failed(RuntimeError("The worker running this task was lost."))
                ids = list(result.args_kwargs.get("args", [[]])[0] or [])
                ids += list(result.args_kwargs.get("kwargs", {}).get("mail_ids", []))
                if ids:
                    _dispatch(ids, result.priority)
                    done["requeued"] += len(ids)
        # Mails left queued with no task at all (their task failed on a database error):
        # when nothing is due or running, whatever is overdue gets a task again.
        busy = DBTaskResult.objects.filter(task_path=deliver_mails.module_path).filter(
            Q(status="RUNNING") | Q(pk__in=DBTaskResult.objects.ready().values("pk"))
        )
        if not busy.exists():
            orphans = list(
                OutgoingMail.objects.filter(status=MailStatus.QUEUED)
                .filter(
                    Q(next_attempt_at__lt=stale)
                    | Q(next_attempt_at__isnull=True, created_at__lt=stale)
                )
                .order_by("-priority", "id")
                .values_list("pk", "priority")[:10_000]
            )
            for start in range(0, len(orphans), settings.MAIL_BATCH_SIZE):
                chunk = orphans[start : start + settings.MAIL_BATCH_SIZE]
                with transaction.atomic():
                    _dispatch([pk for pk, _ in chunk], chunk[0][1])
                done["requeued"] += len(chunk)
    interrupted = OutgoingMail.objects.filter(status=MailStatus.SENDING, last_attempt_at__lt=stale)
    done["interrupted"] = interrupted.update(
        status=MailStatus.FAILED,
        last_error="Interrupted while being sent: it may have left, so it is not sent again.",
        body="",
        html="",
    )
    if not backend.supports_defer:
        due = OutgoingMail.objects.filter(status=MailStatus.QUEUED).filter(
            Q(next_attempt_at__lte=now) | Q(next_attempt_at__isnull=True, created_at__lt=stale)
        )
        ids = list(due.order_by("-priority", "id").values_list("pk", flat=True)[:10_000])
        for start in range(0, len(ids), settings.MAIL_BATCH_SIZE):
            done["sent_now"] += deliver(ids[start : start + settings.MAIL_BATCH_SIZE])["sent"]
    done["pruned"] = OutgoingMail.objects.filter(
        status__in=[MailStatus.SENT, MailStatus.FAILED], created_at__lt=now - timedelta(days=30)
    ).delete()[0]
    return done


@task()
def send_rendered_mail(*, to: list[str], subject: str, body: str, html: str = "") -> None:
    """Tasks queued before the mail queue existed still reach it."""
    queue_rendered_mail(to=to, subject=subject, body=body, html=html)


class OutboxBackend(ConsoleBackend):
    """Development mail: printed to the console and kept in OUTBOX_DIR as .eml files."""

    def send_messages(self, email_messages):
        sent = super().send_messages(email_messages)
        outbox = Path(settings.OUTBOX_DIR)
        outbox.mkdir(parents=True, exist_ok=True)
        for message in email_messages:
            stamp = timezone.now().strftime("%Y%m%dT%H%M%S%f")
            name = f"{stamp}-{secrets.token_hex(4)}.eml"
            (outbox / name).write_bytes(message.message().as_bytes())
        return sent
