"""Local full-text search over the catalog: one function, two engines.

SQLite uses the FTS5 table `catalog_repository_fts` (migration 0003, kept in step by triggers);
PostgreSQL uses `to_tsvector` over the same text with a GIN expression index. Both split text on
anything that is not a letter or digit, so "Llama-2-7B" finds "TheBloke/Llama-2-7B-Chat-GGUF",
and every word of the query must match the start of a word (prefix search, AND between words).
"""

from __future__ import annotations

import re

from django.db import connection
from django.db.models import BooleanField, Q, QuerySet
from django.db.models.expressions import RawSQL

_WORD_RE = re.compile(r"[^\W_]+", re.UNICODE)
MAX_TERMS = 12

# Must stay identical to the expression indexed in migration 0003.
POSTGRES_DOCUMENT = (
    "to_tsvector('simple'::regconfig, lower(regexp_replace("
    "\"catalog_modelrepository\".\"repo\" || ' ' || \"catalog_modelrepository\".\"name\" || ' ' || "
    "\"catalog_modelrepository\".\"description\" || ' ' || \"catalog_modelrepository\".\"tags\"::text, "
    "'[^[:alnum:]]+', ' ', 'g')))"
)


def terms(text: str) -> list[str]:
    return [word.lower() for word in _WORD_RE.findall(text or "")][:MAX_TERMS]


def full_text(queryset: QuerySet, text: str) -> QuerySet:
    """`queryset` (of ModelRepository) narrowed to the rows whose text matches every word of `text`."""
    words = terms(text)
    if not words:
        return queryset if not (text or "").strip() else queryset.none()
    vendor = connection.vendor
    if vendor == "sqlite":
        # Each word quoted (so FTS5 operators in user text are inert) and prefix-matched.
        match = " ".join(f'"{word}"*' for word in words)
        condition = RawSQL(
            '"catalog_modelrepository"."id" IN (SELECT rowid FROM catalog_repository_fts '
            "WHERE catalog_repository_fts MATCH %s)",
            (match,),
            output_field=BooleanField(),
        )
        return queryset.filter(condition)
    if vendor == "postgresql":
        query = " & ".join(f"{word}:*" for word in words)
        condition = RawSQL(f"{POSTGRES_DOCUMENT} @@ to_tsquery('simple', %s)", (query,), output_field=BooleanField())
        return queryset.filter(condition)
    q = Q()
    for word in words:  # other databases: slower, same meaning
        q &= Q(repo__icontains=word) | Q(name__icontains=word) | Q(description__icontains=word)
    return queryset.filter(q)
