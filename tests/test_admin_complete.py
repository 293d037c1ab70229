"""The admin made complete: requests, structures and their CSV import, users' actions,
labels in both languages."""

from __future__ import annotations

import pytest
from django.urls import reverse

from activity.models import Action, ActivityLog
from affiliations.models import Affiliation, Request, RequestStatus, Role
from authorizations.models import Authorization
from tests.conftest import make_user
from tests.factories import attach, make_delegate, make_structure, pending_request

pytestmark = pytest.mark.django_db

REQUESTS = reverse("admin:affiliations_request_changelist")


@pytest.fixture
def staff_client(signed_in, staff_user):
    staff_user.language = "en"
    staff_user.save(update_fields=["language"])
    return signed_in(staff_user)


@pytest.fixture
def structure(db):
    return make_structure("Mairie d'Annecy", services=3)


@pytest.fixture
def manager(structure):
    user = make_user("manager@example.fr", first_name="Anne", last_name="Manager")
    attach(user, structure, role=Role.MAIN_MANAGER)
    return user


def _trail(req) -> list[str]:
    """What the decision of `req` wrote in the log, in order, without who did it."""
    entries = ActivityLog.objects.filter(detail__request_id=req.pk).order_by("id")
    return [e.action for e in entries if e.action != Action.REQUEST_SUBMITTED]


def _after_decision(req) -> dict:
    affiliation = Affiliation.objects.get(user=req.requester, structure=req.structure)
    return {
        "status": Request.objects.get(pk=req.pk).status,
        "affiliation": (affiliation.role, affiliation.status, affiliation.whole_structure),
        "services": sorted(s.code for s in affiliation.services.all()),
        "profiles": sorted(
            (a.application, a.level, getattr(a.service, "code", None))
            for a in Authorization.objects.filter(user=req.requester)
        ),
    }


def _admin_action(client, action: str, reqs, **extra):
    return client.post(
        REQUESTS, {"action": action, "_selected_action": [r.pk for r in reqs], **extra}
    )


# --- 7. Requests ------------------------------------------------------------------------


def test_an_admin_approval_applies_the_same_rules_and_log_as_the_users_area(
    signed_in,
    staff_client,
    staff_user,
    manager,
    structure,
    alice,
    bob,
    mailoutbox,
    django_capture_on_commit_callbacks,
):
    services = list(structure.services.all()[:2])
    by_manager = pending_request(alice, structure, services=services)
    by_staff = pending_request(bob, structure, services=services)
    with django_capture_on_commit_callbacks(execute=True):
        signed_in(manager).post(reverse("affiliations:requests-decide"), {"approve": by_manager.pk})
    with django_capture_on_commit_callbacks(execute=True):
        response = _admin_action(staff_client, "approve_requests", [by_staff])
    assert response.status_code == 302
    # The same outcome: the same affiliation, services and default profiles...
    assert _after_decision(by_manager) == _after_decision(by_staff)
    assert _after_decision(by_staff)["status"] == RequestStatus.APPROVED
    # ... the same log entries in the same order, by each decider ...
    assert _trail(by_staff) == _trail(by_manager)
    assert Action.REQUEST_APPROVED in _trail(by_staff)
    assert Action.AFFILIATION_GRANTED in _trail(by_staff)
    assert (
        ActivityLog.objects.get(
            action=Action.REQUEST_APPROVED, detail__request_id=by_staff.pk
        ).actor
        == staff_user
    )
    # ... and the same mail to each requester.
    subjects = {m.to[0]: m.subject for m in mailoutbox}
    assert subjects[alice.email].replace(str(by_manager.pk), "N") == subjects[bob.email].replace(
        str(by_staff.pk), "N"
    )


def test_an_admin_refusal_needs_a_reason_like_in_the_users_area(
    staff_client, structure, alice, mailoutbox, django_capture_on_commit_callbacks
):
    req = pending_request(alice, structure)
    page = _admin_action(staff_client, "refuse_requests", [req])
    assert page.status_code == 200 and "id_reason" in page.content.decode()
    empty = _admin_action(staff_client, "refuse_requests", [req], reason="   ")
    assert "A refusal needs a reason." in empty.content.decode()
    req.refresh_from_db()
    assert req.status == RequestStatus.PENDING
    with django_capture_on_commit_callbacks(execute=True):
        done = _admin_action(staff_client, "refuse_requests", [req], reason="Unknown here")
    assert done.status_code == 302
    req.refresh_from_db()
    assert req.status == RequestStatus.REFUSED and req.refusal_reason == "Unknown here"
    assert ActivityLog.objects.filter(action=Action.REQUEST_REFUSED, subject=alice).exists()
    assert mailoutbox[-1].to == [alice.email] and "Unknown here" in mailoutbox[-1].body


