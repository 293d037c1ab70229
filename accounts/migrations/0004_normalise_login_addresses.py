"""Every stored login address in its normal form (NFKC, lower case, ASCII).

Before this, an address was only lower-cased, and a look-alike spelling such as
`vıctim@teſt.local` could open a second account beside `victim@test.local`.
This migration normalises every address that is not yet in normal form. It
refuses to run blind: if two accounts would end up with one address, or an
address is not plain ASCII once normalised, it stops and lists them, so that
staff decide which account keeps the address (rename or deactivate the other
in the admin, or by SQL) before migrating again.
"""

import unicodedata

from django.db import migrations


def _normal(value):
    return unicodedata.normalize("NFKC", value or "").strip().lower()


def normalise(apps, schema_editor):
    User = apps.get_model("accounts", "User")
    EmailAddress = apps.get_model("account", "EmailAddress")
    by_normal = {}
    changes = []
    problems = []
    for pk, email in User.objects.order_by("pk").values_list("pk", "email").iterator(5000):
        normal = _normal(email)
        if not (normal.isascii() and normal.isprintable()):
            problems.append(f"user {pk}: {email!r} is not plain ASCII once normalised")
        if normal in by_normal:
            problems.append(
                f"users {by_normal[normal]} and {pk}: {email!r} collides with another "
                f"account once normalised to {normal!r}"
            )
        by_normal.setdefault(normal, pk)
        if normal != email:
            changes.append((pk, normal))
    if problems:
        report = "\n  ".join(problems)
        raise RuntimeError(
            "Login addresses that cannot be normalised without a decision:\n  "
            f"{report}\nDecide which account keeps each address, change the others, "
            "then run the migration again."
        )
    for pk, normal in changes:
        User.objects.filter(pk=pk).update(email=normal)
        EmailAddress.objects.filter(user_id=pk, primary=True).update(email=normal)


class Migration(migrations.Migration):
    dependencies = [
        ("accounts", "0003_login_failures_and_typed_text"),
        ("account", "0009_emailaddress_unique_primary_email"),
    ]

    operations = [migrations.RunPython(normalise, migrations.RunPython.noop, elidable=True)]
