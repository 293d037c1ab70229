from __future__ import annotations

import pytest
from django.core.management import call_command
from django.urls import reverse

from accounts.models import User
from affiliations.models import Service, Structure, StructureKind

pytestmark = pytest.mark.django_db


def test_french_is_the_default(client):
    response = client.get(reverse("account_login"))
    assert response.headers["Content-Language"] == "fr"
    assert '<html lang="fr"' in response.content.decode()


def test_the_switch_changes_the_language_and_back(client):
    response = client.post(
        reverse("set_language"), {"language": "en", "next": reverse("account_login")}
    )
    assert response.status_code == 302
    page = client.get(reverse("account_login")).content.decode()
    assert '<html lang="en"' in page and "Sign In" in page
    client.post(reverse("set_language"), {"language": "fr", "next": reverse("account_login")})
    page = client.get(reverse("account_login")).content.decode()
    assert '<html lang="fr"' in page and "Connexion" in page


def test_the_switch_becomes_the_users_preference(verified_client, alice):
    verified_client.post(reverse("set_language"), {"language": "en", "next": "/"})
    alice.refresh_from_db()
    assert alice.language == "en"
    # The preference wins over the cookie on every device.
    verified_client.cookies.pop("django_language", None)
    assert '<html lang="en"' in verified_client.get(reverse("home")).content.decode()


def test_the_switch_refuses_an_unknown_language(verified_client, alice):
    verified_client.post(reverse("set_language"), {"language": "xx", "next": "/"})
    alice.refresh_from_db()
    assert alice.language == "fr"


def test_the_switch_refuses_an_external_next(client):
    response = client.post(
        reverse("set_language"), {"language": "en", "next": "https://evil.example/"}
    )
    assert response.url == "/"


def test_the_shell_shows_the_user_and_the_account_menu(verified_client, alice):
    html = verified_client.get(reverse("home")).content.decode()
    assert "Alice Martin" in html
    assert 'id="account-menu"' in html
    assert 'href="#content"' in html  # skip link
    assert 'action="/accounts/logout/"' in html
    assert 'id="footer"' in html


def test_demo_data_is_idempotent():
    call_command("demo_data", verbosity=0)
    call_command("demo_data", verbosity=0)
    assert Structure.objects.count() == 3
    public = Structure.objects.get(kind=StructureKind.PUBLIC)
    assert public.services.count() == 30
    assert Structure.objects.filter(kind=StructureKind.PRIVATE).count() == 2
    assert Service.objects.count() == 30
    assert User.objects.filter(email__endswith="@demo.chorus-pro.local").count() == 3
    staff = User.objects.get(email="staff@demo.chorus-pro.local")
    assert staff.is_staff and staff.check_password("Chorus-Demo-2026!")


def test_demo_user_can_log_in(client, mailoutbox):
    from tests.conftest import full_login

    call_command("demo_data", verbosity=0)
    full_login(client, mailoutbox, "user@demo.chorus-pro.local", "Chorus-Demo-2026!")
    assert client.get(reverse("home")).status_code == 200


def test_dev_outbox_is_off_unless_enabled(client, settings):
    settings.DEV_OUTBOX = False
    assert client.get(reverse("dev-outbox")).status_code == 404


def test_dev_outbox_lists_mails(client, settings, tmp_path, alice):
    from chorus_portal.mail import queue_mail

    settings.DEV_OUTBOX = True
    settings.OUTBOX_DIR = tmp_path
    settings.EMAIL_BACKEND = "chorus_portal.mail.OutboxBackend"
    queue_mail(
        to=alice.email,
        template_prefix="mfa/email/login_code",
        context={"code": "123456", "minutes": 10, "name": "Alice"},
        language="en",
    )
    assert len(list(tmp_path.glob("*.eml"))) == 1
    html = client.get(reverse("dev-outbox")).content.decode()
    assert "Your security code to sign in" in html and "code is: 123456" in html


def test_mail_subject_cannot_carry_a_header(alice, mailoutbox):
    from chorus_portal.mail import queue_mail, queue_rendered_mail

    queue_rendered_mail(to=[alice.email], subject="Hi\r\nBcc: evil@example.org", body="x")
    assert mailoutbox[0].subject == "Hi Bcc: evil@example.org"
    assert mailoutbox[0].bcc == []
    with pytest.raises(ValueError):
        queue_mail(
            to="a@example.fr\r\nBcc: evil@example.org",
            template_prefix="mfa/email/login_code",
            context={"code": "1", "minutes": 1, "name": "x"},
            language="fr",
        )


def test_the_browser_language_does_not_override_french(client):
    response = client.get(reverse("account_login"), HTTP_ACCEPT_LANGUAGE="en-US,en;q=0.9")
    assert '<html lang="fr"' in response.content.decode()
