"""Every catalog is complete, compiled, and keeps the placeholders of its English source."""

import re
from pathlib import Path

import polib
import pytest
from django.conf import settings

LANGUAGES = ["fr", "es", "de", "ru", "zh_Hans", "ja"]
PLURAL_FORMS = {"fr": 2, "es": 2, "de": 2, "ru": 3, "zh_Hans": 1, "ja": 1}
PLACEHOLDER = re.compile(r"%\((\w+)\)[sdif]|%[sdif]|\{\w*\}")


def catalog(language: str) -> polib.POFile:
    return polib.pofile(str(Path(settings.BASE_DIR) / "locale" / language / "LC_MESSAGES" / "django.po"))


def placeholders(text: str) -> list[str]:
    return sorted(PLACEHOLDER.findall(text) or [])


@pytest.mark.parametrize("language", LANGUAGES)
def test_the_catalog_has_no_untranslated_or_fuzzy_entries(language):
    po = catalog(language)
    missing = [e.msgid for e in po if not e.obsolete and not e.translated()]
    fuzzy = [e.msgid for e in po if "fuzzy" in e.flags]
    assert missing == [] and fuzzy == []


@pytest.mark.parametrize("language", LANGUAGES)
def test_translations_keep_the_placeholders_of_their_source(language):
    wrong = []
    for entry in catalog(language):
        if entry.obsolete:
            continue
        if entry.msgid_plural:
            for form in entry.msgstr_plural.values():
                if placeholders(form) not in (placeholders(entry.msgid), placeholders(entry.msgid_plural)):
                    wrong.append(entry.msgid)
        elif placeholders(entry.msgstr) != placeholders(entry.msgid):
            wrong.append(entry.msgid)
    assert wrong == []


@pytest.mark.parametrize("language", LANGUAGES)
def test_plural_entries_have_every_form_of_the_language(language):
    for entry in catalog(language):
        if entry.msgid_plural and not entry.obsolete:
            assert len(entry.msgstr_plural) == PLURAL_FORMS[language], entry.msgid


@pytest.mark.parametrize("language", LANGUAGES)
def test_the_compiled_catalog_is_up_to_date(language):
    po = catalog(language)
    mo_path = Path(po.fpath).with_suffix(".mo")
    assert mo_path.exists(), "run: manage.py compile_translations"
    mo = polib.mofile(str(mo_path))
    compiled = {(e.msgctxt, e.msgid): e for e in mo}
    for entry in po.translated_entries():
        got = compiled.get((entry.msgctxt, entry.msgid))
        assert got is not None, f"{entry.msgid!r} is missing from {mo_path.name}: run compile_translations"
        if entry.msgid_plural:
            as_ints = lambda forms: {int(k): v for k, v in forms.items()}  # noqa: E731
            assert as_ints(got.msgstr_plural) == as_ints(entry.msgstr_plural), entry.msgid
        else:
            assert got.msgstr == entry.msgstr, entry.msgid