def test_an_admin_approval_that_cannot_apply_changes_nothing(
    signed_in, staff_client, manager, structure, alice
):
    """The all-or-nothing rule of authorization requests holds in the admin too."""
    from tests.test_authorizations import post_manage

    services = list(structure.services.all())
    affiliation = attach(alice, structure, services=services[:2])
    post_manage(
        signed_in(alice), affiliation, [("commitments", "modification")], service=services[0].pk
    )
    req = Request.objects.get(requester=alice)
    req.authorization_lines.create(
        service=services[1], application="connections", level="modification"
    )
    signed_in(alice).post(
        reverse("affiliations:affiliation-detach"),
        {"affiliation": affiliation.pk, "scope": "services", "services": [services[1].pk]},
    )
    response = _admin_action(staff_client, "approve_requests", [req])
    messages = [str(m) for m in response.wsgi_request._messages]
    assert any("could not be applied" in m for m in messages)
    req.refresh_from_db()
    assert req.status == RequestStatus.PENDING
    assert not Authorization.objects.filter(application__in=["commitments", "connections"]).exists()


def test_a_request_to_a_structure_without_manager_needs_staff_and_staff_decide_it(
    staff_client,
    staff_user,
    manager,
    structure,
    alice,
    bob,
    mailoutbox,
    django_capture_on_commit_callbacks,
):
    orphan = make_structure("Orphan structure")
    delegated = make_structure("Delegated structure")
    delegate = make_user("delegate@example.fr")
    make_delegate(delegate, delegated)
    lapsed = make_structure("Lapsed manager")
    gone = make_user("gone@example.fr", is_active=False)
    attach(gone, lapsed, role=Role.MAIN_MANAGER)
    managed_req = pending_request(alice, structure)
    orphan_req = pending_request(alice, orphan)
    delegated_req = pending_request(alice, delegated)
    lapsed_req = pending_request(bob, lapsed)
    decided = pending_request(bob, orphan)
    Request.objects.filter(pk=decided.pk).update(status=RequestStatus.REFUSED)

    page = staff_client.get(REQUESTS, {"needs_staff": "yes"})
    assert page.status_code == 200
    shown = {r.pk for r in page.context["cl"].result_list}
    assert shown == {orphan_req.pk, lapsed_req.pk}
    assert managed_req.pk not in shown and delegated_req.pk not in shown

    decide = reverse("admin:affiliations_request_decide", args=[orphan_req.pk])
    html = staff_client.get(decide).content.decode()
    assert "only staff can decide" in html
    with django_capture_on_commit_callbacks(execute=True):
        response = staff_client.post(decide, {"decision": "approve"})
    assert response.status_code == 302
    orphan_req.refresh_from_db()
    assert orphan_req.status == RequestStatus.APPROVED and orphan_req.decided_by == staff_user
    assert Affiliation.objects.filter(user=alice, structure=orphan, role=Role.USER).exists()
    assert ActivityLog.objects.filter(
        action=Action.REQUEST_APPROVED, actor=staff_user, subject=alice, structure_id=orphan.pk
    ).exists()
    assert mailoutbox[-1].to == [alice.email]
    # Refused from the same page: the reason is required there too.
    decide = reverse("admin:affiliations_request_decide", args=[lapsed_req.pk])
    assert (
        "A refusal needs a reason."
        in staff_client.post(decide, {"decision": "refuse", "reason": ""}).content.decode()
    )
    staff_client.post(decide, {"decision": "refuse", "reason": "No manager answers"})
    lapsed_req.refresh_from_db()
    assert lapsed_req.status == RequestStatus.REFUSED
    assert {
        r.pk for r in staff_client.get(REQUESTS, {"needs_staff": "yes"}).context["cl"].result_list
    } == set()


