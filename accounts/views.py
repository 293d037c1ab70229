from __future__ import annotations

import hashlib

from allauth.account import views as allauth_views
from allauth.account.decorators import reauthentication_required
from allauth.core import ratelimit
from django.contrib import messages
from django.contrib.auth import logout
from django.contrib.auth.decorators import login_required
from django.core.cache import caches
from django.http import FileResponse, Http404, HttpResponse
from django.shortcuts import redirect, render
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import translation
from django.utils.safestring import mark_safe
from django.utils.translation import gettext as _
from django.views.decorators.csrf import csrf_exempt, csrf_protect
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from chorus_portal.page_cache import per_person

from . import hooks, services, sessions
from .contact import country_name, readable_phone
from .forms import (
    PROFILE_FORMS,
    DeactivateForm,
    NotificationsForm,
    PhotoForm,
    PreferencesForm,
)
from .models import User

FRAGMENT_HEADER = "HTTP_X_PORTAL_FRAGMENT"


def _wants_fragment(request) -> bool:
    return request.META.get(FRAGMENT_HEADER) == "1"


def _initial(user: User, form_class) -> dict:
    return {name: getattr(user, name) for name in form_class.base_fields}


def _profile_forms(user: User) -> list[dict]:
    return [
        {"key": key, "title": title, "form": form_class(initial=_initial(user, form_class))}
        for key, (form_class, title) in PROFILE_FORMS.items()
    ]


def _window_fields(windows: list[tuple[str, str, object]]) -> dict[str, str]:
    """The fields of My account's small windows, each rendered once per language and values.

    Seven forms and their widgets were a third of the page's time, drawn again on every
    visit although they change only when the person saves a window. They are kept in
    this process's memory (the "fragments" cache), keyed by the window, the language and
    a digest of the values they show: a page after a save draws only the window saved.
    """
    language = translation.get_language()
    keys = {}
    for key, _template, form in windows:
        values = repr(sorted((name, str(value)) for name, value in form.initial.items()))
        digest = hashlib.sha256(f"{key}|{language}|{values}".encode()).hexdigest()
        keys[key] = f"account-window:{digest}"
    fragments = caches["fragments"]
    found = fragments.get_many(list(keys.values()))
    drawn = {}
    html = {}
    for key, template, form in windows:
        value = found.get(keys[key])
        if value is None:
            value = drawn[keys[key]] = render_to_string(template, {"form": form})
        html[key] = mark_safe(value)  # noqa: S308 (rendered by our own templates)
    if drawn:
        fragments.set_many(drawn)
    return html


@login_required
@require_GET
@per_person
def account(request):
    user = request.user
    profile_forms = _profile_forms(user)
    notifications_form = NotificationsForm(initial=_initial(user, NotificationsForm))
    fields = _window_fields(
        [(item["key"], "accounts/_edit_fields.html", item["form"]) for item in profile_forms]
        + [("notifications", "accounts/_notifications_fields.html", notifications_form)]
    )
    for item in profile_forms:
        item["fields"] = fields[item["key"]]
    return render(
        request,
        "accounts/account.html",
        {
            "title": _("My account"),
            "phone_display": readable_phone(user.phone),
            "country_name": country_name(user.country),
            "profile_forms": {item["key"]: item for item in profile_forms},
            "notifications_form": notifications_form,
            "notifications_fields": fields["notifications"],
            "preferences_form": PreferencesForm(initial=_initial(user, PreferencesForm)),
            "active_sessions": sessions.active_sessions(request),
        },
    )


@login_required
@require_POST
def session_end(request, pk: int):
    """End one of my sessions (another person's id: 404, nothing ends)."""
    try:
        was_this_one = services.end_session(http_request=request, session_id=pk)
    except services.NotYourSession:
        raise Http404 from None
    if was_this_one:
        logout(request)
        return redirect("account_login")
    messages.success(request, _("The session has ended."))
    return redirect(f"{reverse('accounts:account')}#sessions-title")


@login_required
@require_POST
def sessions_end_others(request):
    services.end_other_sessions(http_request=request)
    messages.success(request, _("Your other sessions have ended."))
    return redirect(f"{reverse('accounts:account')}#sessions-title")


@login_required
@require_http_methods(["GET", "POST"])
def account_edit(request, field: str):
    """One group of fields: a small window on My account, a plain page without JavaScript."""
    try:
        form_class, title = PROFILE_FORMS[field]
    except KeyError:
        raise Http404 from None
    user = request.user
    if request.method == "POST":
        form = form_class(request.POST)
        if form.is_valid():
            services.update_profile(user=user, values=form.cleaned_data, http_request=request)
            messages.success(request, _("Your information has been saved."))
            if _wants_fragment(request):
                return HttpResponse(status=204)
            return redirect("accounts:account")
        if _wants_fragment(request):
            html = render_to_string("accounts/_edit_fields.html", {"form": form}, request)
            return HttpResponse(html, status=422)
    else:
        form = form_class(initial=_initial(user, form_class))
    return render(
        request, "accounts/account_edit.html", {"title": title, "form": form, "field": field}
    )


def _declared_length(request) -> int:
    try:
        return max(int(request.META.get("CONTENT_LENGTH") or 0), 0)
    except ValueError:
        return 0


def _photo_page(request, form, status=200):
    return render(
        request,
        "accounts/photo_edit.html",
        {"title": _("Profile photo"), "form": form},
        status=status,
    )


