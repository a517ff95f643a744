"""No template shows text outside translation tags.

A simple extractor: drop translation blocks, template tags and variables, comments, scripts and
styles, then look at what is left between HTML tags and in the attributes people read (title,
alt, placeholder, aria-label). Words there are untranslated text.
"""

import re
from pathlib import Path

import pytest
from django.conf import settings

# Names and symbols that are the same in every language.
ALLOWED = {
    "Modella", "Hugging Face", "Civitai", "HF", "GGUF", "SHA-256", "API", "PG", "PG-13", "R", "X", "XXX",
    "XS", "S", "M", "L", "XL", "LoRA", "VAE", "SDXL", "JSON", "curl", "ETA", "NSFW", "Q4_K_M", "ControlNet",
}
TEMPLATE_DIRS = [Path(settings.BASE_DIR) / "templates", *Path(settings.BASE_DIR).glob("*/templates")]

BLOCKS = [
    (r"\{%\s*blocktranslate.*?%\}.*?\{%\s*endblocktranslate\s*%\}", re.S),
    (r"\{%\s*comment\s*%\}.*?\{%\s*endcomment\s*%\}", re.S),
    (r"<script\b.*?</script>", re.S | re.I),
    (r"<style\b.*?</style>", re.S | re.I),
    (r"<svg\b.*?</svg>", re.S | re.I),
    (r"<!--.*?-->", re.S),
    (r"\{#.*?#\}", re.S),
]
READ_ATTRIBUTES = re.compile(r'\b(?:title|alt|placeholder|aria-label)="([^"]*)"')


def templates() -> list[Path]:
    return sorted({p for d in TEMPLATE_DIRS if d.is_dir() for p in d.rglob("*.html")})


def untranslated_text(source: str) -> list[str]:
    for pattern, flags in BLOCKS:
        source = re.sub(pattern, " ", source, flags=flags)
    source = re.sub(r"\{%.*?%\}|\{\{.*?\}\}", " ", source, flags=re.S)
    found = []
    for value in READ_ATTRIBUTES.findall(source):
        found.extend(_words(value))
    source = re.sub(r"<[^>]*>", "\n", source, flags=re.S)
    for line in source.splitlines():
        found.extend(_words(line))
    return found


def _words(text: str) -> list[str]:
    rest = text
    for term in sorted(ALLOWED, key=len, reverse=True):
        rest = re.sub(rf"(?<!\w){re.escape(term)}(?!\w)", " ", rest)
    return [text.strip()] if re.search(r"[^\W\d_]{2,}", rest) else []


@pytest.mark.parametrize("path", templates(), ids=lambda p: str(p.relative_to(settings.BASE_DIR)))
def test_the_template_has_no_text_outside_translation_tags(path):
    assert untranslated_text(path.read_text()) == []


def test_the_extractor_finds_plain_text_and_ignores_translated_text():
    assert untranslated_text("<p>Hello there</p>") == ["Hello there"]
    assert untranslated_text('<p title="Open it">{% translate "Hi" %}</p>') == ["Open it"]
    assert untranslated_text("{% blocktranslate trimmed %}Hello {{ name }}{% endblocktranslate %}") == []
    assert untranslated_text('<p title="{% translate "Open" %}">{{ value }}</p>') == []
