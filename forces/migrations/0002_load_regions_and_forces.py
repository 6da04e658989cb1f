from django.db import migrations

from forces.reference import load_reference_data


def load(apps, schema_editor):
    load_reference_data(apps.get_model("forces", "Region"), apps.get_model("forces", "Force"))


def unload(apps, schema_editor):
    # Only what nothing refers to yet can go; forces with bids are protected.
    apps.get_model("forces", "Force").objects.all().delete()
    apps.get_model("forces", "Region").objects.all().delete()


class Migration(migrations.Migration):
    dependencies = [("forces", "0001_initial")]

    operations = [migrations.RunPython(load, unload)]
