"""Full-text search and the CPV code rows, kept by the database itself (no Python per notice on ingest).

PostgreSQL: a GIN index over ``to_tsvector`` of the title, every title and every description in the
'finnish', 'swedish' and 'simple' configurations (one vector, so a word matches in whichever language
stems it); ``notices.search`` queries with exactly the same expression so the index is used.

SQLite: an FTS5 table ``notices_notice_fts`` (rowid = notice id) kept in sync by triggers.

Both: ``notices_noticecpv`` rows (one per code of ``all_cpv``) written by triggers, for CPV prefix ranges.

The SQL is written out here, not imported, so this migration means the same thing whatever the code
becomes; ``notices/search.py`` repeats the PostgreSQL expression and a test checks the index is used.
"""

from django.db import migrations

# --- PostgreSQL ---------------------------------------------------------------------------------------

PG_FORWARD = [
    """
    CREATE OR REPLACE FUNCTION notices_search_text(title text, titles jsonb, descriptions jsonb)
    RETURNS text LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$
      SELECT concat_ws(' ', title,
        (SELECT string_agg(value, ' ') FROM jsonb_each_text(
           CASE WHEN jsonb_typeof(titles) = 'object' THEN titles ELSE '{}'::jsonb END)),
        (SELECT string_agg(value, ' ') FROM jsonb_each_text(
           CASE WHEN jsonb_typeof(descriptions) = 'object' THEN descriptions ELSE '{}'::jsonb END)))
    $$
    """,
    """
    CREATE INDEX notices_notice_fulltext ON notices_notice USING GIN ((
      to_tsvector('finnish'::regconfig, notices_search_text(title, titles, descriptions))
      || to_tsvector('swedish'::regconfig, notices_search_text(title, titles, descriptions))
      || to_tsvector('simple'::regconfig, notices_search_text(title, titles, descriptions))
    ))
    """,
    """
    CREATE OR REPLACE FUNCTION notices_notice_cpv_sync() RETURNS trigger LANGUAGE plpgsql AS $$
    BEGIN
      IF TG_OP = 'DELETE' THEN
        DELETE FROM notices_noticecpv WHERE notice_id = OLD.id;
        RETURN NULL;
      END IF;
      IF TG_OP = 'UPDATE' THEN
        IF NEW.all_cpv IS NOT DISTINCT FROM OLD.all_cpv THEN
          RETURN NULL;
        END IF;
        DELETE FROM notices_noticecpv WHERE notice_id = OLD.id;
      END IF;
      INSERT INTO notices_noticecpv (notice_id, code)
        SELECT NEW.id, left(btrim(c), 20)
        FROM jsonb_array_elements_text(
          CASE WHEN jsonb_typeof(NEW.all_cpv) = 'array' THEN NEW.all_cpv ELSE '[]'::jsonb END) AS c
        WHERE btrim(c) <> '';
      RETURN NULL;
    END
    $$
    """,
    """
    CREATE TRIGGER notices_notice_cpv AFTER INSERT OR UPDATE OF all_cpv OR DELETE ON notices_notice
    FOR EACH ROW EXECUTE FUNCTION notices_notice_cpv_sync()
    """,
    """
    INSERT INTO notices_noticecpv (notice_id, code)
      SELECT n.id, left(btrim(c), 20)
      FROM notices_notice n, jsonb_array_elements_text(
        CASE WHEN jsonb_typeof(n.all_cpv) = 'array' THEN n.all_cpv ELSE '[]'::jsonb END) AS c
      WHERE btrim(c) <> ''
    """,
]

PG_BACKWARD = [
    "DROP TRIGGER IF EXISTS notices_notice_cpv ON notices_notice",
    "DROP FUNCTION IF EXISTS notices_notice_cpv_sync()",
    "DROP INDEX IF EXISTS notices_notice_fulltext",
    "DROP FUNCTION IF EXISTS notices_search_text(text, jsonb, jsonb)",
    "DELETE FROM notices_noticecpv",
]

# --- SQLite -------------------------------------------------------------------------------------------

