"""Forms: required fields told, errors tied to their fields, titles per step, service ticks
that survive a search, labels that hold only their label."""

from __future__ import annotations

import re
from html.parser import HTMLParser

import pytest
from django.urls import reverse

from affiliations.models import Request, Service
from tests.conftest import PASSWORD
from tests.factories import make_structure

pytestmark = pytest.mark.django_db

REQUEST_URL = reverse("affiliations:affiliation-request")
REQUIRED_NOTE_FR = "Les champs marqués d’un astérisque (*) sont obligatoires."
REQUIRED_NOTE_EN = "Fields marked with an asterisk (*) are required."


class _Elements(HTMLParser):
    """Every element's attributes, and the text inside each label (by its `for`)."""

    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.elements: list[tuple[str, dict]] = []
        self.labels: dict[str, str] = {}
        self._label: str | None = None
        self._stack: list[str] = []
        self.title = ""
        self._in_title = False

    def handle_starttag(self, tag, attrs):
        attributes = {k: v or "" for k, v in attrs}
        self.elements.append((tag, attributes))
        if tag == "label":
            self._label = attributes.get("for", "")
            self.labels[self._label] = ""
        if tag == "title":
            self._in_title = True
        if self._label is not None:
            self._stack.append(tag)

    def handle_endtag(self, tag):
        if tag == "label":
            self._label = None
            self._stack = []
        if tag == "title":
            self._in_title = False

    def handle_data(self, data):
        if self._label is not None:
            self.labels[self._label] += data
        if self._in_title:
            self.title += data


def parse(response) -> _Elements:
    parser = _Elements()
    parser.feed(response.content.decode())
    return parser


def element(page: _Elements, **wanted) -> dict:
    for _tag, attrs in page.elements:
        if all(attrs.get(k) == v for k, v in wanted.items()):
            return attrs
    raise AssertionError(f"no element with {wanted}")


def title(response) -> str:
    return " ".join(parse(response).title.split())


# --- required fields ---------------------------------------------------------------------


def test_the_name_windows_and_the_address_say_what_is_required(signed_in, alice):
    client = signed_in(alice)
    account = parse(client.get(reverse("accounts:account")))
    for field in ("id_last_name", "id_first_name"):
        assert "required" in element(account, id=field)
    address = client.get(reverse("accounts:account-edit", args=["address"]))
    page = parse(address)
    # The country's select has no empty first option, so no `required`: aria-required says it.
    assert element(page, id="id_country")["aria-required"] == "true"
    assert "required" not in element(page, id="id_street")
    html = address.content.decode()
    assert html.count(REQUIRED_NOTE_FR) == 1
    # The * is for the eyes; the input itself says "required".
    assert '<span class="portal-required" aria-hidden="true">*</span>' in html


def test_every_window_of_my_account_says_once_what_the_star_means(signed_in, alice):
    html = signed_in(alice).get(reverse("accounts:account")).content.decode()
    # Last name, first name, address: one note in each window that has a required field.
    assert html.count(REQUIRED_NOTE_FR) == 3


def test_a_form_without_required_fields_says_nothing_of_the_star(signed_in, alice):
    html = signed_in(alice).get(reverse("accounts:account-edit", args=["phone"])).content
    assert REQUIRED_NOTE_FR not in html.decode()


def test_the_entrance_forms_say_what_the_star_means(client):
    for name in ("account_login", "account_signup", "account_reset_password"):
        html = client.get(reverse(name)).content.decode()
        assert html.count(REQUIRED_NOTE_FR) == 1, name
    client.cookies["django_language"] = "en"
    assert REQUIRED_NOTE_EN in client.get(reverse("account_login")).content.decode()


# --- errors tied to their fields -----------------------------------------------------------