def test_requests_cannot_be_deleted_but_can_be_cancelled(
    staff_client, staff_user, structure, alice, mailoutbox, django_capture_on_commit_callbacks
):
    req = pending_request(alice, structure)
    assert (
        staff_client.get(reverse("admin:affiliations_request_delete", args=[req.pk])).status_code
        == 403
    )
    assert (
        staff_client.post(
            reverse("admin:affiliations_request_delete", args=[req.pk]), {"post": "yes"}
        ).status_code
        == 403
    )
    changelist = staff_client.get(REQUESTS).content.decode()
    assert "delete_selected" not in changelist
    assert "cancel_requests" in changelist
    _admin_action(staff_client, "delete_selected", [req], post="yes")
    assert Request.objects.filter(pk=req.pk).exists()
    # A structure (or a person) with requests cannot be deleted either: that would take
    # the requests with it.
    staff_client.post(
        reverse("admin:affiliations_structure_delete", args=[structure.pk]), {"post": "yes"}
    )
    assert Request.objects.filter(pk=req.pk).exists()
    with django_capture_on_commit_callbacks(execute=True):
        _admin_action(staff_client, "cancel_requests", [req])
    req.refresh_from_db()
    assert req.status == RequestStatus.CANCELLED
    assert ActivityLog.objects.filter(
        action=Action.REQUEST_CANCELLED, actor=staff_user, subject=alice
    ).exists()
    assert mailoutbox[-1].to == [alice.email] and "annulée" in mailoutbox[-1].subject


def test_requests_filter_by_structure_identifier_and_search_by_number_or_address(
    staff_client, structure, alice, bob
):
    other = make_structure("Other")
    mine = pending_request(alice, structure)
    theirs = pending_request(bob, other)
    spaced = " ".join(
        [structure.identifier[:3], structure.identifier[3:9], structure.identifier[9:]]
    )
    listed = staff_client.get(REQUESTS, {"structure_identifier": spaced, "kind": "affiliation"})
    assert [r.pk for r in listed.context["cl"].result_list] == [mine.pk]
    assert [
        r.pk for r in staff_client.get(REQUESTS, {"q": "BOB@example.fr"}).context["cl"].result_list
    ] == [theirs.pk]
    assert [
        r.pk for r in staff_client.get(REQUESTS, {"q": f"#{mine.pk}"}).context["cl"].result_list
    ] == [mine.pk]
    page = staff_client.get(reverse("admin:affiliations_request_change", args=[mine.pk]))
    assert page.status_code == 200
    assert reverse("admin:affiliations_request_decide", args=[mine.pk]) in page.content.decode()


# --- 8. Structures and their CSV import -------------------------------------------------

HEADER = "identifier_type;identifier;company_name;kind;status;city;service_code_required"


def _siret(n: int) -> str:
    from affiliations.identifiers import with_luhn_key

    return with_luhn_key(f"{n:013d}")


def _bad_key(siret: str) -> str:
    return siret[:-1] + str((int(siret[-1]) + 1) % 10)


@pytest.fixture
def media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"
    return settings.MEDIA_ROOT


@pytest.fixture
def sample_csv():
    """Lines 2, 5 and 7 are valid; 3, 4, 6 and 8 are refused."""
    existing = make_structure("Already known")
    good = [_siret(9_000_001), _siret(9_000_002)]
    lines = [
        HEADER,
        f"SIRET;{good[0]};Mairie de Lyon;public;active;Lyon;oui",  # 2
        f"SIRET;{_bad_key(_siret(9_000_003))};Bad key;private;;Nice;",  # 3
        f"SIRET;{good[0]};Twice in the file;public;;;",  # 4
        "RIDET;1234567.001;Société calédonienne;private;inactive;Nouméa;non",  # 5
        "SIREN;123456789;Unknown type;private;;;",  # 6
        f"SIRET;{good[1][:3]} {good[1][3:]};Grouped digits;private;;;",  # 7
        f"SIRET;{existing.identifier};Already in the portal;public;;;",  # 8
    ]
    return "\r\n".join(lines) + "\r\n", good, existing


def test_the_import_command_refuses_bad_lines_with_their_number_and_imports_the_rest(
    media, sample_csv, tmp_path
):
    from io import StringIO

    from django.core.management import call_command

    from affiliations.models import Structure

    text, good, existing = sample_csv
    path = tmp_path / "structures.csv"
    path.write_bytes(b"\xef\xbb\xbf" + text.encode())
    out = StringIO()
    call_command("import_structures", str(path), "--dry-run", "--language", "en", stdout=out)
    report = out.getvalue()
    assert Structure.objects.count() == 1  # the dry run created nothing
    assert "line 3: Identifier" in report and "check digit does not match" in report
    assert "line 4: Identifier" in report and "already appears on line 2" in report
    assert "line 6: Unknown identifier type “SIREN”" in report
    assert "line 8: A structure with the identifier" in report and "already exists" in report
    assert "3 structures would be created, 4 lines refused" in report

    out = StringIO()
    call_command(
        "import_structures", str(path), "--batch-size", "2", "--language", "en", stdout=out
    )
    assert "3 structures created, 4 lines refused" in out.getvalue()
    created = {s.identifier: s for s in Structure.objects.exclude(pk=existing.pk)}
    assert set(created) == {good[0], good[1], "1234567.001"}
    lyon = created[good[0]]
    assert (lyon.company_name, lyon.kind, lyon.city, lyon.service_code_required) == (
        "Mairie de Lyon",
        "public",
        "Lyon",
        True,
    )
    caledonian = created["1234567.001"]
    assert caledonian.status == "inactive" and caledonian.company_name == "Société calédonienne"
    # Found by the portal's structure search like any other structure.
    assert "societe caledonienne" in caledonian.search_text
    assert ActivityLog.objects.filter(
        action=Action.STRUCTURES_IMPORTED, detail__created=3, detail__refused=4
    ).exists()


