from urllib.parse import urlencode

from django.contrib.auth import REDIRECT_FIELD_NAME
from django.http import HttpResponseRedirect
from django.urls import reverse
from django.utils.translation import gettext_lazy as _
from django_otp.admin import OTPAdminSite

# Sections shown as one: a third-party app's models join the portal's section.
MERGED_SECTIONS = {
    "account": "accounts",  # allauth's login addresses, beside the users
    "otp_totp": "mfa",
    "otp_static": "mfa",
    "otp_email": "mfa",
    "otp_webauthn": "mfa",
}


class PortalAdminSite(OTPAdminSite):
    """Staff reach the admin only with a verified second factor.

    OTPAdminSite already refuses a session whose factor is not verified; the
    portal's own login (password, then /mfa/verify/) replaces the admin's login
    form, so there is a single way in.
    """

    site_header = _("Chorus Pro — administration")
    site_title = _("Chorus Pro administration")
    index_title = _("Administration")

    def __init__(self, name="admin"):
        super().__init__(name=name)

    def login(self, request, extra_context=None):
        target = request.GET.get(REDIRECT_FIELD_NAME) or reverse("admin:index")
        if request.user.is_authenticated and request.user.is_verified():
            # Signed in with both factors but not staff: nothing to see here.
            return HttpResponseRedirect(reverse("home"))
        query = urlencode({REDIRECT_FIELD_NAME: target})
        return HttpResponseRedirect(f"{reverse('account_login')}?{query}")

    def _build_app_dict(self, request, label=None):
        merged = set(MERGED_SECTIONS) | set(MERGED_SECTIONS.values())
        if label is not None and label not in merged:
            return super()._build_app_dict(request, label)
        app_dict = super()._build_app_dict(request)
        for source, target in MERGED_SECTIONS.items():
            if source in app_dict and target in app_dict:
                app_dict[target]["models"].extend(app_dict.pop(source)["models"])
        if label is None:
            return app_dict
        target = MERGED_SECTIONS.get(label, label)
        return {target: app_dict[target]} if target in app_dict else {}