def test_errors_are_summarised_in_every_mode_and_tied_to_their_field(signed_in, alice):
    assert not alice.accessibility_enabled
    response = signed_in(alice).post(
        reverse("accounts:account-edit", args=["address"]),
        {"postal_code": "abc", "country": "FR", "street": "1 rue de la Paix"},
    )
    page = parse(response)
    summary = element(page, **{"data-error-summary": ""})
    assert summary["tabindex"] == "-1" and summary["role"] == "alert"
    field = element(page, id="id_postal_code")
    assert field["aria-invalid"] == "true"
    assert "id_postal_code-messages" in field["aria-describedby"].split()
    html = response.content.decode()
    messages = re.search(r'id="id_postal_code-messages"[^>]*>(.*?)</div>', html, re.S).group(1)
    assert "fr-message--error" in messages
    # The summary links to the field, with its label and message.
    link = re.search(r'<a href="#id_postal_code">([^<]+)</a>', html)
    assert link and link.group(1).startswith("Code postal : ")
    # The fields without error are not marked.
    assert "aria-invalid" not in element(page, id="id_street")


def test_a_login_error_is_summarised_and_focusable(client, alice):
    response = client.post(reverse("account_login"), {"login": alice.email, "password": "no"})
    page = parse(response)
    assert element(page, **{"data-error-summary": ""})["tabindex"] == "-1"


def test_the_request_form_links_its_errors_to_the_services_and_the_comment(signed_in, alice):
    structure = make_structure("Mairie", services=3)
    response = signed_in(alice).post(
        REQUEST_URL, {"structure": structure.pk, "scope": "services", "comment": ""}
    )
    html = response.content.decode()
    assert 'href="#id_services"' in html and 'href="#id_comment"' in html
    page = parse(response)
    assert element(page, id="id_services")["aria-labelledby"] == "services-legend services-messages"
    assert element(page, id="id_comment")["aria-invalid"] == "true"


# --- titles ---------------------------------------------------------------------------------


def test_each_step_of_the_request_has_its_own_title(signed_in, alice):
    structure = make_structure("Mairie d'Écully", services=2)
    client = signed_in(alice)
    titles = [
        title(client.get(REQUEST_URL)),
        title(client.get(REQUEST_URL, {"q": "Écully"})),
        title(client.get(REQUEST_URL, {"structure": structure.pk})),
        title(client.post(REQUEST_URL, {"structure": structure.pk, "scope": "structure"})),
    ]
    assert titles[0] == "Demande de rattachement à une structure — Chorus Pro"
    assert titles[1].startswith("Structures trouvées pour « Écully » — ")
    assert titles[2].startswith("Mairie d'Écully — ")
    assert titles[3] == "Erreur : " + titles[2]
    assert len(set(titles)) == 4


def test_an_error_title_in_english(client_factory, alice):
    client = client_factory()
    client.cookies["django_language"] = "en"
    response = client.post(reverse("account_login"), {"login": alice.email, "password": "no"})
    assert title(response).startswith("Error: Sign In")
    assert title(client.get(reverse("account_login"))).startswith("Sign In")


def test_the_lost_password_steps_have_their_own_titles(client, alice):
    asked = title(client.get(reverse("account_reset_password")))
    sent = client.post(reverse("account_reset_password"), {"email": alice.email}, follow=True)
    wrong = client.post(reverse("account_reset_password"), {"email": "not an address"})
    assert asked.startswith("Mot de passe oublié — ")
    assert title(sent).startswith("Mot de passe oublié : courriel envoyé — ")
    assert title(wrong).startswith("Erreur : Mot de passe oublié — ")


# --- ticks that survive a service search ------------------------------------------------------


def _search(client, structure, ticked, query="", **extra):
    data = {
        "structure": structure.pk,
        "scope": "services",
        "comment": "Je travaille au service",
        "services": [s.pk for s in ticked],
        "service_q": query,
        "search_services": "1",
        **extra,
    }
    return client.post(REQUEST_URL, data)


def _checked(response) -> set[str]:
    return {
        attrs["value"]
        for tag, attrs in parse(response).elements
        if tag == "input" and attrs.get("name") == "services" and "checked" in attrs
    }


