"""Mail that is never lost: queued with its change, sent once, retried, given up visibly."""

from __future__ import annotations

from datetime import timedelta

import pytest
import time_machine
from django.db import transaction
from django.urls import reverse
from django.utils import timezone
from django_tasks_db.models import DBTaskResult

from affiliations.models import Role
from chorus_portal.mail import deliver_mails, queue_mail, queue_rendered_mail, sweep
from chorus_portal.models import MailStatus, OutgoingMail
from tests.conftest import CODE_RE, make_user, password_login
from tests.factories import attach, make_structure, pending_request
from tests.mailqueue import SMTPServer, run_worker, use_database_tasks, use_smtp


def _html(message) -> str:
    return next(content for content, kind in message.alternatives if kind == "text/html")


# --- HTML and text --------------------------------------------------------------------


@pytest.mark.django_db
def test_every_mail_has_a_text_part_and_the_portal_html_layout(alice, mailoutbox):
    alice.first_name = "<b>Alice</b> & co"
    alice.save()
    queue_mail(
        to=alice.email,
        template_prefix="accounts/email/login_locked",
        context={"name": alice.first_name, "failures": 100},
        language="en",
    )
    message = mailoutbox[-1]
    assert message.subject.startswith("[Chorus Pro] ")
    assert "<b>Alice</b> & co" in message.body  # the text part is plain text
    html = _html(message)
    assert '<html lang="en">' in html
    assert "République<br>française" in html and "#000091" in html
    assert "&lt;b&gt;Alice&lt;/b&gt; &amp; co" in html  # escaped, never markup
    assert "<b>Alice</b>" not in html
    assert "please do not reply" in html
    assert message.extra_headers["Auto-Submitted"] == "auto-generated"


@pytest.mark.django_db
def test_links_in_the_text_become_links_in_the_html(alice, mailoutbox):
    queue_rendered_mail(
        to=[alice.email],
        subject="Links",
        body="First line\nsee https://example.org/a?b=1&c=2.\n\nSecond paragraph",
        language="fr",
    )
    html = _html(mailoutbox[-1])
    assert '<a href="https://example.org/a?b=1&amp;c=2"' in html
    assert "</a>." in html  # the full stop stays outside the link
    assert "First line<br>see" in html and ">Second paragraph</p>" in html
    assert "Ce courriel a été envoyé automatiquement" in html


@pytest.mark.django_db
def test_the_login_code_is_in_the_body_never_in_the_subject(client, alice, mailoutbox):
    password_login(client, alice.email)
    message = mailoutbox[-1]
    code = CODE_RE.search(message.body).group(1)
    assert code not in message.subject
    assert code in _html(message)
    mail = OutgoingMail.objects.get(template="mfa/email/login_code")
    assert mail.status == MailStatus.SENT and mail.priority > 0
    assert mail.body == "" and code not in str(mail.__dict__)  # the code does not stay


# --- queued with the change -----------------------------------------------------------


@pytest.mark.django_db
def test_a_change_that_rolls_back_sends_no_mail(alice, mailoutbox):
    with pytest.raises(RuntimeError), transaction.atomic():
        queue_rendered_mail(to=[alice.email], subject="Never", body="x")
        raise RuntimeError
    assert mailoutbox == []
    assert not OutgoingMail.objects.exists()
    with transaction.atomic():
        queue_rendered_mail(to=[alice.email], subject="Kept", body="x")
        assert mailoutbox == []  # not before the commit
    assert [m.subject for m in mailoutbox] == ["Kept"]


@pytest.mark.django_db
def test_with_the_database_queue_the_task_is_written_in_the_same_transaction(
    settings, alice, mailoutbox
):
    use_database_tasks(settings)
    with pytest.raises(RuntimeError), transaction.atomic():
        queue_rendered_mail(to=[alice.email], subject="Never", body="x")
        raise RuntimeError
    assert not DBTaskResult.objects.exists() and not OutgoingMail.objects.exists()
    with transaction.atomic():
        mail = queue_rendered_mail(to=[alice.email], subject="Kept", body="x")
    task = DBTaskResult.objects.get()
    assert task.args_kwargs["args"] == [[mail.pk]]
    assert "x" not in str(task.args_kwargs)  # the task carries ids, never a mail's text
    assert mailoutbox == []  # the worker sends it


# --- SMTP down, then up -------------------------------------------------------------


@pytest.fixture
def smtp(settings):
    server = SMTPServer()
    use_smtp(settings, server)
    use_database_tasks(settings)
    yield server
    server.stop()


@pytest.mark.django_db(transaction=True)
def test_smtp_down_then_up_every_mail_arrives_exactly_once(client_factory, smtp):
    alice = make_user("alice@example.fr", first_name="Alice")
    bob = make_user("bob@example.fr", first_name="Bob")
    manager = make_user("claire@example.fr", first_name="Claire")
    structure = make_structure("Mairie de Lyon")
    attach(manager, structure, role=Role.MAIN_MANAGER)
    req = pending_request(bob, structure)
    # The server is down (nothing listens on its port) while people act.
    password_login(client_factory(), alice.email)
    from tests.conftest import verify_session

    manager_client = client_factory()
    verify_session(manager_client, manager)
    response = manager_client.post(reverse("affiliations:requests-decide"), {"approve": req.pk})
    assert response.status_code == 302  # the action succeeded
    queue_rendered_mail(to=[alice.email, bob.email], subject="Two people", body="Hello both")
    expected = {
        (alice.email, "code"),
        (bob.email, "request"),
        (alice.email, "Two people"),
        (bob.email, "Two people"),
    }

    run_worker()
    assert smtp.mailbox.messages == []
    assert set(OutgoingMail.objects.values_list("status", flat=True)) == {MailStatus.QUEUED}
    assert all(m.attempts == 1 and m.last_error for m in OutgoingMail.objects.all())

    smtp.start()
    with time_machine.travel(timezone.now() + timedelta(hours=1), tick=False):
        run_worker()
        run_worker()  # a second pass finds nothing left to send
    received = smtp.mailbox.messages
    assert len(received) == 3  # one mail carries both addresses
    got = set()
    for message in received:
        subject, text = str(message["Subject"]), smtp.mailbox.text(message)
        label = subject.removeprefix("[Chorus Pro] ")
        if CODE_RE.search(text):
            label = "code"
        elif f"{req.pk}" in subject:
            label = "request"
        for address in str(message["To"]).split(", "):
            got.add((address, label))
        assert message.get_content_type() == "multipart/alternative"
        assert "République" in smtp.mailbox.html(message)
    assert got == expected
    assert set(OutgoingMail.objects.values_list("status", flat=True)) == {MailStatus.SENT}
    assert not DBTaskResult.objects.filter(status="FAILED").exists()


