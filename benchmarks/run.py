"""`make benchmark`: the portal measured at a given size, written to docs/benchmarks.md.

    DATABASE_URL=postgres://user@host:5432/scratch .venv/bin/python benchmarks/run.py \\
        [--size big|medium|small] [--generate SIZE] [--duration 10] [--out docs/benchmarks.md]

What it measures (numbers only: nothing here passes or fails):

1. each list page's queries, time and size at 10 and at 1,000 rows (in process);
2. throughput and p50/p99 latency of /account/, /users/ and /account/affiliations/ at
   1, 10 and 50 clients, each against a bare view (every middleware, no work of its own)
   in the same run, with `wrk` against gunicorn (2 workers), plus the web workers' CPU
   time per request and their memory;
3. password logins per CPU-second of the web workers, against a raw argon2-cffi loop
   with the same parameters;
4. the structure search's p50/p95 over the words people type;
5. the admin's pages at full size.

The database named by DATABASE_URL is used as is: a throw-away one. It is migrated and,
when it holds no user, filled at `--size` with `manage.py generate_data` (`--generate`
fills it regardless); the personas' sessions and some login hashes are written to it.
PostgreSQL is expected (SQLite works for the in-process parts, with --no-http).
Redis is used when REDIS_URL is set or one answers on 127.0.0.1:6379 (database 13).
`wrk` is installed with apt-get when missing and possible; otherwise the script says how.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import platform
import re
import secrets
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.parse
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

CLIENTS = (1, 10, 50)
SEARCHES = [
    "mairie",
    "durand",
    "sas",
    "transports lyon",
    "siret",
    "de",
    "public",
    "privée",
    "boulangerie martin",
    "{siret}",
    "{siren}",
    "{siret_spaced}",
    "lycée",
    "centre hospitalier",
    "zzz",
    "ecole",
    "paris",
    "trésorerie de nantes",
    "ateliers",
    "établissements dupont",
    "sarl",
    "informatique",
    "martin",
    "mar",
    "conseil paris",
    "groupe",
    "menuiserie bernard sarl",
    "commune",
    "ministère",
    "mairie publique lyon",
]


# --- Environment --------------------------------------------------------------------------


def ensure_wrk() -> str:
    found = shutil.which("wrk")
    if found:
        return found
    if hasattr(os, "geteuid") and os.geteuid() == 0 and shutil.which("apt-get"):
        print("Installing wrk (apt-get install wrk)…", flush=True)
        subprocess.run(["apt-get", "install", "-y", "-qq", "wrk"], check=False)
        found = shutil.which("wrk")
    if not found:
        sys.exit(
            "wrk is needed for the HTTP measures: `apt-get install wrk` (Debian, Ubuntu), "
            "`brew install wrk` (macOS), or run with --no-http."
        )
    return found


def redis_answers(host: str = "127.0.0.1", port: int = 6379) -> bool:
    try:
        with socket.create_connection((host, port), timeout=1) as sock:
            sock.sendall(b"PING\r\n")
            return sock.recv(16).startswith(b"+PONG")
    except OSError:
        return False


def configure(args) -> None:
    if not os.environ.get("DATABASE_URL"):
        sys.exit("Set DATABASE_URL to a scratch database (PostgreSQL).")
    os.environ["DJANGO_SETTINGS_MODULE"] = "benchmarks.settings"
    os.environ.setdefault("SECRET_KEY", secrets.token_urlsafe(64))
    os.environ["DEBUG"] = "false"
    os.environ["HTTPS"] = "false"
    os.environ["ALLOWED_HOSTS"] = "127.0.0.1,localhost,testserver"
    os.environ["TASK_BACKEND"] = "database"
    os.environ.setdefault("LOG_LEVEL", "WARNING")
    if not os.environ.get("REDIS_URL") and redis_answers():
        os.environ["REDIS_URL"] = "redis://127.0.0.1:6379/13"
    import django

    django.setup()


# --- Processes (/proc) ------------------------------------------------------------------------


TICKS = os.sysconf("SC_CLK_TCK") if hasattr(os, "sysconf") else 100


def children(pid: int) -> list[int]:
    found = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_text()
        except OSError:
            continue
        fields = stat[stat.rindex(")") + 2 :].split()
        if int(fields[1]) == pid:
            found.append(int(entry.name))
    return found


def cpu_seconds(pids: list[int]) -> float:
    total = 0
    for pid in pids:
        try:
            stat = Path(f"/proc/{pid}/stat").read_text()
        except OSError:
            continue
        fields = stat[stat.rindex(")") + 2 :].split()
        total += int(fields[11]) + int(fields[12])  # utime, stime
    return total / TICKS


def memory_mb(pid: int) -> tuple[float, float]:
    values = {}
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith(("VmRSS:", "VmHWM:")):
            key, amount, _unit = line.split()
            values[key] = int(amount) / 1024
    return values.get("VmRSS:", 0.0), values.get("VmHWM:", 0.0)


# --- Personas and sessions ---------------------------------------------------------------------


def personas() -> dict:
    from accounts.models import User
    from chorus_portal import datagen

    found = {
        key: User.objects.filter(email=datagen.persona_email(key)).first()
        for key in datagen.PERSONAS
    }
    missing = [key for key, user in found.items() if user is None]
    if missing:
        sys.exit(f"No persona {missing}: fill the database with manage.py generate_data.")
    end_earlier_sessions(found.values())
    return found


def end_earlier_sessions(users) -> None:
    """Each run signs the personas in again: the sessions left by earlier runs would
    lengthen My account's list of active sessions from one run to the next."""
    from django.contrib.sessions.models import Session

    from accounts.models import UserSession

    sessions = UserSession.objects.filter(user__in=list(users)).values("session_id")
    Session.objects.filter(pk__in=sessions).delete()


