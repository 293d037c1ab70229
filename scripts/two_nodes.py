#!/usr/bin/env python3
"""Two web nodes on one PostgreSQL and one Redis, with the task worker.

    DATABASE_URL=postgres://user@host:5432/chorus REDIS_URL=redis://127.0.0.1:6379/13 \\
        .venv/bin/python scripts/two_nodes.py [--ports 8101 8102] [--workers 2]

Starts gunicorn twice (node A and node B, `--workers` processes each) and
`manage.py db_worker`, all with the same production settings (DEBUG off, one
SECRET_KEY, database tasks, Redis for the cache, the rate limits and the sessions).
Mails are kept as .eml files in OUTBOX_DIR (a temporary directory by default) so the
codes can be read. Runs until interrupted. The database must be migrated.

`tests/test_two_nodes.py` uses `running()` to sign in on node A and carry on on node B.
"""

from __future__ import annotations

import argparse
import os
import secrets
import signal
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def node_environment(*, database_url: str, redis_url: str, outbox: str) -> dict[str, str]:
    env = {key: value for key, value in os.environ.items() if not key.startswith("PYTEST")}
    env.pop("DJANGO_SETTINGS_MODULE", None)
    env.update(
        {
            "DJANGO_SETTINGS_MODULE": "chorus_portal.settings",
            "DATABASE_URL": database_url,
            "REDIS_URL": redis_url,
            "SECRET_KEY": env.get("SECRET_KEY") or secrets.token_urlsafe(64),
            "DEBUG": "false",
            "HTTPS": "false",
            "ALLOWED_HOSTS": "127.0.0.1,localhost",
            "TASK_BACKEND": "database",
            "DEV_OUTBOX": "true",
            "OUTBOX_DIR": outbox,
            "LOG_LEVEL": "WARNING",
        }
    )
    return env


def _wait_until_up(url: str, processes: list[subprocess.Popen], timeout: float) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        for process in processes:
            if process.poll() is not None:
                raise RuntimeError(f"{process.args} stopped with code {process.returncode}")
        try:
            with urllib.request.urlopen(url, timeout=5) as response:
                if response.status == 200:
                    return
        except (urllib.error.URLError, ConnectionError, TimeoutError):
            pass
        time.sleep(0.5)
    raise RuntimeError(f"{url} did not answer within {timeout:.0f} s")


def _stop(processes: list[subprocess.Popen]) -> None:
    for process in processes:
        if process.poll() is None:
            process.send_signal(signal.SIGTERM)
    for process in processes:
        try:
            process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


@contextmanager
def running(
    *,
    database_url: str,
    redis_url: str,
    outbox: str,
    ports: tuple[int, int] = (8101, 8102),
    workers: int = 2,
    log_dir: str | None = None,
    collectstatic: bool = True,
) -> Iterator[tuple[str, str]]:
    """Start node A, node B and the worker; yield the nodes' base URLs; stop them all."""
    env = node_environment(database_url=database_url, redis_url=redis_url, outbox=outbox)
    python = sys.executable
    if collectstatic:
        subprocess.run(
            [python, "manage.py", "collectstatic", "--noinput", "--verbosity", "0"],
            cwd=ROOT,
            env=env,
            check=True,
        )
    log_dir = log_dir or tempfile.mkdtemp(prefix="chorus-nodes-")
    commands = {
        f"node-{name}": [
            python,
            "-m",
            "gunicorn",
            "chorus_portal.wsgi",
            "--bind",
            f"127.0.0.1:{port}",
            "--workers",
            str(workers),
            "--access-logfile",
            "-",
        ]
        for name, port in zip("ab", ports, strict=True)
    }
    commands["worker"] = [python, "manage.py", "db_worker", "--interval", "0.2"]
    processes: list[subprocess.Popen] = []
    try:
        for name, command in commands.items():
            log = open(Path(log_dir) / f"{name}.log", "ab")
            processes.append(
                subprocess.Popen(command, cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT)
            )
            log.close()
        urls = tuple(f"http://127.0.0.1:{port}" for port in ports)
        for url in urls:
            _wait_until_up(f"{url}/accounts/login/", processes, timeout=90)
        yield urls
    finally:
        _stop(processes)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--ports", type=int, nargs=2, default=(8101, 8102))
    parser.add_argument("--workers", type=int, default=2)
    args = parser.parse_args()
    database_url = os.environ.get("DATABASE_URL", "")
    redis_url = os.environ.get("REDIS_URL", "redis://127.0.0.1:6379/13")
    if not database_url.startswith(("postgres://", "postgresql://")):
        sys.exit("Set DATABASE_URL to a (migrated) PostgreSQL database.")
    outbox = os.environ.get("OUTBOX_DIR") or tempfile.mkdtemp(prefix="chorus-outbox-")
    with running(
        database_url=database_url,
        redis_url=redis_url,
        outbox=outbox,
        ports=tuple(args.ports),
        workers=args.workers,
    ) as (a, b):
        print(f"node A: {a}\nnode B: {b}\nmails: {outbox}\nCtrl-C stops them.", flush=True)
        try:
            while True:
                time.sleep(3600)
        except KeyboardInterrupt:
            pass


if __name__ == "__main__":
    main()
