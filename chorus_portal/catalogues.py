"""The translation catalogues, compiled when the portal starts if they need it.

The .mo files are build products (not in the repository). `make install` compiles
them, but a deployment that follows the README (`pip install .`, `migrate`,
`collectstatic`, gunicorn) never runs make: without this, every page would be served
in English under `lang="fr"`. So every start of Django (any `manage.py` command, the
WSGI application) compiles each catalogue whose .mo is missing or older than its .po,
with Babel (pure Python, already a dependency). The first command of a deployment
(`migrate`) therefore leaves them ready for the web workers; a `git pull` that changes a
.po is picked up at the next start.
"""

from __future__ import annotations

import logging
import os
from pathlib import Path

logger = logging.getLogger(__name__)


def stale_catalogues(locale_dirs) -> list[Path]:
    """The .po files whose .mo is missing or older."""
    stale = []
    for directory in locale_dirs:
        for po in sorted(Path(directory).glob("*/LC_MESSAGES/*.po")):
            mo = po.with_suffix(".mo")
            if not mo.exists() or mo.stat().st_mtime < po.stat().st_mtime:
                stale.append(po)
    return stale


def compile_catalogue(po: Path) -> Path:
    """Compile one .po next to itself (fuzzy entries left out, as `pybabel compile`).

    Written to a temporary file and renamed, so that web workers starting together
    never read a half-written catalogue."""
    from babel.messages.mofile import write_mo
    from babel.messages.pofile import read_po

    language = po.parent.parent.name
    with po.open("rb") as source:
        catalog = read_po(source, locale=language, domain=po.stem)
    mo = po.with_suffix(".mo")
    partial = mo.with_name(f".{mo.name}.{os.getpid()}.partial")
    try:
        with partial.open("wb") as target:
            write_mo(target, catalog, use_fuzzy=False)
        os.replace(partial, mo)
    finally:
        partial.unlink(missing_ok=True)
    return mo


def compile_stale_catalogues(locale_dirs) -> list[Path]:
    """Compile what needs it; returns the .mo files written. A catalogue that cannot be
    written (read-only checkout) is logged as an error, and the others still compile."""
    written = []
    for po in stale_catalogues(locale_dirs):
        try:
            written.append(compile_catalogue(po))
        except OSError as error:
            logger.error(
                "Cannot compile %s (%s): pages will not be translated. Run "
                "`pybabel compile -d locale -D django` as the checkout's owner.",
                po,
                error,
            )
    return written


def forget_loaded_translations() -> None:
    """Drop the catalogues Django may already have loaded, so the new .mo files are read."""
    from django.utils.translation import trans_real

    trans_real._translations = {}
    trans_real._default = None
    trans_real.translation_catalog_exists.cache_clear()