def test_the_import_reads_windows_1252_commas_and_french_headers(media, tmp_path):
    from io import StringIO

    from django.core.management import call_command

    from affiliations.models import Structure

    siret = _siret(9_100_001)
    text = (
        "Type d'identifiant,Identifiant,Raison sociale,Type de structure,Ville\n"
        f'SIRET,{siret},"Hôtel de ville, Besançon",Public,Besançon\n'
    )
    path = tmp_path / "excel.csv"
    path.write_bytes(text.encode("cp1252"))
    out = StringIO()
    call_command("import_structures", str(path), stdout=out)
    structure = Structure.objects.get(identifier=siret)
    assert structure.company_name == "Hôtel de ville, Besançon"
    assert structure.city == "Besançon"
    assert "cp1252" in out.getvalue()


def test_a_line_that_is_not_utf8_is_refused_alone(media, tmp_path):
    from io import StringIO

    from django.core.management import call_command

    from affiliations.models import Structure

    head = f"{HEADER}\n".encode() + f"SIRET;{_siret(9_200_001)};Café;public;;;\n".encode()
    # Far past the part read to guess the encoding: a Latin-1 byte in a UTF-8 file.
    filler = b"".join(
        f"SIRET;{_siret(9_300_000 + i)};Structure {i};private;;;\n".encode() for i in range(25_000)
    )
    broken = f"SIRET;{_siret(9_200_002)};Caf\xe9;public;;;\n".encode("latin-1")
    path = tmp_path / "mixed.csv"
    path.write_bytes(head + filler + broken)
    out = StringIO()
    call_command("import_structures", str(path), "--language", "en", "--no-progress", stdout=out)
    assert f"line {25_003}: This line is not valid UTF-8 text" in out.getvalue()
    assert Structure.objects.count() == 25_001
    assert Structure.objects.get(identifier=_siret(9_200_001)).company_name == "Café"


def test_a_file_without_the_required_columns_is_refused_as_a_whole(media, tmp_path):
    from django.core.management import CommandError, call_command

    path = tmp_path / "wrong.csv"
    path.write_text("identifier;name\nX;Y\n")
    with pytest.raises(CommandError, match="identifier_type, kind"):
        call_command("import_structures", str(path), "--language", "en")
    path.write_text("identifier_type;identifier;company_name;kind;colour\n")
    with pytest.raises(CommandError, match="Unknown column.*colour"):
        call_command("import_structures", str(path), "--language", "en")


def test_the_admin_import_checks_reports_each_line_then_imports_the_valid_ones(
    media, staff_client, staff_user, sample_csv
):
    from django.core.files.uploadedfile import SimpleUploadedFile

    from affiliations.models import Structure, StructureImport

    text, good, existing = sample_csv
    upload = SimpleUploadedFile("structures.csv", b"\xef\xbb\xbf" + text.encode(), "text/csv")
    page = staff_client.get(reverse("admin:affiliations_structure_import"))
    assert page.status_code == 200 and "identifier_type" in page.content.decode()
    response = staff_client.post(reverse("admin:affiliations_structure_import"), {"file": upload})
    assert response.status_code == 302
    job = StructureImport.objects.get()
    assert response.url == reverse("admin:affiliations_structure_import_detail", args=[job.pk])
    assert (job.status, job.lines, job.valid, job.error_count) == ("checked", 7, 3, 4)
    assert Structure.objects.count() == 1  # checked, nothing created
    report = staff_client.get(response.url).content.decode()
    assert [line for line, _messages in job.errors] == [3, 4, 6, 8]
    assert "check digit does not match" in report
    assert "already appears on line 2" in report
    assert "Unknown identifier type “SIREN”" in report
    assert "Import the 3 valid lines" in report
    progress = staff_client.get(
        reverse("admin:affiliations_structure_import_progress", args=[job.pk])
    ).json()
    assert progress == {"status": "checked", "percent": 100, "lines": 7, "running": False}

    run = reverse("admin:affiliations_structure_import_run", args=[job.pk])
    assert staff_client.post(run).status_code == 302
    job.refresh_from_db()
    assert (job.status, job.created) == ("imported", 3)
    assert not job.file  # the uploaded file is not kept
    assert set(Structure.objects.exclude(pk=existing.pk).values_list("identifier", flat=True)) == {
        good[0],
        good[1],
        "1234567.001",
    }
    assert ActivityLog.objects.filter(
        action=Action.STRUCTURES_IMPORTED, actor=staff_user, detail__import_id=job.pk
    ).exists()
    # A second confirmation (another tab, a double click) imports nothing twice.
    staff_client.post(run)
    assert Structure.objects.count() == 4


