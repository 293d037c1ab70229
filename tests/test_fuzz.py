"""Naughty input on every form and query parameter never yields a server error."""

from __future__ import annotations

import pytest
from django.urls import reverse

from affiliations.models import Role
from tests.factories import attach, make_structure, pending_request

pytestmark = pytest.mark.django_db

NAUGHTY = [
    "",
    " ",
    "\x00",
    "a\x00b",
    "\r\nBcc: evil@example.org",
    "'; DROP TABLE accounts_user; --",
    "<script>alert(1)</script>",
    "%s%s%s%n",
    "{{ 7*7 }}{% debug %}",
    "../../../../etc/passwd",
    "\u202eevil\u202c",
    "🙂" * 50,
    "Ω≈ç√∫˜µ≤≥÷",
    "ﾟ･✿ヾ╲(｡◕‿◕｡)╱✿･ﾟ",
    "x" * 10_000,
    "-1",
    "99999999999999999999999",
    "1e309",
    "NaN",
    "null",
]


@pytest.fixture
def world(db, alice, bob):
    structure = make_structure("Fuzz", services=3)
    manager = alice
    manager_affiliation = attach(manager, structure, role=Role.MAIN_MANAGER)
    member = attach(bob, structure)
    req = pending_request(bob, make_structure("Fuzz 2"))
    own_req = pending_request(bob, structure)
    return {
        "structure": structure,
        "member": member,
        "req": req,
        "own_req": own_req,
        "manager_affiliation": manager_affiliation,
    }


def forms(world):
    s, m = world["structure"], world["member"]
    return [
        ("get", reverse("affiliations:affiliation-request"), ["q", "page", "structure"]),
        (
            "get",
            reverse("affiliations:affiliation-request"),
            ["service_q", "page"],
            {"structure": s.pk},
        ),
        (
            "post",
            reverse("affiliations:affiliation-request"),
            ["scope", "services", "comment"],
            {"structure": s.pk},
        ),
        (
            "get",
            reverse("affiliations:affiliation-detach"),
            ["service_q", "page"],
            {"affiliation": world["manager_affiliation"].pk},
        ),
        (
            "get",
            reverse("authorizations:authorization-manage"),
            ["service"],
            {"affiliation": world["manager_affiliation"].pk},
        ),
        (
            "get",
            reverse("authorizations:authorization-manage"),
            ["service_q"],
            {"affiliation": world["manager_affiliation"].pk, "service": ""},
        ),
        (
            "get",
            reverse("authorizations:member-authorizations", args=[m.pk]),
            ["service_q"],
            {"service": ""},
        ),
        (
            "post",
            reverse("authorizations:authorization-manage"),
            ["line_application", "line_level", "op", "add_application", "add_level"],
            {"affiliation": world["manager_affiliation"].pk, "service": ""},
        ),
        (
            "post",
            reverse("affiliations:affiliation-request"),
            ["structure", "scope", "services", "comment"],
        ),
        ("get", reverse("affiliations:affiliation-detach"), ["affiliation", "service_q", "page"]),
        ("post", reverse("affiliations:affiliation-detach"), ["affiliation", "scope", "services"]),
        ("get", reverse("affiliations:request-list"), ["status", "page"]),
        ("get", reverse("affiliations:users-area"), ["page", "users_page"]),
        (
            "post",
            reverse("affiliations:requests-decide"),
            ["approve", "requests", "action", "reason"],
        ),
        ("post", reverse("affiliations:request-refuse", args=[world["own_req"].pk]), ["reason"]),
        ("post", reverse("affiliations:role-transfer", args=[s.pk]), ["new_manager"]),
        (
            "get",
            reverse("authorizations:authorization-manage"),
            ["affiliation", "service", "service_q"],
        ),
        (
            "post",
            reverse("authorizations:member-authorizations", args=[m.pk]),
            ["service", "line_application", "line_level", "op", "add_application", "add_level"],
        ),
        (
            "post",
            reverse("accounts:account-edit", args=["address"]),
            ["street", "address_complement", "postal_code", "city", "country"],
        ),
        ("post", reverse("accounts:account-edit", args=["phone"]), ["phone"]),
        ("post", reverse("accounts:account-edit", args=["last-name"]), ["last_name"]),
        ("post", reverse("accounts:account-edit", args=["biography"]), ["biography"]),
        ("post", reverse("accounts:notifications"), ["notify_commitments"]),
        ("post", reverse("accounts:preferences"), ["language", "accessibility_enabled"]),
        ("post", reverse("set_language"), ["language", "next"]),
    ]


def test_signed_in_forms_never_fail(signed_in, alice, world):
    client = signed_in(alice)
    for method, url, fields, *fixed in forms(world):
        for value in NAUGHTY:
            data = {field: value for field in fields}
            data.update(fixed[0] if fixed else {})
            response = getattr(client, method)(url, data)
            assert response.status_code < 500, (url, value[:40], response.status_code)


def test_the_ways_in_never_fail(client, client_factory, alice):
    cases = [
        (reverse("account_login"), ["login", "password"]),
        (reverse("account_signup"), ["email", "first_name", "last_name", "password1", "password2"]),
        (reverse("account_reset_password"), ["email"]),
    ]
    for url, fields in cases:
        for value in NAUGHTY:
            response = client_factory().post(url, {field: value for field in fields})
            assert response.status_code < 500, (url, value[:40], response.status_code)


def test_the_factor_step_never_fails(password_only_client):
    for value in NAUGHTY:
        for action in ("verify", "resend", value):
            response = password_only_client.post(
                reverse("mfa:verify") + "?next=" + value[:100], {"code": value, "action": action}
            )
            assert response.status_code < 500, (value[:40], response.status_code)


def test_oversized_ids_in_paths_are_404(signed_in, alice):
    client = signed_in(alice)
    huge = "9" * 30
    for path in (
        f"/users/requests/{huge}/refuse/",
        f"/users/structures/{huge}/transfer/",
        f"/users/members/{huge}/authorizations/",
        f"/users/members/{huge}/reactivate/",
        f"/account/photo/{huge}/",
        f"/account/sessions/{huge}/end/",
    ):
        assert client.get(path).status_code in (404, 405), path


def test_the_login_address_pages_never_fail(signed_in, client, alice):
    from urllib.parse import quote

    signed = signed_in(alice)
    for value in NAUGHTY:
        response = signed.post(
            reverse("login_address:change"), {"current_password": value, "new_email": value}
        )
        assert response.status_code < 500, (value[:40], response.status_code)
        token = quote(value, safe="") or "x"
        for method in ("get", "post"):
            response = getattr(client, method)(f"/account/login-address/confirm/{token}/")
            assert response.status_code < 500, (value[:40], response.status_code)
        response = signed.post("/account/sessions/end-others/", {"id": value})
        assert response.status_code < 500, (value[:40], response.status_code)
