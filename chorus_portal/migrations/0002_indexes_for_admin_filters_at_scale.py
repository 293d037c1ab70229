# The admin's filters and searches at Chorus Pro's size (1.1 M users, 1 M structures, 2 M
# log rows, 2.2 M profiles). A filter on a rare value with the list's order (a user's
# address, a structure's name, the log's time, the newest first) made PostgreSQL read the
# order's index until a hundred rare rows turned up: most of a million rows. Small partial
# indexes hold the rare rows in that order; the log gets its action filter in time order
# and its IP search; profiles, their application and level filters.
# PostgreSQL only (other databases have no such tables); measured in docs/benchmarks.md.

from django.db import migrations

INDEXES = {
    # Users, ordered by address: staff, superusers, deactivated accounts, English speakers.
    "admin_user_staff_by_email": "accounts_user (email) WHERE is_staff",
    "admin_user_superuser_by_email": "accounts_user (email) WHERE is_superuser",
    "admin_user_inactive_by_email": "accounts_user (email) WHERE NOT is_active",
    "admin_user_english_by_email": "accounts_user (email) WHERE language = 'en'",
    # Login addresses and e-mail code devices, newest first: the unverified, the
    # secondary, the unconfirmed.
    "admin_address_unverified": "account_emailaddress (id) WHERE NOT verified",
    "admin_address_secondary": 'account_emailaddress (id) WHERE NOT "primary"',
    "admin_device_unconfirmed": "mfa_emaildevice (id) WHERE NOT confirmed",
    # Affiliations, newest first: those no longer active, those limited to services.
    "admin_affiliation_ended": ("affiliations_affiliation (status, id) WHERE status <> 'active'"),
    "admin_affiliation_services_only": "affiliations_affiliation (id) WHERE NOT whole_structure",
    # Profiles, newest first, of one application or one level (2.2 million rows).
    "admin_authorization_application": "authorizations_authorization (application, id)",
    "admin_authorization_level": "authorizations_authorization (level, id)",
    # Structures, ordered by name: public ones (a tenth) and inactive ones.
    "admin_structure_public_by_name": (
        "affiliations_structure (company_name, id) WHERE kind = 'public'"
    ),
    "admin_structure_inactive_by_name": (
        "affiliations_structure (company_name, id) WHERE status = 'inactive'"
    ),
    # Requests, newest first (the list and each of its filters).
    "admin_request_newest": "affiliations_request (created_at DESC, id DESC)",
    # The activity log, newest first: one action, or one IP address.
    "admin_log_action_by_time": "activity_activitylog (action, created_at DESC, id DESC)",
    "admin_log_ip_by_time": "activity_activitylog (ip, created_at DESC, id DESC)",
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
        ("authorizations", "0002_constraint_messages"),
        ("account", "0009_emailaddress_unique_primary_email"),
        ("mfa", "0003_factor_preference_and_app_lock"),
    ]

    operations = [migrations.RunPython(create, drop)]