def test_import_messages_are_translated(media, signed_in, staff_user, sample_csv):
    from django.core.files.uploadedfile import SimpleUploadedFile

    from affiliations.models import StructureImport

    text, _good, _existing = sample_csv
    client = signed_in(staff_user)  # French, the default
    client.post(
        reverse("admin:affiliations_structure_import"),
        {"file": SimpleUploadedFile("s.csv", text.encode())},
    )
    messages = dict(StructureImport.objects.get().errors)
    assert "Type d'identifiant inconnu « SIREN »" in messages[6][0]
    assert "clé de contrôle" in messages[3][0]


def test_the_structure_page_shows_its_first_services_and_links_to_all(staff_client):
    from affiliations.admin import SERVICES_SHOWN

    big = make_structure("Big structure", services=SERVICES_SHOWN + 5)
    html = staff_client.get(
        reverse("admin:affiliations_structure_change", args=[big.pk])
    ).content.decode()
    assert "S00001" in html and f"S{SERVICES_SHOWN:05d}" in html
    assert f"S{SERVICES_SHOWN + 1:05d}" not in html
    assert f"See all {SERVICES_SHOWN + 5} services" in html
    # No inline form: saving the structure sends no service field at all.
    assert "services-TOTAL_FORMS" not in html
    listed = staff_client.get(
        reverse("admin:affiliations_service_changelist"), {"structure__id__exact": big.pk}
    )
    assert listed.status_code == 200
    assert {s.structure_id for s in listed.context["cl"].result_list} == {big.pk}
    found = staff_client.get(
        reverse("admin:affiliations_structure_changelist"), {"q": "big struct"}
    )
    assert [s.pk for s in found.context["cl"].result_list] == [big.pk]
    spaced = f"{big.identifier[:3]} {big.identifier[3:9]} {big.identifier[9:]}"
    found = staff_client.get(reverse("admin:affiliations_structure_changelist"), {"q": spaced})
    assert [s.pk for s in found.context["cl"].result_list] == [big.pk]


# --- 9. Users -------------------------------------------------------------------------

USERS = reverse("admin:accounts_user_changelist")


def _user_action(client, action: str, users):
    return client.post(USERS, {"action": action, "_selected_action": [u.pk for u in users]})


def test_staff_deactivate_and_reactivate_through_the_services(
    staff_client, staff_user, alice, structure, mailoutbox, django_capture_on_commit_callbacks
):
    alice.language = "en"
    alice.save(update_fields=["language"])
    affiliation = attach(alice, structure)
    pending = pending_request(alice, make_structure("Elsewhere"))
    generation = alice.session_generation
    with django_capture_on_commit_callbacks(execute=True):
        _user_action(staff_client, "deactivate_accounts", [alice])
    alice.refresh_from_db()
    affiliation.refresh_from_db()
    pending.refresh_from_db()
    assert not alice.is_active and alice.session_generation > generation
    assert affiliation.status == "deactivated" and pending.status == RequestStatus.CANCELLED
    assert ActivityLog.objects.filter(
        action=Action.ACCOUNT_DEACTIVATED, actor=staff_user, subject=alice
    ).exists()
    assert mailoutbox[-1].to == [alice.email] and "deactivated" in mailoutbox[-1].subject.lower()
    with django_capture_on_commit_callbacks(execute=True):
        _user_action(staff_client, "reactivate_accounts", [alice])
    alice.refresh_from_db()
    affiliation.refresh_from_db()
    assert alice.is_active and affiliation.status == "active"
    assert ActivityLog.objects.filter(
        action=Action.ACCOUNT_REACTIVATED, actor=staff_user, subject=alice
    ).exists()
    assert mailoutbox[-1].to == [alice.email] and "reactivated" in mailoutbox[-1].subject.lower()
    # The change form cannot flip the flag behind the services' back.
    html = staff_client.get(reverse("admin:accounts_user_change", args=[alice.pk])).content
    assert b'name="is_active"' not in html


