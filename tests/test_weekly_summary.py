"""The weekly summary: its content, sent once a week per person, even after a crash."""

from __future__ import annotations

from datetime import date, datetime
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.core.management import call_command
from django.db import connection
from django.test.utils import CaptureQueriesContext

from activity.models import Action
from activity.services import log_event
from affiliations.models import Role
from authorizations.models import Application, Authorization, Level
from notifications import summary
from notifications.models import SummarySent
from notifications.services import publish_event
from tests.conftest import make_user
from tests.factories import attach, make_structure

pytestmark = pytest.mark.django_db

PARIS = ZoneInfo("Europe/Paris")
WEEK = date(2026, 11, 16)  # a Monday
IN_THE_WEEK = datetime(2026, 11, 18, 10, 0, tzinfo=PARIS)
RUN_AT = datetime(2026, 11, 23, 7, 0, tzinfo=PARIS)  # the Monday after


def subscriber(key, *, language="en", **fields):
    user = make_user(f"{key}@example.fr", first_name=key.title(), last_name="Test", **fields)
    user.language = language
    user.notify_weekly_summary = True
    user.save()
    return user


@pytest.fixture
def week_of_movements():
    a = make_structure("Mairie de Lyon")
    b = make_structure("Ateliers Durand")
    quiet = make_structure("Structure calme")
    alice = subscriber("alice")
    attach(alice, a)
    attach(alice, b, role=Role.MAIN_MANAGER)
    newcomer = make_user("newcomer@example.fr", first_name="Nina", last_name="Newcomer")
    reader = subscriber("reader")
    attach(reader, a)
    Authorization.objects.create(
        user=reader, structure=a, application=Application.ISSUED_INVOICES, level=Level.CONSULTATION
    )
    reader.notify_invoicing = True
    reader.save()
    with time_machine.travel(datetime(2026, 11, 10, 12, 0, tzinfo=PARIS), tick=False):
        log_event(Action.AFFILIATION_GRANTED, actor=alice, subject=newcomer, structure=a)
    with time_machine.travel(IN_THE_WEEK, tick=False):
        log_event(Action.AFFILIATION_GRANTED, actor=alice, subject=newcomer, structure=a)
        log_event(Action.AFFILIATION_GRANTED, actor=alice, subject=newcomer, structure=b)
        log_event(
            Action.PROFILE_GRANTED,
            actor=alice,
            subject=newcomer,
            structure=b,
            application=Application.COMMITMENTS,
            level=Level.MODIFICATION,
        )
        log_event(Action.REQUEST_REFUSED, actor=alice, subject=newcomer, structure=b, request_id=7)
        log_event(Action.AFFILIATION_DETACHED, actor=newcomer, structure=a)
        publish_event("invoicing", a, "invoice-paid", "Invoice paid", "https://x.example/1")
    with time_machine.travel(RUN_AT, tick=False):
        log_event(Action.AFFILIATION_DETACHED, actor=newcomer, structure=b)  # this week
    return {"a": a, "b": b, "quiet": quiet, "alice": alice, "reader": reader}


def run(**options):
    with time_machine.travel(RUN_AT, tick=False):
        return summary.send_weekly_summaries(**options)


def summaries(mailoutbox, address):
    return [m for m in mailoutbox if m.to == [address] and "Weekly summary" in m.subject]


def test_last_week_is_the_complete_week_before():
    assert summary.last_week(date(2026, 11, 23)) == WEEK
    assert summary.last_week(date(2026, 11, 29)) == WEEK  # a Sunday


