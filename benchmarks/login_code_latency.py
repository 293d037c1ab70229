"""Login code latency through the mail queue: from the password step to the mail at
the SMTP server, with the production worker (`manage.py db_worker`).

Usage: python benchmarks/login_code_latency.py [--logins 20] [--interval 1]
Runs on a throw-away SQLite database, or on DATABASE_URL when it is set (the
database named there is emptied: point it at a scratch database). An SMTP server
(aiosmtpd) listens on loopback in this process, the worker runs as a child process
with TASK_BACKEND=database and `--interval` (its polling period when idle), and each
login posts the password step with Django's test client, then waits for the code's
mail to reach the server. Prints numbers; it never fails on a timing.
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

PASSWORD = "Correct-Horse-42!battery"


class Arrivals:
    def __init__(self):
        self.times: dict[str, float] = {}
        self.lock = threading.Lock()

    async def handle_DATA(self, server, session, envelope):  # noqa: N802 - aiosmtpd's hook
        now = time.perf_counter()
        with self.lock:
            for address in envelope.rcpt_tos:
                self.times.setdefault(address, now)
        return "250 Message accepted"


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--logins", type=int, default=20)
    parser.add_argument("--interval", type=float, default=1.0)
    args = parser.parse_args()

    import logging

    from aiosmtpd.controller import Controller

    logging.getLogger("mail.log").setLevel(logging.WARNING)

    from tests.mailqueue import free_port

    port = free_port()
    scratch = tempfile.mkdtemp(prefix="chorus-bench-latency-")
    os.environ.setdefault("DATABASE_URL", f"sqlite:///{scratch}/bench.sqlite3")
    os.environ["DEBUG"] = "true"
    os.environ["TASK_BACKEND"] = "database"
    os.environ["EMAIL_URL"] = f"smtp://127.0.0.1:{port}"
    os.environ["DJANGO_SETTINGS_MODULE"] = "chorus_portal.settings"
    import django

    django.setup()
    from allauth.account.models import EmailAddress
    from django.core.management import call_command
    from django.db import connection
    from django.test import Client
    from django.urls import reverse

    from accounts.models import User
    from mfa.services import email_device_for

    call_command("migrate", verbosity=0)
    call_command("flush", interactive=False, verbosity=0)
    print(f"database: {connection.vendor}, worker interval {args.interval} s")
    emails = []
    for n in range(args.logins):
        user = User.objects.create_user(email=f"latency{n}@bench.example", password=PASSWORD)
        EmailAddress.objects.create(user=user, email=user.email, verified=True, primary=True)
        email_device_for(user)
        emails.append(user.email)
    connection.close()

    arrivals = Arrivals()
    smtp = Controller(arrivals, hostname="127.0.0.1", port=port)
    smtp.start()
    worker = subprocess.Popen(
        [
            sys.executable,
            str(ROOT / "manage.py"),
            "db_worker",
            "--no-startup-delay",
            "--no-reload",
            "--interval",
            str(args.interval),
            "--verbosity",
            "0",
        ],
        env=os.environ,
    )
    try:
        time.sleep(3)  # the worker starts and polls
        latencies, responses, after = [], [], []
        for n, address in enumerate(emails):
            client = Client(HTTP_HOST="localhost", REMOTE_ADDR=f"10.9.{n // 250}.{n % 250 + 1}")
            start = time.perf_counter()
            response = client.post(
                reverse("account_login"), {"login": address, "password": PASSWORD}
            )
            responses.append(time.perf_counter() - start)
            assert response.status_code == 302, response.status_code
            deadline = time.perf_counter() + 60
            while address not in arrivals.times and time.perf_counter() < deadline:
                time.sleep(0.002)
            if address not in arrivals.times:
                print(f"  {address}: no mail within 60 s")
                continue
            latencies.append(arrivals.times[address] - start)
            after.append(arrivals.times[address] - start - responses[-1])
            time.sleep(0.3)  # logins do not come in lockstep with the worker's polls
    finally:
        worker.terminate()
        worker.wait(timeout=30)
        smtp.stop()
    latencies.sort()
    p95 = latencies[max(0, int(len(latencies) * 0.95) - 1)]
    print(
        f"password step response: median {statistics.median(responses) * 1000:.0f} ms\n"
        f"password step → code at the SMTP server ({len(latencies)} logins): "
        f"median {statistics.median(latencies) * 1000:.0f} ms, p95 {p95 * 1000:.0f} ms, "
        f"max {latencies[-1] * 1000:.0f} ms\n"
        f"of which after the response: median {statistics.median(after) * 1000:.0f} ms, "
        f"max {max(after) * 1000:.0f} ms"
    )


if __name__ == "__main__":
    main()