def signed_in_client(user):
    """A test client whose session has both factors (as after the factor step)."""
    from django.test import Client
    from django_otp import DEVICE_ID_SESSION_KEY

    from mfa.services import email_device_for

    client = Client()
    client.force_login(user)
    session = client.session
    session[DEVICE_ID_SESSION_KEY] = email_device_for(user).persistent_id
    session.save()
    client.get("/bench/bare/")  # the first request settles the session's own keys
    return client


def session_cookie(client) -> str:
    """The cookies a browser sends once signed in: the session's and the CSRF secret's
    (set by the first page with a form; the kept pages need it, see page_cache)."""
    from django.conf import settings

    if settings.CSRF_COOKIE_NAME not in client.cookies:
        client.get("/account/")
    return "; ".join(
        f"{name}={client.cookies[name].value}"
        for name in (settings.SESSION_COOKIE_NAME, settings.CSRF_COOKIE_NAME)
    )


# --- 1. Pages at 10 and 1,000 rows (in process) -----------------------------------------------


def page_costs(people: dict, repeat: int) -> list[dict]:
    from django.db import connection, reset_queries
    from django.test.utils import CaptureQueriesContext, override_settings
    from django.urls import reverse

    from affiliations.models import Affiliation

    def transfer_url(user):
        structure = (
            Affiliation.objects.filter(user=user, role="main_manager", status="active")
            .values_list("structure_id", flat=True)
            .first()
        )
        return reverse("affiliations:role-transfer", args=[structure])

    pages = [
        ("My affiliations", "affiliations:affiliation-list", "rows10", "rows1000"),
        ("My authorizations", "authorizations:authorization-list", "rows10", "rows1000"),
        ("History of my requests", "affiliations:request-list", "rows10", "rows1000"),
        ("Detach myself (list)", "affiliations:affiliation-detach", "rows10", "rows1000"),
        ("Users area, plain user", "affiliations:users-area", "rows10", "rows1000"),
        ("Users area, manager", "affiliations:users-area", "manager10", "manager1000"),
        ("Users area, manager of many", "affiliations:users-area", "manager10", "managermany"),
        ("Transfer the role (members)", transfer_url, "manager10", "manager1000"),
        ("My account", "accounts:account", "rows10", "rows1000"),
    ]

    def timed(client, url):
        client.get(url)
        timings = []
        for _ in range(repeat):
            reset_queries()
            with CaptureQueriesContext(connection) as captured:
                started = time.perf_counter()
                response = client.get(url)
                timings.append((time.perf_counter() - started) * 1000)
        return response, len(captured), statistics.median(timings)

    clients = {}
    rows = []
    for label, target, small, large in pages:
        result = {"page": label}
        for size, key in (("10", small), ("1000", large)):
            client = clients.get(key) or clients.setdefault(key, signed_in_client(people[key]))
            url = target(people[key]) if callable(target) else reverse(target)
            # Drawn every time (the pages kept once drawn are not kept here)…
            with override_settings(PAGE_CACHE=False):
                response, queries, ms = timed(client, url)
            result[size] = {
                "status": response.status_code,
                "queries": queries,
                "ms": ms,
                "kb": len(response.content) / 1024,
                "url": url,
            }
            # …and served again, as the portal does (the same for pages it does not keep).
            _, kept_queries, kept_ms = timed(client, url)
            result[size].update(kept_queries=kept_queries, kept_ms=kept_ms)
        rows.append(result)
        print(
            f"  {label}: {result['10']['ms']:.1f} ms / {result['1000']['ms']:.1f} ms, "
            f"{result['10']['queries']} / {result['1000']['queries']} queries; again "
            f"{result['10']['kept_ms']:.1f} ms / {result['1000']['kept_ms']:.1f} ms",
            flush=True,
        )
    return rows


