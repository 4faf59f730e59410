# Where a buyer's names and each contact point came from (issue 12: a web page must never rename a buyer
# known from eForms or its officers). Additive: existing rows keep empty values ("not recorded").

from django.db import migrations, models


class Migration(migrations.Migration):

    dependencies = [
        ("notices", "0011_source_checks_notice_origins"),
    ]

    operations = [
        migrations.AddField(
            model_name="buyer",
            name="name_sources",
            field=models.JSONField(
                blank=True,
                default=dict,
                help_text="Where the name (\"\") and each language's name came from: eforms, officer, ocds or "
                "fi-web. A source never renames a buyer known from a more authoritative one (notices.store).",
            ),
        ),
        migrations.AddField(
            model_name="contactpoint",
            name="source",
            field=models.CharField(
                blank=True,
                help_text="The most authoritative kind of source that gave it (eforms, officer...)",
                max_length=20,
            ),
        ),
        migrations.AddField(
            model_name="contactpoint",
            name="origin",
            field=models.CharField(blank=True, help_text="The file or URL it was read from", max_length=1000),
        ),
    ]