@csrf_exempt  # checked by csrf_protect below, once the upload handlers are in place
@login_required
@require_http_methods(["GET", "POST"])
def photo_edit(request):
    """The photo page. The size checks come before anything reads the request body.

    A body announced over the limit is answered at once (413, the page with its error);
    otherwise PhotoUploadLimit stops the upload as soon as the file passes 5 MB.
    """
    from .photos import MAX_REQUEST_BYTES, PhotoUploadLimit

    if _declared_length(request) > MAX_REQUEST_BYTES:
        return _photo_page(request, PhotoForm(data={}, too_large=True), status=413)
    limit = PhotoUploadLimit(request)
    # Assigning (rather than inserting) raises if the body was already parsed.
    request.upload_handlers = [limit, *request.upload_handlers]
    return _photo_edit(request, limit)


@csrf_protect
def _photo_edit(request, limit):
    user = request.user
    form = PhotoForm()
    if request.method == "POST":
        data, files = request.POST, request.FILES  # the body is parsed here, through `limit`
        if limit.exceeded:
            return _photo_page(request, PhotoForm(data=data, too_large=True), status=413)
        if data.get("action") == "remove":
            services.remove_photo(user=user, http_request=request)
            messages.success(request, _("Your photo has been removed."))
            return redirect("accounts:account")
        form = PhotoForm(data, files)
        if form.is_valid():
            services.set_photo(user=user, content=form.cleaned_data["photo"], http_request=request)
            messages.success(request, _("Your photo has been saved."))
            return redirect("accounts:account")
    return _photo_page(request, form)


def _photo_owner(viewer: User, pk: int) -> User | None:
    """The active user `pk` if `viewer` may see their photo: themselves, or a colleague.

    Who counts as a colleague comes from the other layers (hooks.photo_audience):
    one query, none for one's own photo.
    """
    if pk == viewer.pk:
        return viewer
    return (
        User.objects.filter(hooks.photo_audience(viewer), pk=pk, is_active=True)
        .only("id", "photo")
        .first()
    )


@login_required
@require_GET
def photo(request, pk: int):
    """A user's photo, for its owner and their colleagues only, always as JPEG.

    Anyone else gets the same 404 as for a user without a photo or no user at all.
    """
    owner = _photo_owner(request.user, pk)
    if owner is None or not owner.photo:
        raise Http404
    try:
        handle = owner.photo.open("rb")
    except FileNotFoundError:
        raise Http404 from None
    response = FileResponse(handle, content_type="image/jpeg")
    response["X-Content-Type-Options"] = "nosniff"
    response["Content-Disposition"] = "inline"
    return response


@login_required
@require_http_methods(["GET", "POST"])
def notifications(request):
    user = request.user
    if request.method == "POST":
        form = NotificationsForm(request.POST)
        if form.is_valid():
            services.set_notifications(user=user, values=form.cleaned_data, http_request=request)
            messages.success(request, _("Your notification preferences have been saved."))
            if _wants_fragment(request):
                return HttpResponse(status=204)
            return redirect("accounts:account")
    else:
        form = NotificationsForm(initial=_initial(user, NotificationsForm))
    return render(
        request,
        "accounts/notifications.html",
        {"title": _("Set up your notifications"), "form": form},
    )


@login_required
@require_POST
def preferences(request):
    form = PreferencesForm(request.POST)
    if not form.is_valid():
        if _wants_fragment(request):
            return HttpResponse(status=422)
        messages.error(request, _("Choose a language from the list."))
        return redirect("accounts:account")
    services.set_preferences(user=request.user, values=form.cleaned_data, http_request=request)
    if _wants_fragment(request):
        return HttpResponse(status=204)
    messages.success(request, _("Your preferences have been applied."))
    return redirect("accounts:account")


@login_required
@reauthentication_required
@require_http_methods(["GET", "POST"])
def deactivate(request):
    user = request.user
    blockers = hooks.deactivation_blockers(user)
    form = DeactivateForm(request.POST or None)
    if request.method == "POST" and not blockers and form.is_valid():
        try:
            services.deactivate(user=user, by=user, http_request=request)
        except services.DeactivationBlocked as blocked:
            blockers = blocked.blockers
        else:
            logout(request)
            messages.success(request, _("Your account has been deactivated."))
            return redirect("account_login")
    return render(
        request,
        "accounts/deactivate.html",
        {"title": _("Deactivate/Reactivate a user account"), "form": form, "blockers": blockers},
    )


class PasswordResetView(allauth_views.PasswordResetView):
    """Lost password. Over the rate limits (settings.ACCOUNT_RATE_LIMITS) no mail
    goes, but the page answers exactly as when one does: the same for known and
    unknown addresses, and nothing tells a caller that the limit was reached."""

    def form_valid(self, form):
        email = form.cleaned_data["email"].lower()
        if ratelimit.consume(self.request, action="reset_password", key=email):
            form.save(self.request)
        else:
            services.password_reset_withheld(email=email, http_request=self.request)
        # allauth's own form_valid would answer 429: go straight to the redirect.
        return super(allauth_views.PasswordResetView, self).form_valid(form)


class PasswordResetFromKeyView(allauth_views.PasswordResetFromKeyView):
    """The new password from a mailed link; the person is told by mail."""

    def form_valid(self, form):
        user = self.reset_user
        response = super().form_valid(form)
        services.password_reset_completed(user=user, http_request=self.request)
        return response
