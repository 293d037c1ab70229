# The admin's filters and searches at Chorus Pro's size (1.1 M users, 1 M structures, 2 M
# log rows). A filter on a rare value with the list's order (a user's address, a
# structure's name, the log's time) made PostgreSQL read the order's index until a
# hundred rare rows turned up: most of a million rows. Small partial indexes hold the rare
# rows in that order; the log gets its action filter in time order and its IP search.
# PostgreSQL only (other databases have no such tables); measured in docs/benchmarks.md.

from django.db import migrations

INDEXES = {
    # Users, ordered by address: staff, superusers and deactivated accounts.
    "admin_user_staff_by_email": "accounts_user (email) WHERE is_staff",
    "admin_user_superuser_by_email": "accounts_user (email) WHERE is_superuser",
    "admin_user_inactive_by_email": "accounts_user (email) WHERE NOT is_active",
    # Structures, ordered by name: public ones (a tenth) and inactive ones.
    "admin_structure_public_by_name": (
        "affiliations_structure (company_name, id) WHERE kind = 'public'"
    ),
    "admin_structure_inactive_by_name": (
        "affiliations_structure (company_name, id) WHERE status = 'inactive'"
    ),
    # The activity log, newest first: one action, or one IP address.
    "admin_log_action_by_time": "activity_activitylog (action, created_at DESC, id DESC)",
    "admin_log_ip": "activity_activitylog (ip)",
}


def create(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    for name, definition in INDEXES.items():
        schema_editor.execute(f"CREATE INDEX IF NOT EXISTS {name} ON {definition}")


def drop(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    for name in INDEXES:
        schema_editor.execute(f"DROP INDEX IF EXISTS {name}")


class Migration(migrations.Migration):
    dependencies = [
        ("chorus_portal", "0001_mail_queue"),
        ("accounts", "0007_name_search_indexes"),
        ("activity", "0007_data_purged_action"),
        ("affiliations", "0004_search_by_name_and_identifier"),
    ]

    operations = [migrations.RunPython(create, drop)]
