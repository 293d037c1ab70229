"""The portal's map: each page, by URL name, with its label and its parent page.

One registry gives both ways of moving around besides the account menu:
- the breadcrumb of every page (``trail``), drawn by ``base.html`` from the URL name
  of the current request, so no page template carries its own breadcrumb;
- the site map (``sitemap_sections``), linked from every footer.

A page whose label is ``None`` names itself: its last crumb is the page's
``breadcrumb_label`` or ``title`` context variable (a form page's title may carry an
error prefix, so the registry's label is preferred wherever one fits every case).
"""

from __future__ import annotations

from dataclasses import dataclass

from django.urls import reverse
from django.utils.translation import gettext_lazy as _

# Who sees a page in the site map.
EVERYONE = "everyone"
ANONYMOUS = "anonymous"  # the ways in: nobody signed in
SIGNED_IN = "signed-in"  # second factor passed
STAFF = "staff"


@dataclass(frozen=True)
class Page:
    name: str
    label: object | None  # lazy text; None: the page's own title
    parent: str | None = "home"
    # The site map's section, or None when the page needs an object (an id, a token)
    # and is reached from its parent.
    section: str | None = None
    audience: str = SIGNED_IN
    # The ways in (login, sign-up…) have no breadcrumb: nothing above them is open.
    breadcrumb: bool = True


ACCOUNT = "account"
USERS = "users"
ADMIN = "admin"
ENTRANCE = "entrance"
SITE = "site"

SECTIONS = {
    ENTRANCE: _("Signing in"),
    ACCOUNT: _("My account area"),
    USERS: _("Users area"),
    ADMIN: _("Administration"),
    SITE: _("About the portal"),
}

PAGES: dict[str, Page] = {
    page.name: page
    for page in (
        Page("home", _("Home"), parent=None, section=ACCOUNT),
        # Signing in: no breadcrumb, in the site map of visitors.
        Page(
            "account_login",
            _("Log in"),
            parent=None,
            section=ENTRANCE,
            audience=ANONYMOUS,
            breadcrumb=False,
        ),
        Page(
            "account_signup",
            _("Create an account"),
            parent=None,
            section=ENTRANCE,
            audience=ANONYMOUS,
            breadcrumb=False,
        ),
        Page(
            "account_reset_password",
            _("Lost password"),
            parent=None,
            section=ENTRANCE,
            audience=ANONYMOUS,
            breadcrumb=False,
        ),
        # My account
        Page("accounts:account", _("My account"), section=ACCOUNT),
        Page("accounts:account-edit", None, parent="accounts:account"),
        Page("accounts:photo-edit", _("Profile photo"), "accounts:account", section=ACCOUNT),
        Page(
            "accounts:notifications",
            _("Set up your notifications"),
            "accounts:account",
            section=ACCOUNT,
        ),
        Page(
            "accounts:deactivate",
            _("Deactivate/Reactivate a user account"),
            "accounts:account",
            section=ACCOUNT,
        ),
        # My affiliations
        Page("affiliations:affiliation-list", _("My affiliations"), section=ACCOUNT),
        Page(
            "affiliations:affiliation-request",
            _("Request to be connected to a structure"),
            "affiliations:affiliation-list",
            section=ACCOUNT,
        ),
        Page(
            "affiliations:affiliation-detach",
            _("Detach myself"),
            "affiliations:affiliation-list",
            section=ACCOUNT,
        ),
        # My authorizations
        Page("authorizations:authorization-list", _("My authorizations"), section=ACCOUNT),
        Page(
            "authorizations:authorization-manage",
            _("Manage my authorizations"),
            "authorizations:authorization-list",
            section=ACCOUNT,
        ),
        Page("affiliations:request-list", _("History of my requests"), section=ACCOUNT),
        # Change my login address
        Page("login_address:change", _("Change my login address"), section=ACCOUNT),
        Page(
            "login_address:confirm",
            _("Confirm my new login address"),
            "login_address:change",
        ),
        # My multi-factor authentication
        Page("mfa_account:overview", _("My multi-factor authentication"), section=ACCOUNT),
        Page(
            "mfa_account:app-add",
            _("Adding an application"),
            "mfa_account:overview",
            section=ACCOUNT,
        ),
        Page("mfa_account:app-remove", _("Remove the application"), "mfa_account:overview"),
        Page(
            "mfa_account:password-change",
            _("Changing your password"),
            "mfa_account:overview",
            section=ACCOUNT,
        ),
        Page(
            "mfa_account:keys",
            _("Adding a security key"),
            "mfa_account:overview",
            section=ACCOUNT,
        ),
        Page("mfa_account:key-add", _("Add a new key"), "mfa_account:keys", section=ACCOUNT),
        Page("mfa_account:key-remove", _("Remove the key"), "mfa_account:keys"),
        Page("account_reauthenticate", _("Confirm your identity"), parent=None, breadcrumb=False),
        # Users area (managers)
        Page("affiliations:users-area", _("Users area"), section=USERS),
        Page("affiliations:request-refuse", None, "affiliations:users-area"),
        Page(
            "affiliations:role-transfer",
            _("Transfer the main manager role"),
            "affiliations:users-area",
        ),
        Page("authorizations:member-authorizations", None, "affiliations:users-area"),
        # Staff
        Page("admin:index", _("Administration"), section=ADMIN, audience=STAFF, breadcrumb=False),
        # The State site's mandatory pages and the site map, open to everyone.
        Page("sitemap", _("Site map"), section=SITE, audience=EVERYONE),
        Page("accessibility", _("Accessibility statement"), section=SITE, audience=EVERYONE),
        Page("legal-notice", _("Legal notice"), section=SITE, audience=EVERYONE),
        Page("personal-data", _("Personal data"), section=SITE, audience=EVERYONE),
        Page("cookies", _("Cookie management"), section=SITE, audience=EVERYONE),
    )
}


