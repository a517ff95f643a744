"""Shared pieces of the web UI's browser tests: the Playwright fixtures, a small demo catalog,
axe-core and layout checks."""

from __future__ import annotations

import pytest

from modella.models import UserSettings
from tests.browser import login
from tests.factories import FeaturedModelFactory, ModelRepositoryFactory, ModelVariantFactory

GB = 10**9


@pytest.fixture
def ui_user(user):
    """The owner, past the welcome banner (tests of the tour turn it back on)."""
    UserSettings.objects.update_or_create(user=user, defaults={"onboarding_done": True})
    return user


@pytest.fixture
def ui_page(page, live_server, ui_user):  # noqa: F811
    login(page, live_server, ui_user)
    return page


@pytest.fixture
def demo_catalog(db):
    """Three repositories of different families, sizes and states."""
    llama = ModelRepositoryFactory(author="TheBloke", name="Llama-2-7B-Chat-GGUF", family="llama", likes=2300,
                                   license="llama2", tags=["llama", "chat", "gguf"])
    for quant, size, bits in (("Q2_K", 2_825_940_672, 2.96), ("Q4_K_M", 4_081_004_224, 4.89), ("Q8_0", 7_161_089_728, 8.5)):
        ModelVariantFactory(repository=llama, filename=f"llama-2-7b-chat.{quant}.gguf", size=size, quant_bits=bits,
                            quant_method=quant, is_recommended=quant == "Q4_K_M", architecture="llama",
                            parameters=6_738_415_616, context_length=4096)
    mistral = ModelRepositoryFactory(author="mistralai", name="Mixtral-8x7B-Instruct-GGUF", family="mistral", likes=900,
                                     tags=["moe", "chat"])
    ModelVariantFactory(repository=mistral, filename="mixtral-8x7b-instruct.Q5_K_M.gguf", size=32_230_000_000,
                        quant_bits=5.69, quant_method="Q5_K_M", is_recommended=True)
    qwen = ModelRepositoryFactory(author="Qwen", name="Qwen2.5-0.5B-Instruct-GGUF", family="qwen", likes=120,
                                  tags=["qwen", "chat"])
    ModelVariantFactory(repository=qwen, filename="qwen2.5-0.5b-instruct-q4_k_m.gguf", size=491_000_000,
                        quant_bits=4.89, quant_method="Q4_K_M", is_recommended=True)
    return {"llama": llama, "mistral": mistral, "qwen": qwen}


@pytest.fixture
def featured(db):
    return FeaturedModelFactory(slug="tiny-llama", title="Tiny Llama Chat", repo="acme/tiny-llama-gguf",
                                size_category="1.1B", tags=["chat", "small"],
                                description="A very small chat model that runs anywhere.")


def axe_violations(pw_page, impacts=("serious", "critical")) -> list[str]:
    """axe-core's serious and critical violations on the current page, as readable lines."""
    from axe_playwright_python.sync_playwright import Axe

    results = Axe().run(pw_page)
    found = []
    for violation in results.response["violations"]:
        if violation.get("impact") in impacts:
            targets = [", ".join(node["target"]) for node in violation["nodes"][:5]]
            found.append(f"{violation['id']} ({violation['impact']}): {violation['help']} -> {targets}")
    return found


def horizontal_overflow(pw_page) -> int:
    return pw_page.evaluate("document.documentElement.scrollWidth - document.documentElement.clientWidth")


def small_targets(pw_page) -> list[str]:
    """Visible buttons, links styled as buttons, chips and selects smaller than 44x44 CSS pixels."""
    return pw_page.evaluate("""() => {
      const out = [];
      const selector = "main .button, main button, main select, main input[type=search], main input[type=text], .chip span, main summary";
      for (const el of document.querySelectorAll(selector)) {
        const r = el.getBoundingClientRect();
        if (!r.width || !r.height || getComputedStyle(el).visibility === "hidden") continue;
        if (el.closest(".visually-hidden")) continue;
        if (r.width < 43.5 || r.height < 43.5) out.push(`${el.tagName}.${el.className} "${el.textContent.trim().slice(0, 30)}" ${Math.round(r.width)}x${Math.round(r.height)}`);
      }
      return out;
    }""")


@pytest.fixture
def hub(fakehub, settings):
    """The emulator as the only hub, for the live server thread too (settings are process-wide)."""
    from django.core.cache import cache

    settings.HF_ENDPOINT = fakehub.hf_url
    settings.CIVITAI_ENDPOINT = fakehub.civitai_url
    settings.DOWNLOAD_HOSTS = ["127.0.0.1"]
    settings.HF_TOKEN = ""
    settings.CIVITAI_TOKEN = ""
    settings.STORAGE_RESERVE_BYTES = 0
    cache.clear()
    yield fakehub
    cache.clear()
