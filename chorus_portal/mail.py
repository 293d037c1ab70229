"""Mail delivery: templated mails sent by a background task, and the
development outbox that keeps every mail as a file a person can read."""

from __future__ import annotations

import re
import secrets
from pathlib import Path

from django.conf import settings
from django.core.mail import EmailMultiAlternatives
from django.core.mail.backends.console import EmailBackend as ConsoleBackend
from django.template.loader import render_to_string
from django.utils import timezone, translation
from django_tasks import task

from .text import without_refused

_HEADER_BREAK = re.compile(r"[\r\n]")


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
    # A subject is one header line: nothing a user typed may add another.
    subject = " ".join(_HEADER_BREAK.sub(" ", subject).split())
    return f"{settings.ACCOUNT_EMAIL_SUBJECT_PREFIX}{subject}", body


@task()
def send_rendered_mail(*, to: list[str], subject: str, body: str, html: str = "") -> None:
    message = EmailMultiAlternatives(subject=subject, body=body, to=to)
    if html:
        message.attach_alternative(html, "text/html")
    message.send()


def queue_rendered_mail(*, to: list[str], subject: str, body: str, html: str = "") -> None:
    """Hand a rendered mail to the task queue; the request never waits for SMTP."""
    for address in to:
        if _HEADER_BREAK.search(address):
            raise ValueError("A recipient address cannot contain a line break.")
    subject = " ".join(_HEADER_BREAK.sub(" ", subject).split())
    send_rendered_mail.enqueue(to=list(to), subject=subject, body=body, html=html)


def queue_mail(*, to: str, template_prefix: str, context: dict, language: str) -> None:
    """Render `<prefix>_subject.txt`/`_body.txt` in the recipient's language and queue it."""
    subject, body = render_mail(template_prefix, context, language)
    queue_rendered_mail(to=[to], subject=subject, body=body)


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