def test_a_main_manager_is_not_deactivated_from_the_admin(staff_client, manager):
    response = _user_action(staff_client, "deactivate_accounts", [manager])
    manager.refresh_from_db()
    assert manager.is_active
    messages = [str(m) for m in response.wsgi_request._messages]
    assert any("main manager" in m and "hand the role on first" in m for m in messages)


def test_staff_end_sessions_logged_and_mailed(
    staff_client, staff_user, alice, client_factory, mailoutbox, django_capture_on_commit_callbacks
):
    from tests.conftest import verify_session

    alice.language = "en"
    alice.save(update_fields=["language"])
    browser = client_factory()
    verify_session(browser, alice)
    assert browser.get(reverse("accounts:account")).status_code == 200
    with django_capture_on_commit_callbacks(execute=True):
        _user_action(staff_client, "end_sessions", [alice])
    assert browser.get(reverse("accounts:account")).status_code == 302
    assert ActivityLog.objects.filter(
        action=Action.SESSIONS_ENDED, actor=staff_user, subject=alice
    ).exists()
    assert mailoutbox[-1].to == [alice.email] and "sessions" in mailoutbox[-1].subject


def test_staff_unlock_lifts_the_password_and_factor_locks_logged_and_mailed(
    staff_client, staff_user, alice, bob, settings, mailoutbox, django_capture_on_commit_callbacks
):
    from django.utils import timezone
    from django_otp.plugins.otp_totp.models import TOTPDevice

    from accounts.models import User
    from mfa.models import AppLock, EmailDevice

    User.objects.filter(pk=alice.pk).update(
        login_failure_count=settings.LOGIN_MAX_FAILURES,
        login_failure_at=timezone.now(),
        language="en",
    )
    EmailDevice.objects.filter(user=alice).update(
        locked_at=timezone.now(), throttling_failure_count=10
    )
    app = TOTPDevice.objects.create(
        user=alice, name="Phone", confirmed=True, throttling_failure_count=10
    )
    AppLock.objects.create(device=app, locked_at=timezone.now())
    with django_capture_on_commit_callbacks(execute=True):
        response = _user_action(staff_client, "unlock_accounts", [alice, bob])
    alice.refresh_from_db()
    device = EmailDevice.objects.get(user=alice)
    assert alice.login_failure_count == 0 and device.locked_at is None
    assert device.throttling_failure_count == 0
    assert ActivityLog.objects.filter(
        action=Action.ACCOUNT_UNLOCKED, actor=staff_user, subject=alice
    ).exists()
    assert ActivityLog.objects.filter(action=Action.FACTOR_UNLOCKED, subject=alice).count() == 2
    assert not AppLock.objects.exists()
    app.refresh_from_db()
    assert app.throttling_failure_count == 0
    # Bob was not locked: nothing logged, no mail.
    assert not ActivityLog.objects.filter(action=Action.ACCOUNT_UNLOCKED, subject=bob).exists()
    assert [m.to for m in mailoutbox] == [[alice.email]]
    assert "unlocked" in mailoutbox[0].subject
    assert any("1 account unlocked" in str(m) for m in response.wsgi_request._messages)