def cpu_breakdown(people: dict, repeat: int) -> list[dict]:
    """CPU time per request in this process (no network, no other process's time): the
    bare view against /account/ and /users/, and the part spent drawing templates."""
    from django.db import connection
    from django.template.backends.django import Template
    from django.test.utils import CaptureQueriesContext, override_settings

    spent = {"templates": 0.0, "depth": 0}
    original = Template.render

    def timed_render(self, *args, **kwargs):
        spent["depth"] += 1
        started = time.process_time()
        try:
            return original(self, *args, **kwargs)
        finally:
            spent["depth"] -= 1
            if not spent["depth"]:
                spent["templates"] += time.process_time() - started

    rows = []
    Template.render = timed_render
    try:
        for label, url, key, keep in (
            ("bare view", "/bench/bare/", "rows10", True),
            ("/account/", "/account/", "rows10", True),
            ("/users/ (manager)", "/users/", "manager10", True),
            ("/account/, drawn each time", "/account/", "rows10", False),
            ("/users/ (manager), drawn each time", "/users/", "manager10", False),
        ):
            settings_context = override_settings(PAGE_CACHE=keep)
            settings_context.enable()
            client = signed_in_client(people[key])
            for _ in range(5):
                client.get(url)
            spent["templates"] = 0.0
            count = max(repeat, 20)
            database = 0.0
            started = time.process_time()
            for _ in range(count):
                with CaptureQueriesContext(connection) as captured:
                    client.get(url)
                database += sum(float(q["time"]) for q in captured)
            cpu = (time.process_time() - started) * 1000 / count
            rows.append(
                {
                    "what": label,
                    "cpu_ms": cpu,
                    "templates_ms": spent["templates"] * 1000 / count,
                    "queries": len(captured),
                    "database_ms": database * 1000 / count,
                }
            )
            settings_context.disable()
            print(
                f"  {label}: {cpu:.1f} CPU ms per request, templates "
                f"{rows[-1]['templates_ms']:.1f} ms, {len(captured)} queries",
                flush=True,
            )
    finally:
        Template.render = original
    return rows


# --- 2. Throughput with wrk -------------------------------------------------------------------


UNITS = {"us": 0.001, "ms": 1.0, "s": 1000.0, "m": 60000.0}


def _duration_ms(text: str) -> float:
    match = re.fullmatch(r"([\d.]+)(us|ms|s|m)", text)
    return float(match.group(1)) * UNITS[match.group(2)]


def run_wrk(wrk: str, url: str, clients: int, duration: int, *, cookie="", script=None) -> dict:
    command = [wrk, f"-t{min(clients, 2)}", f"-c{clients}", f"-d{duration}s", "--latency"]
    command += ["--timeout", "30s"]
    if cookie:
        command += ["-H", f"Cookie: {cookie}"]
    if script:
        command += ["-s", script]
    output = subprocess.run([*command, url], capture_output=True, text=True, check=True).stdout
    result = {"rps": float(re.search(r"Requests/sec:\s+([\d.]+)", output).group(1))}
    for percentile in ("50", "99"):
        found = re.search(rf"^\s+{percentile}%\s+(\S+)", output, re.MULTILINE)
        result[f"p{percentile}"] = _duration_ms(found.group(1)) if found else float("nan")
    requests = re.search(r"(\d+) requests in", output)
    result["requests"] = int(requests.group(1)) if requests else 0
    bad = re.search(r"Non-2xx or 3xx responses: (\d+)", output)
    result["bad"] = int(bad.group(1)) if bad else 0
    errors = re.search(r"Socket errors: (.*)", output)
    result["socket_errors"] = errors.group(1) if errors else ""
    return result


class Gunicorn:
    def __init__(self, port: int, workers: int, log: Path):
        self.port = port
        self.url = f"http://127.0.0.1:{port}"
        self.log = open(log, "ab")  # noqa: SIM115
        self.process = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "gunicorn",
                "chorus_portal.wsgi",
                "--bind",
                f"127.0.0.1:{port}",
                "--workers",
                str(workers),
                "--backlog",
                "2048",
            ],
            cwd=ROOT,
            env=os.environ.copy(),
            stdout=self.log,
            stderr=subprocess.STDOUT,
        )
        deadline = time.monotonic() + 90
        while time.monotonic() < deadline:
            try:
                with urllib.request.urlopen(f"{self.url}/bench/bare/", timeout=5) as answer:
                    if answer.status == 200 and len(self.workers()) >= workers:
                        return
            except OSError:
                time.sleep(0.5)
        raise RuntimeError("gunicorn did not start")

    def workers(self) -> list[int]:
        return children(self.process.pid)

    def stop(self) -> None:
        self.process.terminate()
        try:
            self.process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            self.process.kill()
        self.log.close()


