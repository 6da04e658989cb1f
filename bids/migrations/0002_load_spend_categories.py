from django.db import migrations

from bids.reference import load_spend_categories


def load(apps, schema_editor):
    load_spend_categories(apps.get_model("bids", "SpendCategory"))


def unload(apps, schema_editor):
    apps.get_model("bids", "SpendCategory").objects.all().delete()


class Migration(migrations.Migration):
    dependencies = [("bids", "0001_initial")]

    operations = [migrations.RunPython(load, unload)]
