# The admin's user search matches the start of a first or last name, case aside
# (Django's istartswith: UPPER(name::text) LIKE 'MAR%'). On PostgreSQL, indexes on those
# expressions serve it at 1.1 million accounts; SQLite scans.

from django.db import migrations

INDEXES = {
    "accounts_user_last_name_upper": "last_name",
    "accounts_user_first_name_upper": "first_name",
}


def create(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    for name, column in INDEXES.items():
        schema_editor.execute(
            f"CREATE INDEX IF NOT EXISTS {name} ON accounts_user "
            f"(UPPER({column}::text) text_pattern_ops)"
        )


def drop(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    for name in INDEXES:
        schema_editor.execute(f"DROP INDEX IF EXISTS {name}")


class Migration(migrations.Migration):
    dependencies = [("accounts", "0006_user_sessions")]

    operations = [migrations.RunPython(create, drop)]
