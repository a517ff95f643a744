"""Full-text search over repositories: an FTS5 table on SQLite, a GIN expression index on PostgreSQL.

Both index the same text (repo id, name, description, tags) so `catalog.search.full_text` finds
the same rows on either database. Other vendors get nothing here and fall back to LIKE.
"""

from django.db import migrations

SQLITE_FORWARD = [
    """CREATE VIRTUAL TABLE IF NOT EXISTS catalog_repository_fts USING fts5(
        repo, name, description, tags,
        content='catalog_modelrepository', content_rowid='id',
        tokenize='unicode61 remove_diacritics 2')""",
    # External-content FTS5 tables are kept in step by triggers (the documented pattern).
    """CREATE TRIGGER IF NOT EXISTS catalog_repository_fts_ai AFTER INSERT ON catalog_modelrepository BEGIN
        INSERT INTO catalog_repository_fts(rowid, repo, name, description, tags)
        VALUES (new.id, new.repo, new.name, new.description, new.tags);
    END""",
    """CREATE TRIGGER IF NOT EXISTS catalog_repository_fts_ad AFTER DELETE ON catalog_modelrepository BEGIN
        INSERT INTO catalog_repository_fts(catalog_repository_fts, rowid, repo, name, description, tags)
        VALUES ('delete', old.id, old.repo, old.name, old.description, old.tags);
    END""",
    """CREATE TRIGGER IF NOT EXISTS catalog_repository_fts_au
        AFTER UPDATE OF repo, name, description, tags ON catalog_modelrepository BEGIN
        INSERT INTO catalog_repository_fts(catalog_repository_fts, rowid, repo, name, description, tags)
        VALUES ('delete', old.id, old.repo, old.name, old.description, old.tags);
        INSERT INTO catalog_repository_fts(rowid, repo, name, description, tags)
        VALUES (new.id, new.repo, new.name, new.description, new.tags);
    END""",
    "INSERT INTO catalog_repository_fts(catalog_repository_fts) VALUES ('rebuild')",
]
SQLITE_BACKWARD = [
    "DROP TRIGGER IF EXISTS catalog_repository_fts_ai",
    "DROP TRIGGER IF EXISTS catalog_repository_fts_ad",
    "DROP TRIGGER IF EXISTS catalog_repository_fts_au",
    "DROP TABLE IF EXISTS catalog_repository_fts",
]
# Must stay identical to catalog.search.POSTGRES_DOCUMENT, or the planner cannot use the index.
POSTGRES_FORWARD = [
    """CREATE INDEX IF NOT EXISTS catalog_repository_fts ON catalog_modelrepository USING GIN (
        to_tsvector('simple'::regconfig, lower(regexp_replace(
            repo || ' ' || name || ' ' || description || ' ' || tags::text, '[^[:alnum:]]+', ' ', 'g'))))""",
]
POSTGRES_BACKWARD = ["DROP INDEX IF EXISTS catalog_repository_fts"]


def forward(apps, schema_editor):
    statements = {"sqlite": SQLITE_FORWARD, "postgresql": POSTGRES_FORWARD}.get(schema_editor.connection.vendor, [])
    for sql in statements:
        schema_editor.execute(sql)


def backward(apps, schema_editor):
    statements = {"sqlite": SQLITE_BACKWARD, "postgresql": POSTGRES_BACKWARD}.get(schema_editor.connection.vendor, [])
    for sql in statements:
        schema_editor.execute(sql)


class Migration(migrations.Migration):
    dependencies = [("catalog", "0002_variants_access_role")]

    operations = [migrations.RunPython(forward, backward)]
