# The structure search matches the identifier and the company name only: the kind and
# the identifier type became filters (see selectors.search_structures). Existing rows
# lose the type labels folded into their search text; the first page of a search is read
# from an index in the search's order.

from django.db import migrations, models

from affiliations.search import fold

BATCH = 5000


def refold(apps, schema_editor):
    Structure = apps.get_model("affiliations", "Structure")
    changed = []
    rows = Structure.objects.order_by("pk").only("pk", "identifier", "company_name", "search_text")
    for structure in rows.iterator(chunk_size=BATCH):
        text = fold(f"{structure.identifier} {structure.company_name}")
        if text != structure.search_text:
            structure.search_text = text
            changed.append(structure)
        if len(changed) >= BATCH:
            Structure.objects.bulk_update(changed, ["search_text"])
            changed.clear()
    if changed:
        Structure.objects.bulk_update(changed, ["search_text"])


class Migration(migrations.Migration):
    dependencies = [
        ("affiliations", "0003_structure_import_and_constraint_messages"),
    ]

    operations = [
        migrations.RunPython(refold, migrations.RunPython.noop),
        migrations.AddIndex(
            model_name="structure",
            index=models.Index(
                condition=models.Q(("status", "active")),
                fields=["company_name", "id"],
                name="structure_active_name",
            ),
        ),
    ]
