"""A deployment that follows the README serves French.

The README's production steps are `pip install .`, `manage.py migrate`, `manage.py
collectstatic` and gunicorn; none of them runs `make`, which is where the catalogues used
to be compiled. These tests start from a copy of the checkout without any .mo file.
"""

from __future__ import annotations

import http.client
import os
import shutil
import socket
import subprocess
import sys
import sysconfig
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
# Written by our catalogue only (allauth's own French would not prove anything).
FRENCH = "Accessibilité : partiellement conforme"
ENGLISH = "Accessibility: partially compliant"


def copy_checkout(target: Path) -> Path:
    """The checkout as a fresh clone has it: no compiled catalogue, no build output."""
    shutil.copytree(
        ROOT,
        target,
        ignore=shutil.ignore_patterns(
            ".git",
            ".venv",
            "*.mo",
            "__pycache__",
            "*.egg-info",
            "build",
            "staticfiles",
            "var",
            "media",
            "db.sqlite3",
            "node_modules",
            "test-results",
            ".pytest_cache",
            ".ruff_cache",
        ),
    )
    assert not list((target / "locale").glob("*/LC_MESSAGES/*.mo"))
    return target


def test_stale_catalogues_are_compiled_and_read(tmp_path):
    from django.utils import translation

    from chorus_portal.catalogues import compile_stale_catalogues, stale_catalogues

    locale = tmp_path / "locale"
    shutil.copytree(ROOT / "locale", locale, ignore=shutil.ignore_patterns("*.mo"))
    assert len(stale_catalogues([locale])) == 2
    written = compile_stale_catalogues([locale])
    assert sorted(p.name for p in written) == ["django.mo", "django.mo"]
    assert stale_catalogues([locale]) == []
    # Older than its .po again (a `git pull` changed it): compiled again.
    po = locale / "fr" / "LC_MESSAGES" / "django.po"
    os.utime(po, (time.time() + 10, time.time() + 10))
    assert stale_catalogues([locale]) == [po]
    import gettext

    french = gettext.translation("django", str(locale), languages=["fr"])
    assert french.gettext(ENGLISH) == FRENCH
    with translation.override("fr"):  # and the portal's own copy says the same
        assert translation.gettext(ENGLISH) == FRENCH


def test_a_catalogue_that_cannot_be_written_is_reported_not_fatal(tmp_path, caplog):
    from chorus_portal.catalogues import compile_stale_catalogues

    locale = tmp_path / "locale"
    shutil.copytree(ROOT / "locale", locale, ignore=shutil.ignore_patterns("*.mo"))
    # Something the portal cannot replace stands where the French .mo goes (even root
    # cannot rename a file over a directory), and it is older than the .po.
    blocker = locale / "fr" / "LC_MESSAGES" / "django.mo"
    blocker.mkdir()
    os.utime(blocker, (0, 0))
    written = compile_stale_catalogues([locale])
    assert [p.parent.parent.name for p in written] == ["en"]
    assert "Cannot compile" in caplog.text and "fr/LC_MESSAGES/django.po" in caplog.text
    assert not list(blocker.parent.glob(".*partial"))  # no half-written file left behind


class UnixHTTPConnection(http.client.HTTPConnection):
    def __init__(self, path: str):
        super().__init__("localhost", timeout=10)
        self.unix_path = path

    def connect(self):
        self.sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        self.sock.settimeout(10)
        self.sock.connect(self.unix_path)


def get(sock_path: str, path: str) -> tuple[int, str]:
    connection = UnixHTTPConnection(sock_path)
    try:
        connection.request("GET", path, headers={"Host": "localhost"})
        response = connection.getresponse()
        return response.status, response.read().decode()
    finally:
        connection.close()


