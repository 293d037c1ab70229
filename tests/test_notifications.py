"""Events of the other applications reach exactly their subscribers holding the profile."""

from __future__ import annotations

import pytest
from django.core.exceptions import ValidationError
from django.core.management import CommandError, call_command
from django.urls import reverse

from activity.models import Action, ActivityLog
from affiliations.models import Role
from authorizations.models import Application, Authorization, Level
from notifications.models import Event
from notifications.services import publish_event
from tests.conftest import make_user
from tests.factories import attach, make_structure

pytestmark = pytest.mark.django_db


def grant(user, structure, application, service=None, level=Level.CONSULTATION):
    Authorization.objects.create(
        user=user, structure=structure, service=service, application=application, level=level
    )


@pytest.fixture
def world():
    a = make_structure("Mairie de Lyon", services=2)
    b = make_structure("Mairie de Nantes", services=1)
    s1, s2 = list(a.services.order_by("code"))
    people = {}

    def person(key, *, subscribed=True, language="fr"):
        user = make_user(f"{key}@example.fr", first_name=key.title(), notify_invoicing=subscribed)
        user.language = language
        user.save()
        people[key] = user
        return user

    # On the whole structure, with an invoicing profile there: every event of A.
    whole = person("whole", language="en")
    attach(whole, a, role=Role.MAIN_MANAGER)
    grant(whole, a, Application.ISSUED_INVOICES)
    # On service S1 only, with an invoicing profile there: S1's events only.
    on_s1 = person("ons1")
    attach(on_s1, a, services=[s1])
    grant(on_s1, a, Application.RECEIVED_INVOICES, service=s1)
    # Subscribed, attached to A, but no invoicing profile (another application's).
    noprofile = person("noprofile")
    attach(noprofile, a)
    grant(noprofile, a, Application.COMMITMENTS)
    # The profile, not subscribed.
    unsubscribed = person("unsubscribed", subscribed=False)
    attach(unsubscribed, a)
    grant(unsubscribed, a, Application.WORKS_INVOICES)
    # Subscribed, with the profile, on another structure.
    other = person("other")
    attach(other, b)
    grant(other, b, Application.ISSUED_INVOICES)
    # Subscribed to commitments only, with an invoicing profile.
    commitments_only = person("commitmentsonly", subscribed=False)
    commitments_only.notify_commitments = True
    commitments_only.save()
    attach(commitments_only, a)
    grant(commitments_only, a, Application.ISSUED_INVOICES)
    return a, b, s1, s2, people


def recipients(mailoutbox):
    return sorted(address for message in mailoutbox for address in message.to)


def test_a_structure_event_reaches_the_subscribers_with_a_structure_profile(world, mailoutbox):
    a, _b, _s1, _s2, people = world
    event = publish_event(
        "invoicing", a, "invoice-paid", "Invoice F-2026-001 paid", "https://chorus-pro.example/f/1"
    )
    assert recipients(mailoutbox) == ["whole@example.fr"]
    assert event.recipients == 1
    message = mailoutbox[0]
    assert message.subject == "[Chorus Pro] CPRO Invoicing: Invoice F-2026-001 paid"
    assert "https://chorus-pro.example/f/1" in message.body
    assert "Mairie de Lyon" in message.body
    assert "Set up your notifications" in message.body  # in the recipient's language
    entry = ActivityLog.objects.get(action=Action.NOTIFICATION_PUBLISHED)
    assert entry.structure_id == a.pk and entry.detail["application"] == "invoicing"
    assert entry.detail["recipients"] == 1


def test_a_service_event_reaches_that_service_and_the_whole_structure(world, mailoutbox):
    a, _b, s1, s2, people = world
    publish_event("invoicing", a, "invoice-received", "New invoice", "https://x.example/1", s1)
    assert recipients(mailoutbox) == ["ons1@example.fr", "whole@example.fr"]
    french = next(m for m in mailoutbox if m.to == ["ons1@example.fr"])
    assert french.subject == "[Chorus Pro] Facturation CPRO : New invoice"
    assert s1.code in french.body
    mailoutbox.clear()
    publish_event("invoicing", a, "invoice-received", "Other", "https://x.example/2", service=s2)
    assert recipients(mailoutbox) == ["whole@example.fr"]


