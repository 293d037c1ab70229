from django.db import migrations

INDEXES = [
    ("affiliations_structure", "structure_search_trgm"),
    ("affiliations_service", "service_search_trgm"),
]


def create(apps, schema_editor):
    # PostgreSQL only: trigram indexes make `search_text LIKE '%word%'` an index
    # scan. SQLite, the development default, scans the table.
    if schema_editor.connection.vendor != "postgresql":
        return
    schema_editor.execute("CREATE EXTENSION IF NOT EXISTS pg_trgm")
    for table, name in INDEXES:
        schema_editor.execute(
            f"CREATE INDEX IF NOT EXISTS {name} ON {table} USING gin (search_text gin_trgm_ops)"
        )


def drop(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    for _table, name in INDEXES:
        schema_editor.execute(f"DROP INDEX IF EXISTS {name}")


class Migration(migrations.Migration):
    dependencies = [("affiliations", "0001_initial")]

    operations = [migrations.RunPython(create, drop)]
