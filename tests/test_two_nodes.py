"""Two web nodes behind one PostgreSQL and one Redis (scripts/two_nodes.py).

A person signs in on node A (password, then the code the task worker mails) and carries
on on node B; the rate limits and the factor's throttle count across both nodes.

Needs PostgreSQL (DATABASE_URL) and Redis on 127.0.0.1:6379: skipped, with the reason,
anywhere else. Redis database 13 is emptied before and after.
"""

from __future__ import annotations

import email
import http.cookiejar
import os
import re
import socket
import sys
import time
import urllib.error
import urllib.parse
import urllib.request
from pathlib import Path

import pytest
from django.contrib.auth.hashers import make_password
from django.db import connection

from accounts.hashers import PortalArgon2PasswordHasher
from accounts.models import User
from mfa.models import EmailDevice
from tests.conftest import CODE_RE, PASSWORD, make_user

ROOT = Path(__file__).resolve().parent.parent
REDIS_HOST, REDIS_PORT, REDIS_DB = "127.0.0.1", 6379, 13


def _redis_answers() -> bool:
    try:
        with socket.create_connection((REDIS_HOST, REDIS_PORT), timeout=1) as sock:
            sock.sendall(b"PING\r\n")
            return sock.recv(16).startswith(b"+PONG")
    except OSError:
        return False


pytestmark = [
    pytest.mark.skipif(
        connection.vendor != "postgresql",
        reason="two web nodes share a PostgreSQL database (set DATABASE_URL to one)",
    ),
    pytest.mark.skipif(not _redis_answers(), reason="no Redis answers on 127.0.0.1:6379"),
    pytest.mark.django_db(transaction=True),
]


def _flush_redis() -> None:
    import redis

    redis.Redis(host=REDIS_HOST, port=REDIS_PORT, db=REDIS_DB).flushdb()


class Browser:
    """Cookies kept across both nodes (same host, other port), like one browser."""

    def __init__(self):
        self.jar = http.cookiejar.CookieJar()
        self.opener = urllib.request.build_opener(
            urllib.request.HTTPCookieProcessor(self.jar), _NoRedirect()
        )

    def get(self, url: str) -> tuple[int, str, str]:
        return self._open(urllib.request.Request(url))

    def post(self, url: str, data: dict, *, form_url: str | None = None) -> tuple[int, str, str]:
        _status, _location, page = self.get(form_url or url)
        token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page).group(1)
        body = urllib.parse.urlencode({"csrfmiddlewaretoken": token, **data}).encode()
        return self._open(urllib.request.Request(url, data=body, method="POST"))

    def _open(self, request) -> tuple[int, str, str]:
        try:
            with self.opener.open(request, timeout=60) as response:
                return response.status, "", response.read().decode()
        except urllib.error.HTTPError as error:
            return error.code, error.headers.get("Location", ""), error.read().decode()


class _NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args, **kwargs):
        return None


def _wait_for_code(outbox: Path, address: str, seen: set[str]) -> str:
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        for path in sorted(outbox.glob("*.eml")):
            if path.name in seen:
                continue
            message = email.message_from_bytes(path.read_bytes())
            if address not in message["To"]:
                continue
            seen.add(path.name)
            body = (
                message.get_payload(decode=True)
                if not message.is_multipart()
                else message.get_payload(0).get_payload(decode=True)
            )
            match = CODE_RE.search(body.decode())
            if match:
                return match.group(1)
        time.sleep(0.2)
    raise AssertionError(f"no code mailed to {address} within a minute")


@pytest.fixture(scope="module")
def nodes(django_db_setup, tmp_path_factory):
    """Started once for the module, on the test database (each test commits its rows)."""
    sys.path.insert(0, str(ROOT / "scripts"))
    from two_nodes import running

    settings_dict = connection.settings_dict
    database_url = (
        f"postgres://{settings_dict['USER']}:{settings_dict['PASSWORD'] or ''}"
        f"@{settings_dict['HOST'] or '127.0.0.1'}:{settings_dict['PORT'] or 5432}"
        f"/{settings_dict['NAME']}"
    )
    tmp_path = tmp_path_factory.mktemp("nodes")
    outbox = tmp_path / "outbox"
    outbox.mkdir()
    _flush_redis()
    try:
        with running(
            database_url=database_url,
            redis_url=f"redis://{REDIS_HOST}:{REDIS_PORT}/{REDIS_DB}",
            outbox=str(outbox),
            ports=(int(os.environ.get("TWO_NODES_PORT", "8171")), 8172),
            workers=1,
            log_dir=str(tmp_path),
        ) as urls:
            yield urls, outbox
    finally:
        _flush_redis()