def test_ticks_survive_a_new_service_search_without_javascript(signed_in, alice):
    structure = make_structure("Grand ministère", services=120)
    first, second = Service.objects.filter(structure=structure, code__in=["S00003", "S00090"])
    client = signed_in(alice)
    response = _search(client, structure, [first], query="S00090")
    assert response.status_code == 200
    # A search submits nothing and checks nothing.
    assert not Request.objects.exists()
    assert "data-error-summary" not in response.content.decode()
    # The earlier tick is kept (drawn above the new list), the new result is shown unticked.
    assert _checked(response) == {str(first.pk)}
    assert f'id="service-{second.pk}"' in response.content.decode()
    # What was typed and chosen is kept too.
    page = parse(response)
    assert "checked" in element(page, id="id_scope_1")
    assert "Je travaille au service" in response.content.decode()
    # Tick the new one and submit: both services are requested.
    client.post(
        REQUEST_URL,
        {
            "structure": structure.pk,
            "scope": "services",
            "services": [first.pk, second.pk],
            "comment": "Je travaille au service",
        },
    )
    sent = Request.objects.get()
    assert set(sent.services.values_list("pk", flat=True)) == {first.pk, second.pk}


def test_ticks_survive_another_page_of_services(signed_in, alice):
    structure = make_structure("Grand ministère", services=120)
    first = Service.objects.get(structure=structure, code="S00001")
    client = signed_in(alice)
    response = _search(client, structure, [first], services_page="2")
    assert response.context["services_page"].number == 2
    assert _checked(response) == {str(first.pk)}
    assert "1 service coché dans une autre recherche est conservé." in response.content.decode()


def test_ticks_of_another_structure_are_not_drawn(signed_in, alice):
    structure = make_structure("Mairie", services=3)
    other = make_structure("Ailleurs", services=3)
    foreign = Service.objects.filter(structure=other).first()
    response = _search(signed_in(alice), structure, [foreign], query="zzz")
    assert _checked(response) == set()


def test_the_search_tells_its_count(signed_in, alice):
    structure = make_structure("Grand ministère", services=120)
    response = _search(signed_in(alice), structure, [], query="S0004")
    html = response.content.decode()
    count = re.search(r"<p[^>]*data-services-count[^>]*>([^<]+)</p>", html)
    assert count and count.group(1) == "10 services correspondent à « S0004 »"
    # Announced once the page is loaded (static/js/forms.js reads data-announce).
    assert "data-announce" in count.group(0)


def test_the_search_with_ticks_keeps_its_query_count(signed_in, alice, django_assert_num_queries):
    structure = make_structure("Grand ministère", services=120)
    ticked = list(Service.objects.filter(structure=structure).order_by("code")[60:65])
    client = signed_in(alice)
    _search(client, structure, ticked)  # warm the session and caches
    with django_assert_num_queries(8):
        _search(client, structure, ticked)


def test_detaching_keeps_ticks_across_a_search(signed_in, alice):
    from tests.factories import attach

    structure = make_structure("Grand ministère", services=120)
    affiliation = attach(alice, structure)
    first = Service.objects.get(structure=structure, code="S00001")
    response = signed_in(alice).post(
        reverse("affiliations:affiliation-detach"),
        {
            "affiliation": affiliation.pk,
            "scope": "services",
            "services": [first.pk],
            "service_q": "S00100",
            "search_services": "1",
        },
    )
    assert _checked(response) == {str(first.pk)}
    affiliation.refresh_from_db()
    assert affiliation.whole_structure  # nothing detached by a search


# --- labels ----------------------------------------------------------------------------------


def test_the_password_label_holds_only_its_label(client):
    page = parse(client.get(reverse("account_login")))
    assert page.labels["id_password"].split() == ["Mot", "de", "passe", "*"]
    # The lost-password link follows the label, outside it.
    html = client.get(reverse("account_login")).content.decode()
    label_end = html.index("</label>", html.index('for="id_password"'))
    link = html.index(reverse("account_reset_password"), html.index('for="id_password"'))
    assert link > label_end


def test_the_signup_rules_are_a_list_outside_the_label(client):
    html = client.get(reverse("account_signup")).content.decode()
    label = re.search(r'<label[^>]*for="id_password1"[^>]*>(.*?)</label>', html, re.S).group(1)
    star = '<span class="portal-required" aria-hidden="true">*</span>'
    assert label.strip() == "Mot de passe " + star
    assert '<div class="fr-hint-text portal-hint" id="id_password1-hint"><ul>' in html
    described = element(parse(client.get(reverse("account_signup"))), id="id_password1")
    assert "id_password1-hint" in described["aria-describedby"].split()