def measured(server: Gunicorn, wrk: str, url: str, clients: int, duration: int, **kw) -> dict:
    pids = server.workers()
    before = cpu_seconds(pids)
    result = run_wrk(wrk, f"{server.url}{url}", clients, duration, **kw)
    cpu = cpu_seconds(pids) - before
    result["cpu_ms_per_request"] = cpu * 1000 / result["requests"] if result["requests"] else 0
    return result


def throughput(server: Gunicorn, wrk: str, people: dict, duration: int) -> dict:
    signed = signed_in_client(people["rows10"])
    manager = signed_in_client(people["manager10"])
    cookie, manager_cookie = session_cookie(signed), session_cookie(manager)
    results = {}
    for clients in CLIENTS:
        print(f"  {clients} client(s)…", flush=True)
        row = {
            "bare, anonymous": measured(server, wrk, "/bench/bare/", clients, duration),
            "bare, signed in": measured(
                server, wrk, "/bench/bare/", clients, duration, cookie=cookie
            ),
            "/account/": measured(server, wrk, "/account/", clients, duration, cookie=cookie),
            "/users/": measured(server, wrk, "/users/", clients, duration, cookie=manager_cookie),
            "/account/affiliations/": measured(
                server, wrk, "/account/affiliations/", clients, duration, cookie=cookie
            ),
        }
        again = measured(server, wrk, "/bench/bare/", clients, duration, cookie=cookie)
        # The bare view before and after the pages: the machine's drift is halved.
        bare = row["bare, signed in"]
        for key in ("rps", "cpu_ms_per_request"):
            bare[key] = (bare[key] + again[key]) / 2
        results[clients] = row
        for label, figures in row.items():
            print(
                f"    {label}: {figures['rps']:.0f} req/s, p50 {figures['p50']:.1f} ms, "
                f"p99 {figures['p99']:.1f} ms, {figures['cpu_ms_per_request']:.2f} CPU ms",
                flush=True,
            )
    return results


# --- 3. Logins -----------------------------------------------------------------------------


def login_rates(server: Gunicorn, wrk: str, duration: int, work: Path) -> dict:
    import argon2
    from django.contrib.auth.hashers import get_hasher, make_password

    from accounts.models import User
    from activity.models import ActivityLog
    from chorus_portal import datagen

    hasher = get_hasher("default")
    params = {"t": hasher.time_cost, "m": hasher.memory_cost, "p": hasher.parallelism}
    # Raw argon2-cffi, same parameters, CPU time of this process.
    raw = argon2.PasswordHasher(
        time_cost=params["t"],
        memory_cost=params["m"],
        parallelism=params["p"],
        type=argon2.Type.ID,
    )
    encoded = raw.hash(datagen.PASSWORD)
    count, started = 0, time.process_time()
    while time.process_time() - started < 5:
        raw.verify(encoded, datagen.PASSWORD)
        count += 1
    raw_rate = count / (time.process_time() - started)

    # 2,000 generated users with a hash of the current parameters (the generator's may be
    # older: their first login would hash again, which is not what is measured here).
    ids = list(
        User.objects.filter(is_active=True, is_staff=False)
        .exclude(email__endswith=datagen.PERSONA_DOMAIN)
        .order_by("pk")
        .values_list("pk", flat=True)[:2000]
    )
    User.objects.filter(pk__in=ids).update(
        password=make_password(datagen.PASSWORD), login_failure_count=0
    )
    emails = list(User.objects.filter(pk__in=ids).values_list("email", flat=True))
    with urllib.request.urlopen(f"{server.url}/accounts/login/") as answer:
        page = answer.read().decode()
        cookie = next(
            h.split(";")[0]
            for k, h in answer.headers.items()
            if k.lower() == "set-cookie" and h.startswith("csrftoken=")
        )
    token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page).group(1)
    script = work / "login.lua"
    quoted = ", ".join(f'"{urllib.parse.quote(e)}"' for e in emails)
    script.write_text(
        f"local emails = {{{quoted}}}\n"
        f'local token = "{token}"\n'
        f'local password = "{urllib.parse.quote(datagen.PASSWORD)}"\n'
        "math.randomseed(os.time())\n"
        "request = function()\n"
        "  local email = emails[math.random(#emails)]\n"
        '  local body = "csrfmiddlewaretoken=" .. token .. "&login=" .. email ..'
        ' "&password=" .. password\n'
        '  return wrk.format("POST", "/accounts/login/", {["Content-Type"] = '
        '"application/x-www-form-urlencoded", ["Cookie"] = "' + cookie + '"}, body)\n'
        "end\n"
    )
    succeeded = ActivityLog.objects.filter(action="login.succeeded").count()
    result = measured(server, wrk, "/accounts/login/", 4, duration, script=str(script))
    result["succeeded"] = ActivityLog.objects.filter(action="login.succeeded").count() - succeeded
    cpu = result["cpu_ms_per_request"] * result["requests"] / 1000
    result["per_cpu_second"] = result["succeeded"] / cpu if cpu else 0
    result["raw_per_cpu_second"] = raw_rate
    result["params"] = params
    result.update(_login_in_process(emails[:60]))
    return result