def _person(address: str) -> User:
    user = make_user(address, first_name="Noémie", last_name="Deuxnœuds")
    # The nodes run the production hasher (the tests' own is MD5).
    User.objects.filter(pk=user.pk).update(
        password=make_password(PASSWORD, hasher=PortalArgon2PasswordHasher())
    )
    return user


def test_sign_in_on_node_a_and_carry_on_on_node_b(nodes):
    (a, b), outbox = nodes
    person = _person("deux.noeuds@example.fr")
    browser = Browser()
    status, location, _ = browser.post(
        f"{a}/accounts/login/", {"login": person.email, "password": PASSWORD}
    )
    assert status == 302 and location.startswith("/mfa/verify/"), (status, location)
    # The code goes out through the task worker.
    code = _wait_for_code(outbox, person.email, set())
    status, location, _ = browser.post(f"{a}/mfa/verify/", {"code": code, "action": "verify"})
    assert status == 302, status
    # Node B knows the session: the account page, both factors passed.
    status, _, page = browser.get(f"{b}/account/")
    assert status == 200
    assert "Deuxnœuds" in page and person.email in page
    status, _, page = browser.get(f"{a}/account/affiliations/")
    assert status == 200
    # Signing out on B ends the session on A too.
    status, _, _ = browser.post(f"{b}/accounts/logout/", {}, form_url=f"{b}/account/")
    assert status == 302
    status, location, _ = browser.get(f"{a}/account/")
    assert status == 302 and location.startswith("/accounts/login/")


def test_rate_limits_and_the_factor_throttle_are_shared(nodes):
    import redis

    (a, b), outbox = nodes
    # Failed logins per IP (10 a minute): six on A, four on B, each for another address.
    for index in range(10):
        node = a if index < 6 else b
        status, _, page = Browser().post(
            f"{node}/accounts/login/", {"login": f"nobody{index}@example.fr", "password": "x1"}
        )
        assert status == 200 and "Trop de tentatives" not in page, index
    status, _, page = Browser().post(
        f"{b}/accounts/login/", {"login": "nobody-else@example.fr", "password": "x1"}
    )
    assert "Trop de tentatives" in page  # the eleventh, counted on both nodes
    assert redis.Redis(host=REDIS_HOST, port=REDIS_PORT, db=REDIS_DB).keys("*")

    # The factor: wrong codes on A and B add up on one device, whichever node answers.
    person = _person("throttle@example.fr")
    redis.Redis(host=REDIS_HOST, port=REDIS_PORT, db=REDIS_DB).flushdb()  # the IP limit
    browser = Browser()
    status, _, _ = browser.post(
        f"{a}/accounts/login/", {"login": person.email, "password": PASSWORD}
    )
    assert status == 302
    code = _wait_for_code(outbox, person.email, set())
    wrong = f"{(int(code) + 1) % 1_000_000:06d}"
    device = EmailDevice.objects.get(user=person)
    for failures, node in enumerate((a, b, a), start=1):
        status, _, page = browser.post(f"{node}/mfa/verify/", {"code": wrong, "action": "verify"})
        assert status == 200
        device.refresh_from_db()
        assert device.throttling_failure_count == failures, node
        # Wait out the delay (1, 2 then 4 seconds) so that the next try is counted.
        time.sleep(2 ** (failures - 1) + 0.3)
    status, _, _ = browser.post(f"{b}/mfa/verify/", {"code": code, "action": "verify"})
    assert status == 302
    device.refresh_from_db()
    assert device.throttling_failure_count == 0
