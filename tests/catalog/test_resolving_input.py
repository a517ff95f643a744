"""catalog.resolve.parse: every accepted input form, and nothing else."""

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from catalog.resolve import ACCEPTED_FORMS, Resolved, parse
from modella.errors import InvalidInput


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("TheBloke/Llama-2-7B-Chat-GGUF", Resolved("huggingface", "TheBloke/Llama-2-7B-Chat-GGUF")),
        ("  acme/tiny-llama-gguf\n", Resolved("huggingface", "acme/tiny-llama-gguf")),
        ("https://huggingface.co/acme/tiny-llama-gguf", Resolved("huggingface", "acme/tiny-llama-gguf")),
        ("https://huggingface.co/acme/tiny-llama-gguf/", Resolved("huggingface", "acme/tiny-llama-gguf")),
        ("huggingface.co/acme/tiny-llama-gguf", Resolved("huggingface", "acme/tiny-llama-gguf")),
        ("https://hf.co/acme/tiny-llama-gguf", Resolved("huggingface", "acme/tiny-llama-gguf")),
        (
            "https://huggingface.co/acme/tiny-llama-gguf/tree/main",
            Resolved("huggingface", "acme/tiny-llama-gguf", revision="main"),
        ),
        (
            "https://huggingface.co/acme/tiny-llama-gguf/tree/refs%2Fpr%2F1",
            Resolved("huggingface", "acme/tiny-llama-gguf", revision="refs/pr/1"),
        ),
        (
            "https://huggingface.co/acme/tiny-llama-gguf/blob/main/tiny-q4_k_m.gguf",
            Resolved("huggingface", "acme/tiny-llama-gguf", revision="main", filename="tiny-q4_k_m.gguf"),
        ),
        (
            "https://huggingface.co/acme/tiny-llama-gguf/resolve/abc123/sub/dir/x.gguf?download=true",
            Resolved("huggingface", "acme/tiny-llama-gguf", revision="abc123", filename="sub/dir/x.gguf"),
        ),
        ("https://civitai.com/models/4201", Resolved("civitai", "civitai:4201")),
        ("https://civitai.com/models/4201/realistic-vision", Resolved("civitai", "civitai:4201")),
        (
            "https://civitai.com/models/4201?modelVersionId=130072",
            Resolved("civitai", "civitai:4201", civitai_version_id=130072),
        ),
        (
            "https://civitai.red/models/4201/x?modelVersionId=130072",
            Resolved("civitai", "civitai:4201", civitai_version_id=130072),
        ),
        ("civitai:4201", Resolved("civitai", "civitai:4201")),
        ("CIVITAI:4201", Resolved("civitai", "civitai:4201")),
    ],
)
def test_it_understands_each_accepted_form(text, expected):
    assert parse(text) == expected


def test_it_accepts_links_to_the_configured_hub_endpoint(settings):
    settings.HF_ENDPOINT = "http://127.0.0.1:8765"
    assert parse("http://127.0.0.1:8765/acme/x/resolve/main/a.gguf").filename == "a.gguf"


@pytest.mark.parametrize(
    "text",
    [
        "",
        "   ",
        "llama",
        "owner/name/extra",
        "owner/",
        "-owner/name",
        "owner/na..me",
        "owner/name with space",
        "https://example.com/owner/name",
        "https://huggingface.co/owner",
        "https://huggingface.co/spaces/owner/name",
        "https://huggingface.co/owner/name/blob/main",
        "https://huggingface.co/owner/name/blob/main/../../etc/passwd",
        "https://huggingface.co/owner/name/discussions/3",
        "ftp://huggingface.co/owner/name",
        "https://civitai.com/models/abc",
        "https://civitai.com/images/123",
        "https://civitai.com/models/1?modelVersionId=x",
        "civitai:",
        "civitai:abc",
        "http://[::1",
        "x" * 5000,
        None,
        42,
    ],
)
def test_it_rejects_anything_else_with_invalid_input(text):
    with pytest.raises(InvalidInput) as caught:
        parse(text)
    assert caught.value.code == "invalid_input"


def test_the_error_message_lists_the_accepted_forms():
    with pytest.raises(InvalidInput) as caught:
        parse("what is this")
    message = str(caught.value.message)
    assert "owner/name" in message and "civitai:<id>" in message
    assert caught.value.details["accepted"] == ACCEPTED_FORMS


@settings(max_examples=200, deadline=None)
@given(st.text(max_size=300))
def test_it_never_raises_anything_but_invalid_input_on_arbitrary_text(text):
    try:
        result = parse(text)
    except InvalidInput:
        return
    assert result.source in ("huggingface", "civitai")


_url_chars = st.sampled_from(list("abcXYZ019-_./?=%:@#&[] ") + ["modelVersionId", "tree", "blob", "resolve", "models"])


@settings(max_examples=200, deadline=None)
@given(
    st.sampled_from(["https://huggingface.co/", "https://civitai.com/", "civitai:", "hf.co/", "http://civitai.red/"]),
    st.lists(_url_chars, max_size=30).map("".join),
)
def test_it_never_raises_anything_but_invalid_input_on_url_like_text(prefix, tail):
    try:
        result = parse(prefix + tail)
    except InvalidInput:
        return
    assert result.repo