_FTS_ROW = """
  INSERT INTO notices_notice_fts (rowid, title, body) VALUES (
    new.id,
    new.title || ' ' || coalesce((SELECT group_concat(value, ' ') FROM json_each(new.titles)
                                  WHERE json_valid(new.titles) AND type = 'text'), ''),
    coalesce((SELECT group_concat(value, ' ') FROM json_each(new.descriptions)
              WHERE json_valid(new.descriptions) AND type = 'text'), ''));
"""
_CPV_ROWS = """
  INSERT INTO notices_noticecpv (notice_id, code)
    SELECT new.id, substr(trim(value), 1, 20) FROM json_each(new.all_cpv)
    WHERE json_valid(new.all_cpv) AND trim(value) <> '';
"""

SQLITE_FORWARD = [
    "CREATE VIRTUAL TABLE notices_notice_fts USING fts5(title, body, tokenize = 'unicode61 remove_diacritics 2')",
    f"""
    CREATE TRIGGER notices_notice_ai AFTER INSERT ON notices_notice BEGIN
      {_FTS_ROW}
      {_CPV_ROWS}
    END
    """,
    f"""
    CREATE TRIGGER notices_notice_au_text AFTER UPDATE OF title, titles, descriptions ON notices_notice
    WHEN new.title IS NOT old.title OR new.titles IS NOT old.titles OR new.descriptions IS NOT old.descriptions
    BEGIN
      DELETE FROM notices_notice_fts WHERE rowid = old.id;
      {_FTS_ROW}
    END
    """,
    f"""
    CREATE TRIGGER notices_notice_au_cpv AFTER UPDATE OF all_cpv ON notices_notice
    WHEN new.all_cpv IS NOT old.all_cpv
    BEGIN
      DELETE FROM notices_noticecpv WHERE notice_id = old.id;
      {_CPV_ROWS}
    END
    """,
    """
    CREATE TRIGGER notices_notice_ad AFTER DELETE ON notices_notice BEGIN
      DELETE FROM notices_notice_fts WHERE rowid = old.id;
      DELETE FROM notices_noticecpv WHERE notice_id = old.id;
    END
    """,
    """
    INSERT INTO notices_notice_fts (rowid, title, body)
      SELECT n.id,
        n.title || ' ' || coalesce((SELECT group_concat(value, ' ') FROM json_each(n.titles)
                                    WHERE json_valid(n.titles) AND type = 'text'), ''),
        coalesce((SELECT group_concat(value, ' ') FROM json_each(n.descriptions)
                  WHERE json_valid(n.descriptions) AND type = 'text'), '')
      FROM notices_notice n
    """,
    """
    INSERT INTO notices_noticecpv (notice_id, code)
      SELECT n.id, substr(trim(j.value), 1, 20) FROM notices_notice n, json_each(n.all_cpv) j
      WHERE json_valid(n.all_cpv) AND trim(j.value) <> ''
    """,
]

SQLITE_BACKWARD = [
    "DROP TRIGGER IF EXISTS notices_notice_ai",
    "DROP TRIGGER IF EXISTS notices_notice_au_text",
    "DROP TRIGGER IF EXISTS notices_notice_au_cpv",
    "DROP TRIGGER IF EXISTS notices_notice_ad",
    "DROP TABLE IF EXISTS notices_notice_fts",
    "DELETE FROM notices_noticecpv",
]


def _run(statements_by_vendor):
    def run(apps, schema_editor):
        statements = statements_by_vendor.get(schema_editor.connection.vendor)
        if statements is None:
            raise RuntimeError(f"full-text search is written for PostgreSQL and SQLite, not {schema_editor.connection.vendor}")
        for sql in statements:
            schema_editor.execute(sql)

    return run


class Migration(migrations.Migration):
    dependencies = [("notices", "0003_api_tokens_officers_drafts")]

    operations = [
        migrations.RunPython(
            _run({"postgresql": PG_FORWARD, "sqlite": SQLITE_FORWARD}),
            _run({"postgresql": PG_BACKWARD, "sqlite": SQLITE_BACKWARD}),
        )
    ]