def test_constraint_errors_read_as_sentences(staff_client, alice, structure):
    """No admin form ever shows a constraint's name."""
    attach(alice, structure)
    page = staff_client.get(reverse("admin:accounts_user_change", args=[alice.pk]))
    form = page.context["adminform"].form
    data = {
        name: value
        for name, value in form.initial.items()
        if value is not None and name not in ("groups", "user_permissions", "password")
    }
    prefix = "affiliations"
    for formset in page.context["inline_admin_formsets"]:
        if formset.formset.model is Affiliation:
            prefix = formset.formset.prefix
    data.update(
        {
            "email": alice.email,
            "language": "fr",
            "country": "FR",
            f"{prefix}-TOTAL_FORMS": "2",
            f"{prefix}-INITIAL_FORMS": "1",
            f"{prefix}-0-id": Affiliation.objects.get(user=alice).pk,
            f"{prefix}-0-user": alice.pk,
            f"{prefix}-0-structure": structure.pk,
            f"{prefix}-0-status": "active",
            f"{prefix}-0-whole_structure": "on",
            f"{prefix}-1-user": alice.pk,
            f"{prefix}-1-structure": structure.pk,
            f"{prefix}-1-status": "active",
            f"{prefix}-1-whole_structure": "on",
        }
    )
    for formset in page.context["inline_admin_formsets"]:
        other = formset.formset
        if other.prefix != prefix:
            data[f"{other.prefix}-TOTAL_FORMS"] = str(other.initial_form_count())
            data[f"{other.prefix}-INITIAL_FORMS"] = str(other.initial_form_count())
            for i, inline_form in enumerate(other.forms):
                data[f"{other.prefix}-{i}-id"] = inline_form.instance.pk
    response = staff_client.post(reverse("admin:accounts_user_change", args=[alice.pk]), data)
    html = response.content.decode()
    assert response.status_code == 200
    assert "already attached to this structure" in html
    assert "one_active_affiliation_per_user_and_structure" not in html
    assert Affiliation.objects.filter(user=alice).count() == 1


def test_every_constraint_that_django_would_name_has_a_sentence():
    from django.apps import apps
    from django.db.models import CheckConstraint, UniqueConstraint

    default = "Constraint “%(name)s” is violated."
    for model in apps.get_models():
        if model._meta.app_label not in {"accounts", "affiliations", "authorizations", "activity"}:
            continue
        for constraint in model._meta.constraints:
            named_by_django = isinstance(constraint, CheckConstraint) or (
                isinstance(constraint, UniqueConstraint)
                and (constraint.condition is not None or constraint.expressions)
            )
            if named_by_django:
                assert constraint.violation_error_message != default, constraint.name
                assert constraint.name not in str(constraint.get_violation_error_message())


# --- 10. Languages and one Accounts section -------------------------------------------


@pytest.mark.parametrize("language", ["fr", "en"])
def test_the_index_has_one_accounts_section_and_every_label_translated(
    signed_in, staff_user, language
):
    staff_user.language = language
    staff_user.save(update_fields=["language"])
    client = signed_in(staff_user)
    response = client.get(reverse("admin:index"))
    sections = {app["app_label"]: app for app in response.context["app_list"]}
    names = [str(app["name"]) for app in response.context["app_list"]]
    accounts = "Comptes" if language == "fr" else "Accounts"
    assert names.count(accounts) == 1
    assert "account" not in sections  # allauth's addresses joined the portal's section
    assert {m["object_name"] for m in sections["accounts"]["models"]} >= {"User", "EmailAddress"}
    expected = {
        "fr": {
            "django_tasks_database": "Tâches en arrière-plan",
            "dsfr": "Système de design (DSFR)",
            "auth": "Groupes et permissions de l'équipe",
        },
        "en": {
            "django_tasks_database": "Background tasks",
            "dsfr": "Design system (DSFR)",
            "auth": "Staff groups and permissions",
        },
    }[language]
    for label, name in expected.items():
        assert str(sections[label]["name"]) == name
    # allauth's own section page is the merged one.
    merged = client.get(reverse("admin:app_list", args=["account"]))
    assert {m["object_name"] for m in merged.context["app_list"][0]["models"]} >= {
        "User",
        "EmailAddress",
    }


def test_third_party_field_labels_are_translated(signed_in, staff_user, alice):
    from django.utils import translation

    from mfa.models import EmailDevice

    with translation.override("fr"):
        device = EmailDevice._meta
        assert str(device.get_field("confirmed").verbose_name) == "confirmé"
        assert str(device.get_field("throttling_failure_count").verbose_name) == (
            "échecs consécutifs"
        )
        assert "appartient" in str(device.get_field("user").help_text)
        from django_tasks_db.models import DBTaskResult

        assert str(DBTaskResult._meta.verbose_name_plural) == "résultats des tâches"
        assert str(DBTaskResult._meta.get_field("enqueued_at").verbose_name) == "mise en file le"
        assert str(Request._meta.get_field("kind").verbose_name) == "type de demande"
    client = signed_in(staff_user)  # French
    for url in (
        reverse("admin:mfa_emaildevice_changelist"),
        reverse("admin:django_tasks_database_dbtaskresult_changelist"),
        reverse("admin:affiliations_request_changelist"),
        reverse("admin:affiliations_structure_import"),
    ):
        html = client.get(url).content.decode()
        for english in ("Throttling", "Enqueued at", "Task Results", "Approve the selected"):
            assert english not in html, (url, english)