def _login_in_process(emails: list[str]) -> dict:
    """One process, one client: the CPU time of a password step and its Argon2 part."""
    import argon2
    from django.db import connection
    from django.test import Client
    from django.test.utils import CaptureQueriesContext

    from chorus_portal import datagen

    spent = {"argon2": 0.0}
    original = argon2.PasswordHasher.verify

    def verify(self, *args, **kwargs):
        started = time.process_time()
        try:
            return original(self, *args, **kwargs)
        finally:
            spent["argon2"] += time.process_time() - started

    client = Client()
    for email in emails[:10]:  # the first requests of a process load and compile
        client.cookies.clear()
        client.post("/accounts/login/", {"login": email, "password": datagen.PASSWORD})
    argon2.PasswordHasher.verify = verify
    try:
        done, queries, started = 0, 0, time.process_time()
        for email in emails[10:]:
            client.cookies.clear()
            with CaptureQueriesContext(connection) as captured:
                answer = client.post(
                    "/accounts/login/", {"login": email, "password": datagen.PASSWORD}
                )
            if answer.status_code == 302:
                done += 1
                queries += len(captured)
        cpu = time.process_time() - started
    finally:
        argon2.PasswordHasher.verify = original
    return {
        "in_process_cpu_ms": cpu * 1000 / done if done else float("nan"),
        "in_process_argon2_ms": spent["argon2"] * 1000 / done if done else float("nan"),
        "in_process_queries": queries / done if done else 0,
    }


# --- 4. Search -------------------------------------------------------------------------------