def _url_name(request) -> str | None:
    match = getattr(request, "resolver_match", None)
    if match is None or not match.url_name:
        return None
    return match.view_name


def trail(request, context_label=None) -> list[dict]:
    """The breadcrumb of the current page: [{label, url}], the last one without url.

    Empty for a page outside the registry (errors, the factor step) or without a
    breadcrumb (the ways in), and for the home page itself.
    """
    page = PAGES.get(_url_name(request) or "")
    if page is None or not page.breadcrumb or page.parent is None:
        return []
    label = page.label if page.label is not None else context_label
    if not label:
        return []
    crumbs = [{"label": label, "url": None}]
    parent = page.parent
    while parent is not None:
        above = PAGES[parent]
        crumbs.append({"label": above.label, "url": reverse(above.name)})
        parent = above.parent
    crumbs.reverse()
    return crumbs


def _visible(page: Page, user) -> bool:
    signed_in = user is not None and user.is_authenticated
    verified = signed_in and user.is_verified()
    if page.audience == EVERYONE:
        return True
    if page.audience == ANONYMOUS:
        return not signed_in
    if page.audience == STAFF:
        return verified and user.is_staff
    return verified


def sitemap_sections(user) -> list[dict]:
    """The site map for this visitor: sections of pages, each page with its children."""
    shown = [page for page in PAGES.values() if page.section and _visible(page, user)]
    names = {page.name for page in shown}

    def node(page: Page) -> dict:
        children = [
            node(child)
            for child in shown
            if child.parent == page.name and child.section == page.section
        ]
        return {"label": page.label, "url": reverse(page.name), "children": children}

    sections = []
    for key, title in SECTIONS.items():
        top = [
            node(page)
            for page in shown
            if page.section == key
            and (
                page.parent not in names
                or PAGES[page.parent].section != key
                or page.parent == "home"
            )
            and page.name != "home"
        ]
        if key == ACCOUNT and "home" in names:
            top.insert(0, {"label": PAGES["home"].label, "url": reverse("home"), "children": []})
        if top:
            sections.append({"key": key, "title": title, "pages": top})
    return sections
