"""SSRF by name: a host that is allowed by name (a DOWNLOAD_HOSTS wildcard, `localhost` listed by
mistake) but resolves to an internal address is refused, unless it is a configured endpoint's host.

The unit tests replace `socket.getaddrinfo` (the resolver, not Modella's HTTP layer) so that a name
resolves where a hostile DNS record would point it; the last test goes through a real download
whose hub redirects to `localhost` on a port that is no endpoint."""

import socket
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from modella import outbound
from tests.downloads.conftest import download
from tests.fakehub import Fault

RECORDS = {
    "cdn.example.org": ["93.184.216.34"],
    "rebind.example.org": ["127.0.0.1"],
    "metadata.example.org": ["169.254.169.254"],
    "lan.example.org": ["192.168.1.20"],
    "mixed.example.org": ["93.184.216.34", "10.0.0.7"],
    "v6loop.example.org": ["::1"],
    "mapped.example.org": ["::ffff:127.0.0.1"],
    "nat64.example.org": ["64:ff9b::a9fe:a9fe"],
    "mirror.lan": ["192.168.1.5"],
}


@pytest.fixture
def dns(monkeypatch):
    """A resolver answering from RECORDS (as a hostile or local DNS server would)."""
    asked = []

    def getaddrinfo(host, port, *args, **kwargs):
        asked.append(host)
        if host not in RECORDS:
            raise socket.gaierror(socket.EAI_NONAME, "Name or service not known")
        return [(socket.AF_INET6 if ":" in a else socket.AF_INET, socket.SOCK_STREAM, 6, "", (a, port or 0))
                for a in RECORDS[host]]

    monkeypatch.setattr(socket, "getaddrinfo", getaddrinfo)
    return asked


@pytest.fixture
def hosts(settings):
    settings.HF_ENDPOINT = "https://huggingface.co"
    settings.CIVITAI_ENDPOINT = "https://civitai.com"
    settings.DOWNLOAD_HOSTS = ["*.example.org", "localhost"]


@pytest.mark.parametrize("name", ["rebind.example.org", "metadata.example.org", "lan.example.org",
                                  "mixed.example.org", "v6loop.example.org", "mapped.example.org",
                                  "nat64.example.org"])
def test_a_listed_name_resolving_to_an_internal_address_is_refused(dns, hosts, name):
    assert not outbound.url_allowed(f"https://{name}/file.gguf")
    assert name in dns  # refused because of what it resolves to, not because of its spelling


def test_a_listed_name_resolving_to_public_addresses_is_allowed(dns, hosts):
    assert outbound.url_allowed("https://cdn.example.org/file.gguf")


def test_a_name_that_does_not_resolve_is_left_to_fail_at_connect(dns, hosts):
    assert outbound.url_allowed("https://gone.example.org/file.gguf")


def test_localhost_is_refused_even_when_listed(hosts):
    # The real resolver: localhost is loopback on every machine.
    assert not outbound.url_allowed("http://localhost:6379/")
    assert not outbound.url_allowed("http://LOCALHOST./")


def test_an_unlisted_name_is_refused_without_asking_the_resolver(dns, hosts):
    assert not outbound.url_allowed("https://evil.test/file.gguf")
    assert dns == []


def test_a_configured_endpoint_on_a_private_name_stays_allowed(dns, settings):
    settings.HF_ENDPOINT = "http://mirror.lan:8080"
    settings.CIVITAI_ENDPOINT = "https://civitai.com"
    settings.DOWNLOAD_HOSTS = ["*.lan"]
    assert outbound.url_allowed("http://mirror.lan:8080/acme/x/resolve/main/a.gguf")
    # ...but another name pointing at the same private address is not the endpoint.
    RECORDS["alias.lan"] = ["192.168.1.5"]
    try:
        assert not outbound.url_allowed("http://alias.lan:8080/a.gguf")
    finally:
        del RECORDS["alias.lan"]


@pytest.mark.parametrize("literal", ["[::ffff:127.0.0.1]", "[::ffff:a9fe:a9fe]", "[::127.0.0.1]",
                                     "[64:ff9b::a00:1]"])
def test_ipv4_addresses_wrapped_in_ipv6_literals_are_internal_too(hosts, literal):
    assert not outbound.url_allowed(f"http://{literal}/x")


class _Bystander(BaseHTTPRequestHandler):
    """A local service that must never be reached by a download (e.g. an admin panel)."""

    hits: list[str] = []

    def do_GET(self):  # noqa: N802 - http.server's naming
        self.hits.append(self.path)
        body = b"internal secret"
        self.send_response(200)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    do_HEAD = do_GET  # noqa: N815

    def log_message(self, *args):
        pass


@pytest.mark.django_db(transaction=True)
def test_a_download_redirected_to_localhost_on_another_port_fails_without_following(hubs, settings, models_dir):
    bystander = ThreadingHTTPServer(("127.0.0.1", 0), _Bystander)
    threading.Thread(target=bystander.serve_forever, daemon=True).start()
    _Bystander.hits = []
    try:
        # `localhost` listed by mistake: its name is allowed, what it resolves to is not.
        settings.DOWNLOAD_HOSTS = ["127.0.0.1", "localhost"]
        content = hubs.generated(50_000, seed=92)
        hubs.add_hf_repo("acme/rebind-GGUF", files={"a.gguf": content})
        target = f"http://localhost:{bystander.server_address[1]}/a.gguf"
        hubs.set_fault("acme/rebind-GGUF/a.gguf", Fault(redirect_to=target))
        job = download(hubs, "acme/rebind-GGUF", {"a.gguf": content})
    finally:
        bystander.shutdown()
        bystander.server_close()

    assert job.status == "failed"
    assert job.error_details["key"] == "redirect_not_allowed"
    assert job.error_details.get("host") == "localhost"
    assert _Bystander.hits == []
    assert not list((models_dir / "huggingface/acme/rebind-GGUF").glob("*.gguf"))
