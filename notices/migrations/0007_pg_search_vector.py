"""PostgreSQL: keep the full-text vector in a stored generated column and index that, instead of an
index on the expression. The planner often walks the list's ordering index and checks each notice
against the words; with an expression index that check recomputed three tsvectors per row (0.5 s for a
capped count of a frequent word on a million notices), with the column it reads one. SQLite: nothing
(FTS5, migration 0004). The column is not a model field: only the database writes it and only
``notices.search`` reads it.
"""

from django.db import migrations

_TEXT = "notices_search_text(title, titles, descriptions)"
_VECTOR = (
    f"to_tsvector('finnish'::regconfig, {_TEXT}) || to_tsvector('swedish'::regconfig, {_TEXT})"
    f" || to_tsvector('simple'::regconfig, {_TEXT})"
)

FORWARD = [
    "DROP INDEX IF EXISTS notices_notice_fulltext",
    f"ALTER TABLE notices_notice ADD COLUMN search_vector tsvector GENERATED ALWAYS AS ({_VECTOR}) STORED",
    "CREATE INDEX notices_notice_fulltext ON notices_notice USING GIN (search_vector)",
]
BACKWARD = [
    "DROP INDEX IF EXISTS notices_notice_fulltext",
    "ALTER TABLE notices_notice DROP COLUMN IF EXISTS search_vector",
    f"CREATE INDEX notices_notice_fulltext ON notices_notice USING GIN (({_VECTOR}))",
]


def _run(statements):
    def run(apps, schema_editor):
        if schema_editor.connection.vendor == "postgresql":
            for sql in statements:
                schema_editor.execute(sql)

    return run


class Migration(migrations.Migration):
    dependencies = [("notices", "0006_version_content_not_unique")]

    operations = [migrations.RunPython(_run(FORWARD), _run(BACKWARD))]
