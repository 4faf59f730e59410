"""Words inside compounds: a trigram index over the same text as the full-text search (migrations 0004,
0007), so "koulu" finds "alakoulun" and "skola" finds "lågstadieskola" on both databases.

SQLite: a contentless FTS5 table ``notices_notice_trigram`` (tokenizer ``trigram``: case-folded, any
substring of three characters or more), kept by its own triggers beside 0004's. Contentless: the text is
already stored twice (the notice's JSON and the FTS5 table's copy); a delete gives the old text back.

PostgreSQL: ``pg_trgm`` (a trusted extension: the database owner may create it) and a stored generated
column ``search_text``, the lower-cased text, with a GIN ``gin_trgm_ops`` index: ``LIKE '%koulu%'`` is an
index lookup, and a probe of one notice reads one column instead of rebuilding the text from JSON.

Written out here, not imported, so the migration means the same whatever the code becomes.
"""

from django.db import migrations

_TEXT = """{row}.title || ' ' || coalesce((SELECT group_concat(value, ' ') FROM json_each({row}.titles)
             WHERE json_valid({row}.titles) AND type = 'text'), '')
  || ' ' || coalesce((SELECT group_concat(value, ' ') FROM json_each({row}.descriptions)
             WHERE json_valid({row}.descriptions) AND type = 'text'), '')"""

SQLITE_FORWARD = [
    "CREATE VIRTUAL TABLE notices_notice_trigram USING fts5(text, tokenize = 'trigram', content = '')",
    f"""
    CREATE TRIGGER notices_notice_ai_trigram AFTER INSERT ON notices_notice BEGIN
      INSERT INTO notices_notice_trigram (rowid, text) VALUES (new.id, {_TEXT.format(row='new')});
    END
    """,
    f"""
    CREATE TRIGGER notices_notice_au_trigram AFTER UPDATE OF title, titles, descriptions ON notices_notice
    WHEN new.title IS NOT old.title OR new.titles IS NOT old.titles OR new.descriptions IS NOT old.descriptions
    BEGIN
      INSERT INTO notices_notice_trigram (notices_notice_trigram, rowid, text)
        VALUES ('delete', old.id, {_TEXT.format(row='old')});
      INSERT INTO notices_notice_trigram (rowid, text) VALUES (new.id, {_TEXT.format(row='new')});
    END
    """,
    f"""
    CREATE TRIGGER notices_notice_ad_trigram AFTER DELETE ON notices_notice BEGIN
      INSERT INTO notices_notice_trigram (notices_notice_trigram, rowid, text)
        VALUES ('delete', old.id, {_TEXT.format(row='old')});
    END
    """,
    f"INSERT INTO notices_notice_trigram (rowid, text) SELECT n.id, {_TEXT.format(row='n')} FROM notices_notice n",
]
SQLITE_BACKWARD = [
    "DROP TRIGGER IF EXISTS notices_notice_ai_trigram",
    "DROP TRIGGER IF EXISTS notices_notice_au_trigram",
    "DROP TRIGGER IF EXISTS notices_notice_ad_trigram",
    "DROP TABLE IF EXISTS notices_notice_trigram",
]

PG_FORWARD = [
    "CREATE EXTENSION IF NOT EXISTS pg_trgm",
    "ALTER TABLE notices_notice ADD COLUMN search_text text"
    " GENERATED ALWAYS AS (lower(notices_search_text(title, titles, descriptions))) STORED",
    "CREATE INDEX notices_notice_trigram ON notices_notice USING GIN (search_text gin_trgm_ops)",
    # sort=newest: newest first, notices without a publication date last (SQLite's own DESC order).
    "CREATE INDEX notices_notice_newest ON notices_notice (published_at DESC NULLS LAST, id DESC)",
]
PG_BACKWARD = [
    "DROP INDEX IF EXISTS notices_notice_newest",
    "DROP INDEX IF EXISTS notices_notice_trigram",
    "ALTER TABLE notices_notice DROP COLUMN IF EXISTS search_text",
]


def _run(statements_by_vendor):
    def run(apps, schema_editor):
        for sql in statements_by_vendor.get(schema_editor.connection.vendor, ()):
            schema_editor.execute(sql)

    return run


class Migration(migrations.Migration):
    dependencies = [("notices", "0015_eforms_rule_checks")]

    operations = [
        migrations.RunPython(
            _run({"postgresql": PG_FORWARD, "sqlite": SQLITE_FORWARD}),
            _run({"postgresql": PG_BACKWARD, "sqlite": SQLITE_BACKWARD}),
        )
    ]
