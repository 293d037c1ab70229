"""The project's own PEP 517 build backend: `pip install .` needs no build tool.

The portal is an application served from its checkout (`manage.py`, `chorus_portal.wsgi`);
installing it only records its metadata, so that pip installs its dependencies (and the
`test` extra's). A wheel with that metadata and no module is all there is to build, so
this backend writes it with the standard library alone. Nothing has to be downloaded to
build it: `pip install .` works offline once the dependencies are at hand (the tests do
it in a fresh virtual environment), and the build never depends on a setuptools release.

The translation catalogues are not built here: the portal compiles them when it starts
(chorus_portal.catalogues), which also covers a `git pull` without a new install.
"""

from __future__ import annotations

import base64
import hashlib
import io
import os
import re
import tarfile
import tomllib
import zipfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
_TAG = "py3-none-any"
# What a source archive leaves out: build products and local state.
_SDIST_SKIP = re.compile(
    r"(^|/)(\.git|\.venv|__pycache__|[^/]*\.egg-info|build|dist|staticfiles|var|media|"
    r"node_modules|test-results|\.pytest_cache|\.ruff_cache)(/|$)|\.py[co]$|\.mo$|"
    r"(^|/)db\.sqlite3$"
)


def _project() -> dict:
    return tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["project"]


def _normalised(name: str) -> str:
    return re.sub(r"[-_.]+", "_", name).lower()


def _metadata(project: dict) -> str:
    lines = [
        "Metadata-Version: 2.1",
        f"Name: {project['name']}",
        f"Version: {project['version']}",
    ]
    if project.get("description"):
        lines.append(f"Summary: {project['description']}")
    if project.get("requires-python"):
        lines.append(f"Requires-Python: {project['requires-python']}")
    lines += [f"Requires-Dist: {requirement}" for requirement in project.get("dependencies", [])]
    for extra, requirements in project.get("optional-dependencies", {}).items():
        lines.append(f"Provides-Extra: {extra}")
        for requirement in requirements:
            requirement, _, marker = requirement.partition(";")
            condition = f'extra == "{extra}"'
            if marker.strip():
                condition = f"({marker.strip()}) and {condition}"
            lines.append(f"Requires-Dist: {requirement.strip()}; {condition}")
    return "\n".join(lines) + "\n"


def _dist_info(project: dict) -> str:
    return f"{_normalised(project['name'])}-{project['version']}.dist-info"


def _dist_info_files(project: dict) -> dict[str, bytes]:
    info = _dist_info(project)
    return {
        f"{info}/METADATA": _metadata(project).encode(),
        f"{info}/WHEEL": (
            f"Wheel-Version: 1.0\nGenerator: portal_build\nRoot-Is-Purelib: true\nTag: {_TAG}\n"
        ).encode(),
    }


def _record_line(name: str, content: bytes) -> str:
    digest = base64.urlsafe_b64encode(hashlib.sha256(content).digest()).rstrip(b"=").decode()
    return f"{name},sha256={digest},{len(content)}"


# --- PEP 517 hooks ---------------------------------------------------------------------


def get_requires_for_build_wheel(config_settings=None):
    return []


def get_requires_for_build_sdist(config_settings=None):
    return []


def get_requires_for_build_editable(config_settings=None):
    return []


def prepare_metadata_for_build_wheel(metadata_directory, config_settings=None):
    project = _project()
    for name, content in _dist_info_files(project).items():
        path = Path(metadata_directory, name)
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(content)
    return _dist_info(project)


def build_wheel(wheel_directory, config_settings=None, metadata_directory=None):
    project = _project()
    name = f"{_normalised(project['name'])}-{project['version']}-{_TAG}.whl"
    files = _dist_info_files(project)
    record = f"{_dist_info(project)}/RECORD"
    lines = [_record_line(path, content) for path, content in files.items()]
    lines.append(f"{record},,")
    files[record] = ("\n".join(lines) + "\n").encode()
    with zipfile.ZipFile(Path(wheel_directory, name), "w", zipfile.ZIP_DEFLATED) as wheel:
        for path, content in files.items():
            wheel.writestr(zipfile.ZipInfo(path, date_time=(1980, 1, 1, 0, 0, 0)), content)
    return name


# The application runs from its checkout either way: an editable install is the same wheel.
build_editable = build_wheel
prepare_metadata_for_build_editable = prepare_metadata_for_build_wheel


def build_sdist(sdist_directory, config_settings=None):
    project = _project()
    base = f"{_normalised(project['name'])}-{project['version']}"
    name = f"{base}.tar.gz"
    with tarfile.open(Path(sdist_directory, name), "w:gz", format=tarfile.PAX_FORMAT) as sdist:
        for folder, dirs, files in os.walk(ROOT):
            prefix = Path(folder).relative_to(ROOT).as_posix()
            prefix = "" if prefix == "." else f"{prefix}/"
            dirs[:] = sorted(d for d in dirs if not _SDIST_SKIP.search(prefix + d))
            for file in sorted(files):
                relative = prefix + file
                if not _SDIST_SKIP.search(relative):
                    sdist.add(Path(folder, file), arcname=f"{base}/{relative}", recursive=False)
        info = tarfile.TarInfo(f"{base}/PKG-INFO")
        content = _metadata(project).encode()
        info.size = len(content)
        sdist.addfile(info, io.BytesIO(content))
    return name
