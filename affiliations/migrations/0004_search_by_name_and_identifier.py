# The structure search matches words of the identifier and the company name: the kind
# and the identifier type became filters (see selectors.search_structures). Existing
# rows get the new search text (words separated by single spaces, without the type
# labels). On PostgreSQL a full-text index on those words (one posting list per word)
# replaces the trigram index, and the default orders (a structure's name, a service's code)
# get an index.

from django.db import migrations, models

from affiliations.search import words

BATCH = 5000


def rewrite_search_text(apps, schema_editor):
    Structure = apps.get_model("affiliations", "Structure")
    changed = []
    rows = Structure.objects.order_by("pk").only("pk", "identifier", "company_name", "search_text")
    for structure in rows.iterator(chunk_size=BATCH):
        text = " ".join(words(f"{structure.identifier} {structure.company_name}"))
        if text != structure.search_text:
            structure.search_text = text
            changed.append(structure)
        if len(changed) >= BATCH:
            Structure.objects.bulk_update(changed, ["search_text"])
            changed.clear()
    if changed:
        Structure.objects.bulk_update(changed, ["search_text"])


def words_index(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    schema_editor.execute(
        "CREATE INDEX IF NOT EXISTS structure_search_words ON affiliations_structure "
        "USING gin (to_tsvector('simple', search_text))"
    )
    schema_editor.execute("DROP INDEX IF EXISTS structure_search_trgm")


def trigram_index(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    schema_editor.execute("DROP INDEX IF EXISTS structure_search_words")
    schema_editor.execute(
        "CREATE INDEX IF NOT EXISTS structure_search_trgm ON affiliations_structure "
        "USING gin (search_text gin_trgm_ops)"
    )


class Migration(migrations.Migration):
    dependencies = [
        ("affiliations", "0003_structure_import_and_constraint_messages"),
    ]

    operations = [
        migrations.RunPython(rewrite_search_text, migrations.RunPython.noop),
        migrations.RunPython(words_index, trigram_index),
        migrations.AddIndex(
            model_name="structure",
            index=models.Index(fields=["company_name", "id"], name="structure_name_order"),
        ),
        migrations.AddIndex(
            model_name="service",
            index=models.Index(fields=["code", "id"], name="service_code_order"),
        ),
    ]