def test_large_lists_search_exact_values_without_full_counts(
    staff_client, staff_user, alice, structure
):
    from affiliations.admin import AffiliationAdmin, RequestAdmin, StructureAdmin

    affiliation = attach(alice, structure)
    listed = staff_client.get(
        reverse("admin:affiliations_affiliation_changelist"), {"q": "ALICE@example.fr"}
    )
    assert [a.pk for a in listed.context["cl"].result_list] == [affiliation.pk]
    listed = staff_client.get(
        reverse("admin:affiliations_affiliation_changelist"), {"q": structure.identifier}
    )
    assert [a.pk for a in listed.context["cl"].result_list] == [affiliation.pk]
    log = staff_client.get(
        reverse("admin:activity_activitylog_changelist"), {"q": "staff@example.fr"}
    )
    assert log.status_code == 200
    assert all(
        "alice@example.fr" in (getattr(e.actor, "email", ""), getattr(e.subject, "email", ""))
        for e in log.context["cl"].result_list
    )
    for admin_class in (AffiliationAdmin, RequestAdmin, StructureAdmin):
        assert admin_class.show_full_result_count is False


def test_the_upload_is_bounded_before_it_is_read_and_keeps_its_csrf_check(
    media, staff_user, monkeypatch
):
    from django.core.files.uploadedfile import SimpleUploadedFile
    from django.test import Client

    from affiliations import admin_import
    from affiliations.models import StructureImport
    from tests.conftest import verify_session

    client = Client(enforce_csrf_checks=True)
    verify_session(client, staff_user)
    url = reverse("admin:affiliations_structure_import")
    page = client.get(url)
    token = page.cookies["csrftoken"].value if "csrftoken" in page.cookies else None
    token = token or client.cookies["csrftoken"].value
    upload = SimpleUploadedFile("s.csv", (HEADER + "\n").encode() * 50)
    # No token: refused, even though the view reads the body itself.
    assert client.post(url, {"file": upload}).status_code == 403
    # A body announced over the limit is answered at once.
    over = client.post(
        url,
        {"file": upload, "csrfmiddlewaretoken": token},
        CONTENT_LENGTH=str(admin_import.MAX_REQUEST_BYTES + 1),
    )
    assert over.status_code == 413, over.content[:3000]
    # A file that grows past the limit as it arrives is stopped.
    monkeypatch.setattr(admin_import, "UploadLimit", _small_limit(admin_import))
    upload.seek(0)
    stopped = client.post(url, {"file": upload, "csrfmiddlewaretoken": token})
    assert stopped.status_code == 413
    assert not StructureImport.objects.exists()
    upload.seek(0)
    monkeypatch.undo()
    assert client.post(url, {"file": upload, "csrfmiddlewaretoken": token}).status_code == 302
    assert StructureImport.objects.count() == 1


def _small_limit(module):
    class Small(module.UploadLimit):
        def __init__(self, request=None):
            super().__init__(request, limit=1024)

    return Small


def test_authenticator_applications_are_read_only_and_translated_in_the_admin(
    signed_in, staff_user, alice
):
    from django_otp.plugins.otp_totp.models import TOTPDevice

    device = TOTPDevice.objects.create(user=alice, name="Téléphone", confirmed=True)
    client = signed_in(staff_user)  # French
    listed = client.get(reverse("admin:otp_totp_totpdevice_changelist")).content.decode()
    assert (
        "Applications d&#x27;authentification" in listed
        or "Applications d'authentification" in listed
    )
    assert "TOTP devices" not in listed and "QR Code" not in listed
    page = client.get(reverse("admin:otp_totp_totpdevice_change", args=[device.pk]))
    html = page.content.decode()
    assert page.status_code == 200 and "Identité" in html and "Identity" not in html
    assert device.key not in html and 'name="_save"' not in html
    assert client.get(reverse("admin:otp_totp_totpdevice_add")).status_code == 403
    client.post(reverse("admin:otp_totp_totpdevice_delete", args=[device.pk]), {"post": "yes"})
    assert TOTPDevice.objects.filter(pk=device.pk).exists()
    # The users' list offers the reset (tests/test_mfa_admin.py proves it logs and mails).
    users = client.get(reverse("admin:accounts_user_changelist")).content.decode()
    for action in ("reset_factors", "unlock_accounts", "end_sessions", "deactivate_accounts"):
        assert f'value="{action}"' in users
