from __future__ import annotations

import email
from email import policy
from pathlib import Path

from django.conf import settings
from django.contrib.auth.decorators import login_required
from django.http import Http404
from django.shortcuts import render
from django.utils.translation import check_for_language
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST
from django.views.i18n import set_language as django_set_language


@login_required
@require_GET
def home(request):
    return render(request, "home.html", {"title": _("Home")})


@require_POST
def set_language(request):
    """The FR ↔ EN switch; for a signed-in user it also becomes their preference."""
    language = request.POST.get("language", "")
    if request.user.is_authenticated and check_for_language(language):
        if language in dict(settings.LANGUAGES) and request.user.language != language:
            request.user.language = language
            request.user.save(update_fields=["language"])
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