def search_times(repeat: int) -> dict:
    from affiliations.models import Structure
    from affiliations.selectors import search_structures

    siret = (
        Structure.objects.filter(identifier_type="SIRET", status="active")
        .order_by("pk")
        .values_list("identifier", flat=True)[Structure.objects.count() // 2 :][:1]
    )
    siret = siret[0] if siret else "73282932000074"
    spaced = " ".join([siret[:3], siret[3:6], siret[6:9], siret[9:]])
    queries = [q.format(siret=siret, siren=siret[:9], siret_spaced=spaced) for q in SEARCHES]
    for query in queries:  # the first run of each reads from disk
        search_structures(query)
    per_query, everything = [], []
    for query in queries:
        timings = []
        for _ in range(repeat):
            started = time.perf_counter()
            page = search_structures(query)
            list(page.object_list)
            timings.append((time.perf_counter() - started) * 1000)
        everything += timings
        per_query.append(
            {
                "query": query,
                "found": f"> {page.cap:,}" if page.capped else f"{page.paginator.count:,}",
                "p50": statistics.median(timings),
                "max": max(timings),
            }
        )
    everything.sort()
    return {
        "queries": per_query,
        "p50": everything[len(everything) // 2],
        "p95": everything[int(len(everything) * 0.95)],
        "max": everything[-1],
        "count": len(everything),
    }


# --- 5. The admin ---------------------------------------------------------------------------------

# What staff type in each list's search box (placeholders filled from the data).
ADMIN_SEARCHES = {
    "accounts.user": ["martin", "jean martin", "{email}", "zzz"],
    "account.emailaddress": ["{email}"],
    "affiliations.structure": [
        "boulangerie martin",
        "sas",
        "de",
        "a",
        "{siret}",
        "{siren}",
        "mairie publique lyon",
        "centre hospitalier",
    ],
    "affiliations.service": ["comptabilite", "service achats", "{service_code}"],
    "affiliations.affiliation": ["{email}", "{siret}", "durand"],
    "affiliations.request": ["{email}", "{siret}", "{request_id}", "martin"],
    "authorizations.authorization": ["{email}", "{siret}"],
    "activity.activitylog": ["{email}", "{ip}", "martin"],
    "mfa.emaildevice": ["{email}", "martin"],
    "otp_totp.totpdevice": ["{email}"],
    "django_otp_webauthn.webauthncredential": ["{email}"],
    "notifications.event": ["facture", "{siret}"],
    "chorus_portal.outgoingmail": ["{email}", "code"],
}
# Typed filters (InputFilter): their value.
ADMIN_INPUTS = {"structure_identifier": "{siret}"}
CHOICES_PER_FILTER = 3


def _posted_form(response) -> dict:
    """What a browser posts back from an admin change page left as it is."""

    def fields(form) -> dict:
        data = {}
        for field in form:
            if field.field.disabled:
                continue
            value = field.value()
            if value is None:
                continue
            if isinstance(value, bool):
                if value:
                    data[field.html_name] = "on"
            elif isinstance(value, list | tuple):
                data[field.html_name] = [str(getattr(v, "pk", v)) for v in value]
            else:
                data[field.html_name] = str(getattr(value, "pk", value))
        return data

    data = fields(response.context["adminform"].form)
    for inline in response.context["inline_admin_formsets"]:
        data.update(fields(inline.formset.management_form))
        for form in inline.formset.forms:
            data.update(fields(form))
    data["_continue"] = "1"
    return data


def _with_context(client, url):
    """A GET whose response carries its template context (as in the test runner)."""
    from django.template import Template
    from django.test.utils import instrumented_test_render

    original = Template._render
    Template._render = instrumented_test_render
    try:
        return client.get(url)
    finally:
        Template._render = original


def _admin_values(people: dict) -> dict:
    from activity.models import ActivityLog
    from affiliations.models import Affiliation, Request, Service

    big = (
        Affiliation.objects.filter(user=people["manager1000"], role="main_manager")
        .select_related("structure")
        .first()
        .structure
    )
    ip = (
        ActivityLog.objects.filter(ip__isnull=False)
        .order_by("-pk")
        .values_list("ip", flat=True)
        .first()
    )
    return {
        "big": big,
        "email": people["rows1000"].email,
        "siret": big.identifier,
        "siren": big.identifier[:9],
        "service_code": Service.objects.filter(structure=big).values_list("code", flat=True)[0],
        "request_id": Request.objects.order_by("-pk").values_list("pk", flat=True).first() or 1,
        "ip": ip or "127.0.0.1",
    }


def admin_urls(people: dict, staff) -> list[tuple[str, str, str]]:
    """(section, label, URL) of every page a staff member reaches: each list, each of its
    filters' first choices, the date hierarchy down to a day, the searches, the change
    page of the latest row (and of the biggest ones) and the add page."""
    from django.contrib import admin
    from django.contrib.admin.views.main import SEARCH_VAR
    from django.test import RequestFactory
    from django.urls import reverse

    values = _admin_values(people)
    urls = []
    factory = RequestFactory()
    for model, model_admin in admin.site._registry.items():
        opts = model._meta
        section = f"{opts.app_label}.{opts.model_name}"
        name = str(opts.verbose_name_plural).capitalize()
        info = opts.app_label, opts.model_name
        listing = reverse(f"admin:{info[0]}_{info[1]}_changelist")
        urls.append((section, name, listing))
        request = factory.get(listing)
        request.user = staff
        changelist = model_admin.get_changelist_instance(request)
        for spec in changelist.filter_specs:
            parameter = getattr(spec, "parameter_name", None)
            if parameter in ADMIN_INPUTS:
                value = ADMIN_INPUTS[parameter].format(**values)
                urls.append(
                    (section, f"{name}, filter {spec.title}", f"{listing}?{parameter}={value}")
                )
                continue
            taken = 0
            for choice in spec.choices(changelist):
                query = choice.get("query_string", "?")
                if choice.get("selected") or query in ("?", ""):
                    continue
                urls.append(
                    (section, f"{name}, {spec.title}: {choice['display']}", f"{listing}{query}")
                )
                taken += 1
                if taken == CHOICES_PER_FILTER:
                    break
        if model_admin.date_hierarchy:
            field = model_admin.date_hierarchy
            latest = model.objects.order_by(f"-{field}").values_list(field, flat=True).first()
            if latest is not None:
                parts = [("year", latest.year), ("month", latest.month), ("day", latest.day)]
                for depth in range(1, 4):
                    query = "&".join(f"{field}__{part}={v}" for part, v in parts[:depth])
                    label = "/".join(str(v) for _, v in parts[:depth])
                    urls.append((section, f"{name}, dates {label}", f"{listing}?{query}"))
        if model_admin.get_search_fields(request):
            for term in ADMIN_SEARCHES.get(section, ["martin"]):
                typed = term.format(**values)
                shown = "the SIRET" if term == "{siret}" else typed
                query = urllib.parse.urlencode({SEARCH_VAR: typed})
                urls.append((section, f"{name}, search “{shown}”", f"{listing}?{query}"))
        latest = model.objects.order_by("-pk").first()
        if latest is not None:
            change = reverse(f"admin:{info[0]}_{info[1]}_change", args=[latest.pk])
            urls.append((section, f"{opts.verbose_name.capitalize()}, latest", change))
        if model_admin.has_add_permission(request):
            urls.append((section, f"{opts.verbose_name.capitalize()}, add", listing + "add/"))
    big = values["big"]
    urls += [
        (
            "affiliations.structure",
            "Structure with 5,000 services",
            reverse("admin:affiliations_structure_change", args=[big.pk]),
        ),
        (
            "affiliations.service",
            "Services of the structure with 5,000 services",
            reverse("admin:affiliations_service_changelist") + f"?structure__id__exact={big.pk}",
        ),
        (
            "affiliations.affiliation",
            "Affiliations of the structure with 1,000 members",
            reverse("admin:affiliations_affiliation_changelist")
            + f"?structure__id__exact={big.pk}",
        ),
        (
            "affiliations.request",
            "Requests of the structure with 1,000 pending",
            reverse("admin:affiliations_request_changelist")
            + f"?structure_identifier={big.identifier}&status__exact=pending",
        ),
    ]
    for key, label in (
        ("rows1000", "User with 1,000 affiliations and 2,000 profiles"),
        ("managermany", "User managing 1,000 structures"),
        ("manager1000", "Main manager of the structure with 1,000 members"),
    ):
        urls.append(
            (
                "accounts.user",
                label,
                reverse("admin:accounts_user_change", args=[people[key].pk]),
            )
        )
        for model_label, target, rows in (
            ("affiliations.affiliation", "affiliations_affiliation", "affiliations"),
            ("authorizations.authorization", "authorizations_authorization", "profiles"),
        ):
            urls.append(
                (
                    model_label,
                    f"{label}: all their {rows}",
                    reverse(f"admin:{target}_changelist") + f"?user__id__exact={people[key].pk}",
                )
            )
    return urls


def _full_counts(captured) -> int:
    """COUNT queries without a LIMIT (LargeTablePaginator caps its own at 10,001 rows)."""
    return sum(
        1
        for query in captured
        if "COUNT(" in query["sql"].upper() and " LIMIT " not in query["sql"].upper()
    )


def admin_times(people: dict, repeat: int) -> list[dict]:
    from django.db import connection
    from django.test.utils import CaptureQueriesContext
    from django.urls import reverse

    staff = signed_in_client(people["staff"])
    rows = []

    def timed(section, label, url, method="get", data=None):
        if method == "get":
            staff.get(url)
        timings, cpu = [], []
        for _ in range(repeat if method == "get" else 1):
            with CaptureQueriesContext(connection) as captured:
                started, started_cpu = time.perf_counter(), time.process_time()
                response = getattr(staff, method)(url, data) if data else staff.get(url)
                timings.append((time.perf_counter() - started) * 1000)
                cpu.append((time.process_time() - started_cpu) * 1000)
        rows.append(
            {
                "section": section,
                "page": label,
                "url": url,
                "status": response.status_code,
                "ms": statistics.median(timings),
                "cpu_ms": statistics.median(cpu),
                "database_ms": sum(float(q["time"]) for q in captured) * 1000,
                "queries": len(captured),
                "expected": 200 if method == "get" else 302,
                "full_counts": _full_counts(captured),
                "slowest_sql": max(captured, key=lambda q: float(q["time"]))["sql"][:300]
                if len(captured)
                else "",
                "slowest_sql_ms": max((float(q["time"]) * 1000 for q in captured), default=0),
            }
        )
        print(
            f"  {label}: {rows[-1]['ms']:.0f} ms ({response.status_code}, "
            f"{rows[-1]['queries']} queries)",
            flush=True,
        )
        return response

    from django.utils import translation

    with translation.override("en"):
        pages = admin_urls(people, people["staff"])
    for section, label, url in pages:
        timed(section, label, url)
    # Saving the biggest pages as they are: the structure (its services are a list, not
    # an inline) and the user (only their latest rows are inline forms).
    from affiliations.models import Affiliation

    big = (
        Affiliation.objects.filter(user=people["manager1000"], role="main_manager")
        .values_list("structure_id", flat=True)
        .first()
    )
    for section, label, url in (
        (
            "affiliations.structure",
            "Structure with 5,000 services, saved",
            reverse("admin:affiliations_structure_change", args=[big]),
        ),
        (
            "accounts.user",
            "User with 1,000 affiliations, saved",
            reverse("admin:accounts_user_change", args=[people["rows1000"].pk]),
        ),
    ):
        timed(section, label, url, method="post", data=_posted_form(_with_context(staff, url)))
    return rows


# --- Machine and data -----------------------------------------------------------------------------


def machine() -> dict:
    from django.db import connection

    model = "?"
    cpuinfo = Path("/proc/cpuinfo")
    if cpuinfo.exists():
        for line in cpuinfo.read_text().splitlines():
            if line.startswith("model name"):
                model = line.split(":", 1)[1].strip()
                break
    memory = "?"
    meminfo = Path("/proc/meminfo")
    if meminfo.exists():
        kb = int(meminfo.read_text().split()[1])
        memory = f"{kb / 1024 / 1024:.0f} GiB"
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("SELECT version()")
            database = cursor.fetchone()[0].split(" on ")[0]
    else:
        database = connection.display_name
        if connection.vendor == "sqlite":
            database += " " + ".".join(map(str, connection.Database.sqlite_version_info))
    import django

    return {
        "cpu": model,
        "cores": os.cpu_count(),
        "memory": memory,
        "database": database,
        "redis": bool(os.environ.get("REDIS_URL")),
        "python": platform.python_version(),
        "django": django.get_version(),
    }


def sizes() -> list[tuple[str, int]]:
    from allauth.account.models import EmailAddress

    from accounts.models import User
    from activity.models import ActivityLog
    from affiliations.models import Affiliation, Request, Service, Structure
    from authorizations.models import Authorization

    return [
        ("users", User.objects.count()),
        ("e-mail addresses", EmailAddress.objects.count()),
        ("structures", Structure.objects.count()),
        ("services", Service.objects.count()),
        ("affiliations", Affiliation.objects.count()),
        ("profiles", Authorization.objects.count()),
        ("requests", Request.objects.count()),
        ("activity-log rows", ActivityLog.objects.count()),
    ]


def load() -> str:
    return " / ".join(f"{value:.1f}" for value in os.getloadavg())


# --- Report ------------------------------------------------------------------------------------


def report(data: dict, out: Path) -> None:
    from benchmarks.markdown import render

    out.write_text(render(data))
    print(f"Written: {out}")


def main() -> None:
    parser = argparse.ArgumentParser(description="Benchmarks at Chorus Pro's size.")
    parser.add_argument(
        "--generate",
        choices=["big", "medium", "small"],
        help="fill the database first (also done, at --size, when it holds no user)",
    )
    parser.add_argument("--size", choices=["big", "medium", "small"], default="big")
    parser.add_argument("--duration", type=int, default=10, help="seconds per wrk run")
    parser.add_argument("--repeat", type=int, default=10, help="in-process repetitions")
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--port", type=int, default=8191)
    parser.add_argument("--no-http", action="store_true", help="skip wrk and gunicorn")
    parser.add_argument("--only", default="", help="comma list: pages,http,logins,search,admin")
    parser.add_argument("--out", default=str(ROOT / "docs" / "benchmarks.md"))
    parser.add_argument("--note", default="", help="a sentence about the conditions")
    parser.add_argument("--data", help="also keep the figures in this JSON file")
    parser.add_argument(
        "--render", help="write --out again from a JSON file of --data (after editing notes.md)"
    )
    args = parser.parse_args()
    if args.render:
        data = json.loads(Path(args.render).read_text())
        if "http" in data:
            data["http"] = {int(clients): row for clients, row in data["http"].items()}
        report(data, Path(args.out))
        return
    wrk = None if args.no_http else ensure_wrk()
    configure(args)
    from django.core.management import call_command

    call_command("migrate", verbosity=0)
    from accounts.models import User

    if args.generate or not User.objects.exists():
        size = args.generate or args.size
        print(f"Generating the {size} size…", flush=True)
        call_command("generate_data", size=size)
    only = set(filter(None, args.only.split(",")))

    def wanted(part):
        return not only or part in only

    call_command("collectstatic", interactive=False, verbosity=0)
    data = {
        "date": dt.datetime.now().astimezone().strftime("%Y-%m-%d %H:%M %Z"),
        "machine": machine(),
        "sizes": sizes(),
        "load_start": load(),
        "note": args.note,
        "duration": args.duration,
        "workers": args.workers,
    }
    people = personas()
    if wanted("pages"):
        print("Pages at 10 and 1,000 rows…", flush=True)
        data["pages"] = page_costs(people, args.repeat)
        print("CPU per request, in process…", flush=True)
        data["cpu"] = cpu_breakdown(people, args.repeat)
    if wanted("search"):
        print("Structure search…", flush=True)
        data["search"] = search_times(args.repeat)
    if wanted("admin"):
        print("Admin…", flush=True)
        data["admin"] = admin_times(people, max(3, args.repeat // 3))
    if wrk and (wanted("http") or wanted("logins")):
        work = Path(tempfile.mkdtemp(prefix="chorus-bench-"))
        server = Gunicorn(args.port, args.workers, work / "gunicorn.log")
        try:
            if wanted("http"):
                print("Throughput (wrk)…", flush=True)
                data["http"] = throughput(server, wrk, people, args.duration)
            data["memory"] = [memory_mb(pid) for pid in server.workers()]
            if wanted("logins"):
                print("Logins…", flush=True)
                data["logins"] = login_rates(server, wrk, args.duration, work)
        finally:
            server.stop()
    data["load_end"] = load()
    if args.data:
        Path(args.data).write_text(json.dumps(data, indent=1, default=str))
    report(data, Path(args.out))


if __name__ == "__main__":
    main()
