"""Linking is the one place Modella writes outside the models directory: hostile names, `..`,
absolute folders and symlinked subfolders never lead out of the app's folder, and removing a link
never removes a file that is not Modella's link."""

import os

import pytest

from links import registry
from links.models import Link
from modella.errors import InvalidInput
from tests.factories import ModelRepositoryFactory, ModelVariantFactory
from tests.links.conftest import write

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize("folder", ["../outside", "models/../../outside", "/etc", "models/./loras", "a//b",
                                    "models\\loras", "C:/models", "{publisher}x/y", "{user}", "bad\x00name",
                                    "bad\u202ename", "models/con:tent"])
def test_hostile_mapping_folders_are_refused(folder):
    with pytest.raises(InvalidInput):
        registry.clean_folder(folder)


def test_plain_folders_and_whole_placeholders_are_accepted():
    assert registry.clean_folder(" models/loras/ ") == "models/loras"
    assert registry.clean_folder("{publisher}/{repo}") == "{publisher}/{repo}"
    assert registry.clean_folder("") == ""


def test_a_mapping_with_an_unknown_category_is_refused():
    with pytest.raises(InvalidInput, match="Unknown model categories"):
        registry.clean_mapping({"secrets": "x"})


@pytest.mark.parametrize("root", ["", "relative/path", "/", "/no/such/folder/anywhere"])
def test_unusable_app_folders_are_refused(root):
    with pytest.raises(InvalidInput):
        registry.clean_root(root)


def test_the_models_directory_and_folders_inside_it_are_refused_as_app_folders(models_dir):
    (models_dir / "inside").mkdir()
    for root in (models_dir, models_dir / "inside"):
        with pytest.raises(InvalidInput, match="models directory"):
            registry.clean_root(str(root))


def test_a_file_is_refused_as_an_app_folder(tmp_path):
    write(tmp_path / "file.txt")
    with pytest.raises(InvalidInput, match="does not exist"):
        registry.clean_root(str(tmp_path / "file.txt"))


def test_hostile_repository_and_file_names_stay_inside_the_app_folder(make_app, app_dir, models_dir):
    repository = ModelRepositoryFactory(repo="../../../tmp", author="..", name="../../tmp", model_type="LLM")
    write(models_dir / "huggingface/evil/..gguf-evil.gguf")
    ModelVariantFactory(repository=repository, filename="../../..gguf-evil.gguf", model_type="LLM",
                        local_path="huggingface/evil/..gguf-evil.gguf",
                        files=[{"path": "..gguf-evil.gguf", "size": 5, "sha256": ""}])
    app = make_app("lmstudio", app_dir)

    report = registry.link_all(app)

    assert len(report.linked) == 1, report.as_dict()
    created = app_dir / report.linked[0].link_path
    assert created.is_file()
    assert app_dir.resolve() in created.resolve().parents
    assert all(part not in ("..", ".") for part in report.linked[0].link_path.split("/"))


def test_a_symlinked_subfolder_pointing_elsewhere_is_not_followed(make_app, app_dir, tmp_path, civitai_model):
    civitai_model("LORA", "style.safetensors")
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    (app_dir / "models").mkdir()
    os.symlink(elsewhere, app_dir / "models" / "loras")

    report = registry.link_all(make_app("comfyui", app_dir))

    assert not report.linked and len(report.errors) == 1
    assert "symbolic link" in report.errors[0].message
    assert list(elsewhere.iterdir()) == []
    assert not Link.objects.exists()


def test_a_mapping_that_leads_into_the_models_directory_is_refused(make_app, tmp_path, models_dir, civitai_model):
    civitai_model("LORA", "style.safetensors")
    # The app's folder holds the models directory (allowed), but the mapping points into it.
    app = make_app("comfyui", tmp_path, mapping={"lora": f"{models_dir.name}/loras"})

    report = registry.link_all(app)

    assert not report.linked and "models directory" in report.errors[0].message
    assert not (models_dir / "loras").exists()


def test_removing_never_deletes_a_file_the_user_put_where_our_link_was(make_app, app_dir, civitai_model):
    variant = civitai_model("LORA", "style.safetensors")
    app = make_app("comfyui", app_dir)
    registry.link_all(app)
    link = app_dir / "models/loras/style.safetensors"
    link.unlink()
    link.write_bytes(b"the user's own file with the same name")

    registry.files_removed([variant.local_path])

    assert link.read_bytes() == b"the user's own file with the same name"
    assert not Link.objects.exists()


def test_removing_never_follows_a_symlink_swapped_in_for_a_recorded_symlink(make_app, app_dir, tmp_path,
                                                                          civitai_model):
    variant = civitai_model("LORA", "style.safetensors")
    app = make_app("comfyui", app_dir, link_mode="symlink")
    registry.link_all(app)
    precious = write(tmp_path / "precious.safetensors", b"keep me")
    link = app_dir / "models/loras/style.safetensors"
    link.unlink()
    os.symlink(precious, link)

    registry.files_removed([variant.local_path])

    assert link.is_symlink() and precious.read_bytes() == b"keep me"