def test_another_application_reaches_only_its_own_subscribers(world, mailoutbox):
    a, _b, _s1, _s2, people = world
    publish_event("commitments", a, "commitment-created", "Commitment 42", "https://x.example/c")
    # "noprofile" holds a Commitments profile but subscribed to invoicing only;
    # "commitmentsonly" subscribed to commitments but holds no Commitments profile.
    assert recipients(mailoutbox) == []
    people["noprofile"].notify_commitments = True
    people["noprofile"].save()
    publish_event("commitments", a, "commitment-created", "Commitment 43", "https://x.example/c")
    assert recipients(mailoutbox) == ["noprofile@example.fr"]


def test_nobody_outside_gets_it_and_an_inactive_account_neither(world, mailoutbox):
    a, b, _s1, _s2, people = world
    people["whole"].is_active = False
    people["whole"].save()
    publish_event("invoicing", a, "k", "Title", "https://x.example/")
    assert recipients(mailoutbox) == []
    publish_event("invoicing", b, "k", "Title", "https://x.example/")
    assert recipients(mailoutbox) == ["other@example.fr"]


def test_the_management_command_publishes_one(world, mailoutbox, capsys):
    a, _b, s1, _s2, _people = world
    call_command(
        "publish_event",
        application="invoicing",
        structure=a.identifier,
        service=s1.code,
        kind="invoice-rejected",
        title="Invoice rejected",
        link="https://x.example/r",
    )
    assert "2 recipient(s)" in capsys.readouterr().out
    assert recipients(mailoutbox) == ["ons1@example.fr", "whole@example.fr"]
    event = Event.objects.get()
    assert (event.service, event.kind, event.recipients) == (s1, "invoice-rejected", 2)
    with pytest.raises(CommandError):
        call_command(
            "publish_event",
            application="invoicing",
            structure=a.identifier,
            service="NOPE",
            kind="k",
            title="t",
            link="https://x.example/",
        )


@pytest.mark.parametrize(
    "changes",
    [
        {"application": "payroll"},
        {"link": "javascript:alert(1)"},
        {"title": "Two\nlines"},
        {"title": ""},
        {"kind": "not a slug"},
    ],
)
def test_bad_events_are_refused_and_nothing_is_sent(world, mailoutbox, changes):
    a, *_ = world
    arguments = {
        "application": "invoicing",
        "structure": a,
        "kind": "k",
        "title": "Title",
        "link": "https://x.example/",
        **changes,
    }
    with pytest.raises(ValidationError):
        publish_event(**arguments)
    assert mailoutbox == [] and not Event.objects.exists()


def test_a_service_of_another_structure_is_refused(world):
    a, b, *_ = world
    with pytest.raises(ValidationError):
        publish_event("invoicing", a, "k", "T", "https://x.example/", service=b.services.get())


def test_staff_publish_one_from_the_admin(world, mailoutbox, client, staff_user):
    from tests.conftest import full_login

    a, b, s1, _s2, _people = world
    full_login(client, mailoutbox, staff_user.email)
    sent = len(mailoutbox)
    add = reverse("admin:notifications_event_add")
    data = {
        "application": "invoicing",
        "structure": a.pk,
        "service": s1.pk,
        "kind": "invoice-rejected",
        "title": "Invoice rejected",
        "link": "https://x.example/r",
    }
    # A service of another structure is refused with a sentence; nothing is published.
    refused = client.post(add, {**data, "structure": b.pk})
    assert refused.status_code == 200
    assert "ne fait pas partie de la structure" in refused.content.decode()
    assert not Event.objects.exists()
    response = client.post(add, data)
    assert response.status_code == 302
    event = Event.objects.get()
    assert (event.service, event.published_by, event.recipients) == (s1, staff_user, 2)
    assert recipients(mailoutbox[sent:]) == ["ons1@example.fr", "whole@example.fr"]
    assert ActivityLog.objects.filter(action=Action.NOTIFICATION_PUBLISHED).count() == 1
