"""SSRF: user input naming another host is refused, and a download never follows a redirect to
another host, to an internal IP literal (in any spelling) or to a non-HTTP scheme."""

import pytest
from hypothesis import HealthCheck, given
from hypothesis import settings as hsettings
from hypothesis import strategies as st

from catalog.resolve import parse
from modella import outbound
from modella.errors import InvalidInput
from tests.downloads.conftest import download
from tests.fakehub import Fault

HOSTILE_INPUT = [
    "https://evil.example/owner/name",
    "http://evil.example/acme/tiny-llama",
    "http://10.0.0.1/owner/name",
    "http://169.254.169.254/latest/meta-data",
    "http://127.0.0.1:22/owner/name",
    "http://[::1]/owner/name",
    "http://2130706433/owner/name",
    "file:///etc/passwd",
    "ftp://huggingface.co/owner/name",
    "gopher://huggingface.co/owner/name",
    "https://huggingface.co.evil.example/owner/name",
    "https://evil.example/models/123",
    "https://evil.example@huggingface.co.evil.example/owner/name",
    "javascript:alert(1)",
    "//evil.example/owner/name",
    "evil.example/owner/name",
]


@pytest.mark.parametrize("text", HOSTILE_INPUT)
def test_input_naming_another_host_is_invalid_input(text, settings):
    settings.HF_ENDPOINT = "https://huggingface.co"
    with pytest.raises(InvalidInput):
        parse(text)


@pytest.mark.django_db
@pytest.mark.parametrize("text", HOSTILE_INPUT[:8])
def test_the_resolve_api_answers_invalid_input_for_another_host(api_client, settings, text):
    settings.HF_ENDPOINT = "https://huggingface.co"
    response = api_client.post("/api/v1/modelfiles/resolve", {"input": text}, format="json")
    assert response.status_code == 400
    assert response.json()["error"]["code"] == "invalid_input"


_label = st.text(alphabet="abcdefghijklmnopqrstuvwxyz0123456789-", min_size=1, max_size=12)


@hsettings(max_examples=200, suppress_health_check=list(HealthCheck), deadline=None)
@given(scheme=st.sampled_from(["http", "https", "ftp", "file", "HTTP"]), labels=st.lists(_label, min_size=1,
       max_size=3), tld=st.sampled_from(["example", "internal", "local", "evil", "co.evil"]),
       path=st.sampled_from(["/owner/name", "/models/1", "/a/b/resolve/main/x.gguf", ""]))
def test_no_url_on_an_unknown_host_parses(scheme, labels, tld, path):
    host = ".".join(labels + [tld])
    with pytest.raises(InvalidInput):
        parse(f"{scheme}://{host}{path}")


@pytest.mark.parametrize("url", [
    "http://10.0.0.1/x", "http://192.168.1.1/x", "http://172.16.0.5/x", "http://169.254.169.254/latest/",
    "http://127.0.0.2/x", "http://127.1/x", "http://0x7f000001/x", "http://2130706433/x", "http://0/x",
    "http://[::1]/x", "http://[fe80::1]/x", "http://[fd00::1]/x", "http://100.64.0.1/x",
    "file:///etc/passwd", "ftp://cdn.example.org/x", "gopher://cdn.example.org/x", "http:///x",
    "https://evil.example/x", "https://cdn.example.org.evil.example/x",
])
def test_internal_addresses_other_hosts_and_other_schemes_are_never_allowed(url, settings):
    settings.HF_ENDPOINT = "https://huggingface.co"
    settings.CIVITAI_ENDPOINT = "https://civitai.com"
    # Even listed as download hosts: an internal address is never a place to send a request.
    settings.DOWNLOAD_HOSTS = ["*.example.org", "10.0.0.1", "169.254.169.254", "127.0.0.2", "::1", "0",
                               "192.168.1.1"]
    assert not outbound.url_allowed(url)


@pytest.mark.parametrize("url", [
    "https://huggingface.co/a/b/resolve/main/x", "https://cdn.example.org/x", "https://a.b.example.org/x",
    "http://127.0.0.1:8765/x", "http://127.0.0.1:9999/other-port-same-host",
])
def test_the_endpoints_and_their_download_hosts_are_allowed(url, settings):
    settings.HF_ENDPOINT = "https://huggingface.co"
    settings.CIVITAI_ENDPOINT = "http://127.0.0.1:8767"  # a local endpoint (mirror, emulator) is fine
    settings.DOWNLOAD_HOSTS = ["*.example.org"]
    assert outbound.url_allowed(url)


@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize("target", [
    "http://169.254.169.254/latest/meta-data/", "http://10.0.0.1/steal", "http://0x7f000002/steal",
    "file:///etc/passwd",
])
def test_a_download_redirected_to_an_internal_address_fails_without_following(hubs, settings, models_dir, target):
    settings.DOWNLOAD_HOSTS = ["127.0.0.1", "169.254.169.254", "10.0.0.1", "0x7f000002"]
    settings.HUB_TIMEOUT = 2
    content = hubs.generated(50_000, seed=91)
    hubs.add_hf_repo("acme/ssrf-GGUF", files={"a.gguf": content})
    hubs.set_fault("acme/ssrf-GGUF/a.gguf", Fault(redirect_to=target))
    job = download(hubs, "acme/ssrf-GGUF", {"a.gguf": content})

    assert job.status == "failed"
    assert job.error_details["key"] == "redirect_not_allowed"
    assert not list((models_dir / "huggingface/acme/ssrf-GGUF").glob("*.gguf"))