def test_password_is_still_accepted(client, alice):
    """The login form's markup changed, not its fields."""
    response = client.post(reverse("account_login"), {"login": alice.email, "password": PASSWORD})
    assert response.status_code == 302


# --- changes announced without JavaScript -----------------------------------------------------


@pytest.mark.parametrize(
    ("op", "said"),
    [
        ("add", "Profil ajouté au tableau. Soumettez pour enregistrer vos modifications."),
        ("delete:0", "Profil retiré du tableau. Soumettez pour enregistrer vos modifications."),
        ("edit:0", "Choisissez le nouveau niveau, puis soumettez."),
        (
            "remove_all",
            "Tous les profils ont été retirés du tableau. "
            "Soumettez pour enregistrer vos modifications.",
        ),
    ],
)
def test_a_change_of_the_profiles_table_is_announced_after_the_reload(signed_in, alice, op, said):
    from tests.factories import attach

    structure = make_structure("Mairie")
    affiliation = attach(alice, structure)
    response = signed_in(alice).post(
        reverse("authorizations:authorization-manage"),
        {
            "affiliation": affiliation.pk,
            "service": "",
            "line_application": ["issued_invoices"],
            "line_level": ["consultation"],
            "add_application": "received_invoices",
            "add_level": "consultation",
            "op": op,
        },
    )
    html = response.content.decode()
    announced = re.findall(r"<p[^>]*data-announce[^>]*>([^<]+)</p>", html)
    assert announced == [said]


def test_with_javascript_the_table_knows_what_to_say(signed_in, alice):
    from tests.factories import attach

    affiliation = attach(alice, make_structure("Mairie"))
    response = signed_in(alice).get(
        reverse("authorizations:authorization-manage"),
        {"affiliation": affiliation.pk, "service": ""},
    )
    form = element(parse(response), id="profiles-form")
    assert form["data-said-added"] == (
        "Profil ajouté : {profile}. Soumettez pour enregistrer vos modifications."
    )
    assert "{profile}" in form["data-said-removed"] and "{profile}" in form["data-said-changed"]
    # Nothing to announce on a page just opened.
    assert "data-announce" not in response.content.decode()


def test_each_step_of_manage_my_authorizations_has_its_own_title(signed_in, alice):
    from tests.factories import attach

    structure = make_structure("Mairie", services=1)
    service = Service.objects.get(structure=structure)
    affiliation = attach(alice, structure)
    client = signed_in(alice)
    url = reverse("authorizations:authorization-manage")
    titles = [
        title(client.get(url)),
        title(client.get(url, {"affiliation": affiliation.pk})),
        title(client.get(url, {"affiliation": affiliation.pk, "service": ""})),
        title(client.get(url, {"affiliation": affiliation.pk, "service": service.pk})),
    ]
    assert titles == [
        "Gérer mes habilitations — Chorus Pro",
        "Mairie — Gérer mes habilitations — Chorus Pro",
        "Toute la structure — Mairie — Gérer mes habilitations — Chorus Pro",
        f"{service.code} — {service.name} — Mairie — Gérer mes habilitations — Chorus Pro",
    ]
    # The page's heading stays the page's name.
    assert (
        "<h1>Gérer mes habilitations</h1>"
        in client.get(url, {"affiliation": affiliation.pk}).content.decode()
    )


def test_an_error_of_the_profiles_table_is_in_the_title_and_focusable(signed_in, alice):
    from tests.factories import attach

    affiliation = attach(alice, make_structure("Mairie"))
    response = signed_in(alice).post(
        reverse("authorizations:authorization-manage"),
        {"affiliation": affiliation.pk, "service": "", "op": "add", "add_application": ""},
    )
    assert title(response).startswith("Erreur : Toute la structure — Mairie — ")
    summary = element(parse(response), **{"data-error-summary": ""})
    assert summary["tabindex"] == "-1"
    assert "data-announce" not in response.content.decode()
