from urllib.parse import urlencode

from django.contrib.auth import REDIRECT_FIELD_NAME
from django.http import HttpResponseRedirect
from django.urls import reverse
from django.utils.translation import gettext_lazy as _
from django_otp.admin import OTPAdminSite


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