@pytest.mark.django_db(transaction=True)
def test_a_mail_given_up_after_its_time_shows_in_the_admin(client_factory, smtp):
    staff = make_user("staff@example.fr", staff=True)
    mail = queue_rendered_mail(to=["x@example.fr"], subject="Lost cause", body="secret text")
    run_worker()
    later = timezone.now()
    for hours in (1, 6, 12, 24, 36, 48, 49):
        with time_machine.travel(later + timedelta(hours=hours), tick=False):
            run_worker()
    mail.refresh_from_db()
    assert mail.status == MailStatus.FAILED
    assert mail.attempts > 3 and "Connection" in mail.last_error
    assert mail.body == ""
    assert smtp.mailbox.messages == []
    from tests.conftest import verify_session

    client = client_factory()
    verify_session(client, staff)
    page = client.get(reverse("admin:chorus_portal_outgoingmail_changelist") + "?status=failed")
    assert page.status_code == 200
    assert "Lost cause" in page.text and "x@example.fr" in page.text
    assert (
        "secret text"
        not in client.get(reverse("admin:chorus_portal_outgoingmail_change", args=[mail.pk])).text
    )


@pytest.mark.django_db(transaction=True)
def test_two_tasks_for_one_mail_send_it_once(smtp):
    smtp.start()
    mail = queue_rendered_mail(to=["once@example.fr"], subject="Once", body="x")
    deliver_mails.enqueue([mail.pk])  # a duplicate task, as after a lost worker
    assert run_worker() == 2
    assert len(smtp.mailbox.to("once@example.fr")) == 1


@pytest.mark.django_db(transaction=True)
def test_sweep_requeues_the_mails_of_a_lost_worker_and_never_resends_an_interrupted_one(
    smtp,
):
    smtp.start()
    queue_rendered_mail(to=["waiting@example.fr"], subject="Waiting", body="x")
    interrupted = queue_rendered_mail(to=["maybe@example.fr"], subject="Maybe", body="x")
    # A worker claimed both tasks, began sending the second mail, and died.
    DBTaskResult.objects.update(status="RUNNING", started_at=timezone.now())
    OutgoingMail.objects.filter(pk=interrupted.pk).update(
        status=MailStatus.SENDING, attempts=1, last_attempt_at=timezone.now()
    )
    with time_machine.travel(timezone.now() + timedelta(hours=2), tick=False):
        done = sweep()
        run_worker()
    assert done["requeued"] == 2 and done["interrupted"] == 1
    assert len(smtp.mailbox.to("waiting@example.fr")) == 1
    assert smtp.mailbox.to("maybe@example.fr") == []
    interrupted.refresh_from_db()
    assert interrupted.status == MailStatus.FAILED and "not sent again" in interrupted.last_error


@pytest.mark.django_db(transaction=True)
def test_sweep_gives_a_task_to_mails_left_without_one(smtp):
    smtp.start()
    mail = queue_rendered_mail(to=["orphan@example.fr"], subject="Orphan", body="x")
    # Its task failed on a database error before the mail was claimed.
    DBTaskResult.objects.update(status="FAILED", finished_at=timezone.now())
    assert sweep()["requeued"] == 0  # not overdue yet
    with time_machine.travel(timezone.now() + timedelta(hours=2), tick=False):
        assert sweep()["requeued"] == 1
        assert sweep()["requeued"] == 0  # it has a due task now
        run_worker()
    mail.refresh_from_db()
    assert mail.status == MailStatus.SENT
    assert len(smtp.mailbox.to("orphan@example.fr")) == 1


@pytest.mark.django_db
def test_without_a_worker_the_sweep_sends_what_failed(settings, alice, mailoutbox, monkeypatch):
    from django.core.mail.backends.locmem import EmailBackend

    def refuse(self, messages):
        raise ConnectionRefusedError("down")

    with monkeypatch.context() as patch:
        patch.setattr(EmailBackend, "send_messages", refuse)
        mail = queue_rendered_mail(to=[alice.email], subject="Later", body="x")
    mail.refresh_from_db()
    assert mail.status == MailStatus.QUEUED and mail.next_attempt_at is not None
    with time_machine.travel(timezone.now() + timedelta(minutes=5), tick=False):
        assert sweep()["sent_now"] == 1
        assert sweep()["sent_now"] == 0
    assert [m.subject for m in mailoutbox] == ["Later"]


def test_a_recipient_with_a_line_break_is_refused():
    with pytest.raises(ValueError):
        queue_rendered_mail(to=["a@example.fr\r\nBcc: evil@example.org"], subject="x", body="x")
