from __future__ import annotations

import email
from email import policy
from pathlib import Path

from django.conf import settings
from django.contrib.auth.decorators import login_required
from django.contrib.messages.storage.cookie import CookieStorage
from django.http import Http404
from django.shortcuts import render
from django.utils.translation import check_for_language, get_language
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy as _lazy
from django.views.decorators.http import require_GET, require_POST
from django.views.i18n import set_language as django_set_language

from .retention import RETENTION


@login_required
@require_GET
def home(request):
    return render(request, "home.html", {"title": _("Home")})


LEGAL_PAGES = {
    "accessibility": _lazy("Accessibility statement"),
    "legal_notice": _lazy("Legal notice"),
    "personal_data": _lazy("Personal data"),
    "cookies": _lazy("Cookie management"),
}


@require_GET
def legal_page(request, page: str):
    """The State site's mandatory pages: open to everyone, in the visitor's language.

    Each page's text is written in each language (legal/<page>_<language>.html)
    rather than sentence by sentence through the catalogues.
    """
    language = "en" if get_language() == "en" else "fr"
    return render(
        request,
        "legal/page.html",
        {
            "title": LEGAL_PAGES[page],
            "page": page,
            "body_template": f"legal/{page}_{language}.html",
            "retention": RETENTION,
            "dpo_email": settings.DPO_EMAIL,
            "support_email": settings.SUPPORT_EMAIL,
            "cookies": {
                "session": settings.SESSION_COOKIE_NAME,
                "csrf": settings.CSRF_COOKIE_NAME,
                "language": settings.LANGUAGE_COOKIE_NAME,
                "messages": CookieStorage.cookie_name,
            },
        },
    )


@require_GET
def sitemap(request):
    """The site map: every page this visitor can open, the second way to move around."""
    from .navigation import sitemap_sections

    return render(
        request,
        "legal/sitemap.html",
        {"title": _("Site map"), "sections": sitemap_sections(request.user)},
    )


@require_POST
def set_language(request):
    """The FR ↔ EN switch; for a signed-in user it also becomes their preference."""
    from accounts.services import set_preferences

    language = request.POST.get("language", "")
    if request.user.is_authenticated and check_for_language(language):
        if language in dict(settings.LANGUAGES):
            set_preferences(user=request.user, values={"language": language}, http_request=request)
    return django_set_language(request)


@require_GET
def dev_outbox(request):
    """Development only: the mails the portal sent, newest first."""
    if not settings.DEV_OUTBOX:
        raise Http404
    outbox = Path(settings.OUTBOX_DIR)
    mails = []
    files = sorted(outbox.glob("*.eml"), reverse=True)[:50] if outbox.is_dir() else []
    for path in files:
        message = email.message_from_bytes(path.read_bytes(), policy=policy.default)
        body = message.get_body(preferencelist=("plain",))
        mails.append(
            {
                "to": message["To"],
                "subject": message["Subject"],
                "date": message["Date"],
                "body": body.get_content() if body else "",
            }
        )
    return render(request, "dev/outbox.html", {"mails": mails, "title": _("Development outbox")})
