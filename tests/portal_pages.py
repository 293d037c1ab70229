"""Every page of the portal, for the browser sweeps: the data that makes each one
show its content, and the checks each page must pass (axe-core, no console error, no
sideways scrolling)."""

from __future__ import annotations

from dataclasses import dataclass, field

from affiliations.management.commands.demo_data import DEMO_PASSWORD

MANAGER = "manager@demo.chorus-pro.local"
AXE_TAGS = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "best-practice"]
WIDTHS = (1280, 390, 320)

# The State site's mandatory pages and the site map, linked from every footer.
LEGAL = [
    "/accessibilite/",
    "/mentions-legales/",
    "/donnees-personnelles/",
    "/gestion-des-cookies/",
    "/plan-du-site/",
]

# Pages answering with an error status on purpose (the browser logs the status).
ERROR_PAGES = {"/nowhere/", "/account/preferences/", "/test-errors/403/", "/test-errors/400/"}
ERROR_PAGES |= {"/test-errors/500/"}

# The ways in, before signing in.
ANONYMOUS = [
    "/accounts/login/",
    "/accounts/signup/",
    "/accounts/password/reset/",
    "/accounts/password/reset/done/",
    "/accounts/password/reset/key/1-not-a-key/",  # a stale or mistyped link
    "/accounts/password/reset/key/done/",
    "/accounts/confirm-email/",
    "/accounts/confirm-email/not-a-key/",
    "/accounts/inactive/",  # the explanation alone
    "/account/login-address/confirm/not-a-token/",  # a mail's link, opened anywhere
    *LEGAL,
    "/nowhere/",
    "/test-errors/400/",
    "/test-errors/403/",
    "/test-errors/500/",
]


@dataclass
class Data:
    ids: dict = field(default_factory=dict)
    former_email: str = ""


def make_data(language: str, *, accessible: bool = False) -> Data:
    """The demo data plus what makes each page show its content: a pending and a
    decided request in the manager's inbox, the manager's own pending request, a
    deactivated account; the manager is also staff (the Administration link)."""
    from accounts.models import User
    from accounts.services import deactivate
    from affiliations.models import Affiliation, Structure
    from affiliations.workflow import decide
    from tests.conftest import make_user
    from tests.factories import attach, pending_request

    manager = User.objects.get(email=MANAGER)
    manager.language = language
    manager.accessibility_enabled = accessible
    manager.is_staff = True
    manager.save()
    public = Structure.objects.get(kind="public")
    hugo = User.objects.get(email="user@demo.chorus-pro.local")
    member = attach(hugo, public)
    other = Structure.objects.filter(kind="private").exclude(affiliations__user=manager).first()
    req = pending_request(User.objects.get(email="staff@demo.chorus-pro.local"), public)
    decided = pending_request(hugo, public, comment="Déjà traitée")
    decide(req=decided, by=manager, approve=False, reason="Hors périmètre")
    # The manager's own pending request: History of my requests shows its Cancel button.
    pending_request(manager, other)
    # A deactivated account of the public structure, for the inactive-account page.
    former = make_user("ancien@demo.chorus-pro.local", password=DEMO_PASSWORD, language=language)
    attach(former, public)
    deactivate(user=former, by=former)
    return Data(
        ids={
            "public": public.pk,
            "affiliation": Affiliation.objects.get(user=manager, structure=public).pk,
            "member": member.pk,
            "request": req.pk,
            "other": other.pk,
            "decided": decided.pk,
        },
        former_email=former.email,
    )


def signed_in_pages(ids) -> list[str]:
    """Every page of a signed-in person who manages a structure and is staff."""
    return [
        "/",
        "/account/",
        "/account/edit/last-name/",
        "/account/edit/first-name/",
        "/account/edit/phone/",
        "/account/edit/address/",
        "/account/edit/biography/",
        "/account/photo/",
        "/account/notifications/",
        "/account/deactivate/",
        "/account/affiliations/",
        "/account/affiliations/request/",
        "/account/affiliations/request/?q=structure",
        f"/account/affiliations/request/?structure={ids['public']}",
        "/account/affiliations/detach/",
        f"/account/affiliations/detach/?affiliation={ids['affiliation']}",
        "/account/authorizations/",
        "/account/authorizations/manage/",
        f"/account/authorizations/manage/?affiliation={ids['affiliation']}&service=",
        "/account/requests/",
        "/account/login-address/",
        "/account/mfa/",
        "/account/mfa/password/",
        "/account/mfa/app/",
        "/account/mfa/keys/",
        "/account/mfa/keys/add/",
        "/users/",
        f"/users/requests/{ids['request']}/refuse/",
        f"/users/requests/{ids['decided']}/refuse/",  # already decided: says by whom
        f"/users/structures/{ids['public']}/transfer/",
        f"/users/members/{ids['member']}/authorizations/?service=",
        "/admin/",
        *LEGAL,
        "/nowhere/",  # 404
        "/account/preferences/",  # 405 (a form's address opened directly)
        "/test-errors/403/",
        "/test-errors/400/",
        "/test-errors/500/",
    ]


def run_axe(page) -> list[str]:
    """axe-core with the RGAA-relevant rule sets; the violations, one line each."""
    from axe_playwright_python.sync_playwright import Axe

    results = Axe().run(
        page,
        options={"runOnly": {"type": "tag", "values": AXE_TAGS}, "resultTypes": ["violations"]},
    )
    return [
        f"{violation['id']}: {node['target']}"
        for violation in results.response["violations"]
        for node in violation["nodes"]
    ]


_OVERFLOW_JS = """() => {
  const inner = window.innerWidth;
  const wide = [...document.querySelectorAll("body *")].filter((element) => {
    const box = element.getBoundingClientRect();
    return box.width > 0 && box.right > inner + 0.5
      && ![...element.children].some((child) => child.getBoundingClientRect().right > inner + 0.5);
  });
  return [document.documentElement.scrollWidth, inner,
          wide.slice(0, 4).map((e) => e.tagName.toLowerCase() + (e.id ? "#" + e.id : "")
            + (typeof e.className === "string" && e.className
               ? "." + e.className.trim().split(/\\s+/).join(".") : "")
            + " → " + Math.round(e.getBoundingClientRect().right))];
}"""


def overflow(page) -> tuple[int, int, list[str]]:
    """The page's scroll width, the window's width and the innermost elements past it."""
    scroll, inner, culprits = page.evaluate(_OVERFLOW_JS)
    return scroll, inner, culprits


class ConsoleWatch:
    """Console errors and uncaught exceptions of the page, axe-core's own run excluded
    (it tries inline styles, which the Content Security Policy refuses)."""

    def __init__(self, page):
        self.page = page
        self.messages: list[str] = []
        self.paused = False
        page.on("console", self._console)
        page.on("pageerror", lambda error: self._note(f"uncaught: {error}"))

    def _note(self, text: str) -> None:
        if not self.paused:
            self.messages.append(text)

    def _console(self, message) -> None:
        if message.type != "error":
            return
        path = self.page.url.split("://", 1)[-1].split("/", 1)[-1]
        # The status of an error page itself is logged by the browser: expected there.
        if (
            message.text.startswith("Failed to load resource: the server responded")
            and "/" + path in ERROR_PAGES
            and message.location.get("url") == self.page.url
        ):
            return
        self._note(message.text)

    def take(self) -> list[str]:
        found, self.messages = self.messages, []
        return found