def test_pip_install_migrate_collectstatic_gunicorn_serves_french(tmp_path):
    """The README's production path, in a fresh virtual environment, offline.

    The environment sees the current one's packages through a .pth file (nothing is
    downloaded: `--no-deps`, no index), and `pip install .` builds and installs the project
    as a deployer would (its build backend needs nothing); then migrate, collectstatic and
    gunicorn on a Unix socket.
    """
    checkout = copy_checkout(tmp_path / "checkout")
    venv = tmp_path / "venv"
    subprocess.run([sys.executable, "-m", "venv", str(venv)], check=True, timeout=120)
    python = venv / "bin" / "python"
    new_site = subprocess.run(
        [str(python), "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])"],
        check=True,
        capture_output=True,
        text=True,
    ).stdout.strip()
    Path(new_site, "portal-test-dependencies.pth").write_text(
        sysconfig.get_paths()["purelib"] + "\n"
    )
    env = {
        "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
        "HOME": str(tmp_path),
        "PIP_NO_INDEX": "1",
        "PIP_DISABLE_PIP_VERSION_CHECK": "1",
        "SECRET_KEY": "deployment-test-" + "k" * 48,
        "DEBUG": "false",
        "HTTPS": "false",
        "ALLOWED_HOSTS": "localhost",
        "DATABASE_URL": f"sqlite:///{tmp_path / 'portal.sqlite3'}",
    }

    def run(*args, timeout=120):
        done = subprocess.run(
            [str(python), *args],
            cwd=checkout,
            env=env,
            timeout=timeout,
            capture_output=True,
            text=True,
        )
        assert done.returncode == 0, (args, done.stdout[-2000:], done.stderr[-3000:])
        return done

    run("-m", "pip", "install", "--quiet", "--no-deps", ".")
    installed = run(
        "-c",
        "import importlib.metadata as m; d = m.distribution('chorus-portal'); "
        "print(d.locate_file('')); print(*d.requires, sep='\\n')",
    ).stdout.splitlines()
    assert installed[0] == new_site  # installed in the new environment
    assert any(line.startswith("Django") for line in installed[1:])
    run("manage.py", "migrate", "--noinput")
    run("manage.py", "collectstatic", "--noinput")
    assert sorted(p.parent.parent.name for p in (checkout / "locale").glob("*/*/django.mo")) == [
        "en",
        "fr",
    ]

    sock = tmp_path / "gunicorn.sock"
    server = subprocess.Popen(
        [
            str(python),
            "-m",
            "gunicorn",
            "chorus_portal.wsgi",
            "--bind",
            f"unix:{sock}",
            "--workers",
            "1",
        ],
        cwd=checkout,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )
    try:
        deadline = time.monotonic() + 30
        while not sock.exists():
            assert server.poll() is None, server.stderr.read().decode()
            assert time.monotonic() < deadline, "gunicorn did not start"
            time.sleep(0.2)
        status, html = get(str(sock), "/accounts/login/")
        assert status == 200
        assert '<html lang="fr"' in html
        assert FRENCH in html and ENGLISH not in html
        status, html = get(str(sock), "/donnees-personnelles/")
        assert status == 200 and "Vos droits" in html
    finally:
        server.terminate()
        server.wait(timeout=10)


def test_the_build_backend_writes_a_wheel_and_a_source_archive(tmp_path):
    import tarfile
    import zipfile

    sys.path.insert(0, str(ROOT / "build_backend"))
    try:
        import portal_build
    finally:
        sys.path.remove(str(ROOT / "build_backend"))

    wheel = tmp_path / portal_build.build_wheel(str(tmp_path))
    with zipfile.ZipFile(wheel) as archive:
        names = archive.namelist()
        metadata = archive.read("chorus_portal-0.1.0.dist-info/METADATA").decode()
        record = archive.read("chorus_portal-0.1.0.dist-info/RECORD").decode()
    assert wheel.name == "chorus_portal-0.1.0-py3-none-any.whl"
    assert (
        "Requires-Dist: Django<6,>=5.2.19" in metadata
        or "Requires-Dist: Django>=5.2.19,<6" in metadata
    )
    assert "Provides-Extra: test" in metadata and 'extra == "test"' in metadata
    assert all(name in record for name in names if not name.endswith("RECORD"))

    sdist = tmp_path / portal_build.build_sdist(str(tmp_path))
    with tarfile.open(sdist) as archive:
        members = set(archive.getnames())
    base = "chorus_portal-0.1.0/"
    for wanted in (
        "manage.py",
        "pyproject.toml",
        "locale/fr/LC_MESSAGES/django.po",
        "build_backend/portal_build.py",
        "PKG-INFO",
        "templates/500.html",
    ):
        assert base + wanted in members, wanted
    assert not any(m.endswith(".mo") or "/.git/" in m or "/.venv/" in m for m in members)
