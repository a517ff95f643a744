"""In a real browser: choosing an app fills the mapping with that app's folders (static/js/links.js),
and adding an app, then repairing it, works with the keyboard-reachable buttons."""

import pytest

from links.models import AppFolder
from tests.browser import login
from tests.e2e.conftest import ui_user  # noqa: F401 - the owner, past the welcome banner
from tests.links.conftest import write

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_choosing_an_app_fills_its_folders_and_the_new_app_links_the_library(new_page, live_server, ui_user,  # noqa: F811
                                                                              tmp_path, civitai_model):
    civitai_model("LORA", "style.safetensors")
    root = tmp_path / "lms-and-comfy"
    write(root / "models/loras/theirs.safetensors")
    page = new_page()
    login(page, live_server, ui_user)
    page.goto(live_server.url + "/apps/add/")

    page.select_option("select[name=kind]", "lmstudio")
    assert page.input_value("input[name=map_llm]") == "{publisher}/{repo}"
    assert page.input_value("input[name=map_lora]") == ""
    page.select_option("select[name=kind]", "comfyui")
    assert page.input_value("input[name=map_lora]") == "models/loras"

    page.fill("input[name=name]", "ComfyUI")
    page.fill("input[name=root]", str(root))
    page.get_by_role("button", name="Add app folder").click()
    page.wait_for_url("**/apps/*/")
    assert "Missing: this model should be linked here" in page.content()

    page.get_by_role("button", name="Repair").click()
    page.wait_for_load_state()
    assert "Repaired 1 problem." in page.content()
    assert (root / "models/loras/style.safetensors").is_file()
    assert AppFolder.objects.get().links.count() == 1