def test_a_user_of_two_structures_gets_both_in_one_mail(week_of_movements, mailoutbox):
    mailoutbox.clear()
    result = run()
    assert result.week == WEEK
    (mail,) = summaries(mailoutbox, "alice@example.fr")
    assert mail.subject == "[Chorus Pro] Weekly summary: week of 11/16/2026"
    body = mail.body
    lyon = body.index("Mairie de Lyon")
    durand = body.index("Ateliers Durand")
    # Lyon: one affiliation (the one of the week before is not counted), one
    # detachment, one notification; Alice is a plain member there: counts only.
    lyon_part = body[lyon:durand] if lyon < durand else body[lyon:]
    assert "1 affiliation granted" in lyon_part and "1 detachment" in lyon_part
    assert "CPRO Invoicing: 1 notification" in lyon_part
    assert "Who moved" not in lyon_part
    # Durand: Alice is its main manager, so she also reads who moved.
    durand_part = body[durand:lyon] if durand < lyon else body[durand:]
    assert "1 affiliation granted" in durand_part
    assert "1 profile change" in durand_part and "1 request refused" in durand_part
    assert "detachment" not in durand_part  # this week's, not last week's
    assert "Nina Newcomer was attached" in durand_part
    assert "Nina Newcomer received Commitments – Modification" in durand_part
    assert "request #7 of Nina Newcomer refused" in durand_part
    assert "http://testserver/users/" in body  # she manages a structure
    assert "Structure calme" not in body
    assert "République" in mail.alternatives[0][0]


def test_who_has_nothing_to_read_or_did_not_subscribe_gets_nothing(week_of_movements, mailoutbox):
    w = week_of_movements
    quiet_one = subscriber("quietone")
    attach(quiet_one, w["quiet"])
    not_subscribed = make_user("nosub@example.fr")
    attach(not_subscribed, w["a"])
    mailoutbox.clear()
    result = run()
    assert sorted(m.to[0] for m in mailoutbox) == ["alice@example.fr", "reader@example.fr"]
    assert result.mailed == 2 and result.people == 3
    reader_mail = summaries(mailoutbox, "reader@example.fr")[0]
    assert "Ateliers Durand" not in reader_mail.body
    assert "/users/" not in reader_mail.body


def test_a_second_run_in_the_same_week_sends_nothing(week_of_movements, mailoutbox):
    mailoutbox.clear()
    assert run().mailed == 2
    assert SummarySent.objects.filter(week=WEEK).count() == 2
    mailoutbox.clear()
    assert run().mailed == 0
    call_command("send_weekly_summary", week=WEEK.isoformat(), no_progress=True)
    assert mailoutbox == []
    assert SummarySent.objects.count() == 2


def test_a_run_killed_half_way_then_restarted_sends_each_user_one_summary(
    week_of_movements, mailoutbox, monkeypatch
):
    w = week_of_movements
    people = [subscriber(f"member{i}") for i in range(5)]
    for person in people:
        attach(person, w["a"])
    everyone = ["alice@example.fr", "reader@example.fr"] + [p.email for p in people]
    mailoutbox.clear()
    real_queue_many = summary.queue_many
    calls = {"n": 0}

    def dies_on_the_second_batch(mails, **kwargs):
        calls["n"] += 1
        if calls["n"] == 2:
            raise SystemExit("killed")
        return real_queue_many(mails, **kwargs)

    with monkeypatch.context() as patch:
        patch.setattr(summary, "queue_many", dies_on_the_second_batch)
        with pytest.raises(SystemExit):
            run(batch_size=3)
    sent_before = sorted(m.to[0] for m in mailoutbox)
    assert len(sent_before) == 3  # the first batch went, the second rolled back
    assert SummarySent.objects.count() == 3
    run(batch_size=3)
    assert sorted(m.to[0] for m in mailoutbox) == sorted(everyone)
    assert SummarySent.objects.count() == len(everyone)


def test_no_query_per_user(week_of_movements, settings):
    """The run reads and writes per batch; the worker then sends the mails."""
    from tests.mailqueue import use_database_tasks

    use_database_tasks(settings)
    w = week_of_movements

    def queries_for(count):
        SummarySent.objects.all().delete()
        for i in range(count):
            person = subscriber(f"q{count}x{i}", language="fr" if i % 2 else "en")
            attach(person, w["a"] if i % 3 else w["b"])
        with CaptureQueriesContext(connection) as captured:
            run(batch_size=1000)
        return len(captured)

    assert queries_for(5) == queries_for(40)


def test_the_command_and_the_task(week_of_movements, mailoutbox, capsys):
    mailoutbox.clear()
    with time_machine.travel(RUN_AT, tick=False):
        summary.send_weekly_summaries_task.enqueue()
    assert len(mailoutbox) == 2
    with time_machine.travel(RUN_AT, tick=False):
        call_command("send_weekly_summary", no_progress=True)
    assert "0 summaries queued" in capsys.readouterr().out
