"""Links follow the library: a finished download or an imported file is linked at once, a
renamed file's link is renamed, and removing a model (or an app folder) removes its links."""

import os

import pytest

from links import registry
from links.models import Link
from storage import scan
from storage.models import LocalFile
from tests.links.conftest import write

pytestmark = pytest.mark.django_db


def test_deleting_a_downloaded_model_removes_its_links_everywhere(make_app, tmp_path, other_fs_dir, hf_model,
                                                                  api_client, models_dir):
    variant = hf_model("bartowski/Chat-GGUF", "chat-Q4_K_M.gguf")
    (tmp_path / "lms").mkdir()
    same_fs = make_app("lmstudio", tmp_path / "lms")
    other = make_app("lmstudio", other_fs_dir)
    registry.link_all(same_fs)
    registry.link_all(other)
    assert Link.objects.count() == 2

    response = api_client.delete("/api/v1/modelfiles/bartowski/Chat-GGUF/files/chat-Q4_K_M.gguf")

    assert response.status_code == 204
    assert not Link.objects.exists()
    # The {publisher}/{repo} folders Modella made are gone too; the app's own folder stays.
    assert list((tmp_path / "lms").iterdir()) == [] and list(other_fs_dir.iterdir()) == []
    assert not (models_dir / variant.local_path).exists()


def test_deleting_an_imported_file_removes_its_link_but_not_the_apps_folders(make_app, app_dir, local_model,
                                                                            api_client):
    local = local_model("my/watercolor.safetensors", "LORA")
    registry.link_all(make_app("comfyui", app_dir))

    assert api_client.delete(f"/api/v1/local-files/{local.pk}").status_code == 204

    assert not Link.objects.exists()
    assert (app_dir / "models/loras").is_dir() and list((app_dir / "models/loras").iterdir()) == []


def test_renaming_a_file_renames_its_link(make_app, app_dir, local_model, api_client, models_dir):
    local = local_model("my/watercolor.safetensors", "LORA")
    app = make_app("comfyui", app_dir, link_mode="symlink")
    registry.link_all(app)

    response = api_client.patch(f"/api/v1/local-files/{local.pk}", {"name": "aquarelle.safetensors"}, format="json")

    assert response.status_code == 200
    assert not os.path.lexists(app_dir / "models/loras/watercolor.safetensors")
    link = app_dir / "models/loras/aquarelle.safetensors"
    assert os.readlink(link) == os.path.realpath(models_dir / "my/aquarelle.safetensors")
    assert registry.check(app) == []


def test_renaming_a_downloaded_variant_renames_its_hard_link(make_app, app_dir, civitai_model, models_dir):
    from storage import library
    from storage.usage import known_entries

    civitai_model("LORA", "style.safetensors")
    registry.link_all(make_app("comfyui", app_dir))
    entry, = known_entries()

    new = library.rename_entry(entry, "style-v2.safetensors")

    assert sorted(p.name for p in (app_dir / "models/loras").iterdir()) == ["style-v2.safetensors"]
    assert os.stat(app_dir / "models/loras/style-v2.safetensors").st_ino == os.stat(models_dir / new).st_ino


def test_a_scan_links_imported_files_and_unlinks_files_deleted_by_hand(make_app, app_dir, models_dir):
    app = make_app("lmstudio", app_dir)
    write(models_dir / "imports/tiny.Q4_0.gguf", b"GGUF" + b"\0" * 64)

    scan.scan(identify_files=False)

    link = app_dir / "local/imports/tiny.Q4_0.gguf"
    assert LocalFile.objects.get().model_type == "LLM"
    assert os.stat(link).st_ino == os.stat(models_dir / "imports/tiny.Q4_0.gguf").st_ino

    (models_dir / "imports/tiny.Q4_0.gguf").unlink()
    scan.scan(identify_files=False)

    assert not os.path.lexists(link) and not Link.objects.filter(app=app).exists()


def test_deleting_an_app_folder_removes_only_its_own_links(make_app, app_dir, civitai_model, models_dir):
    variant = civitai_model("LORA", "style.safetensors")
    app = make_app("comfyui", app_dir)
    registry.link_all(app)
    theirs = write(app_dir / "models/loras/theirs.safetensors", b"theirs")

    assert registry.remove_app(app) == 1

    assert sorted(p.name for p in (app_dir / "models/loras").iterdir()) == ["theirs.safetensors"]
    assert theirs.read_bytes() == b"theirs" and (models_dir / variant.local_path).is_file()
    assert not Link.objects.exists()


def test_moving_an_app_to_another_folder_takes_its_links_along(make_app, app_dir, tmp_path, civitai_model):
    civitai_model("LORA", "style.safetensors")
    app = make_app("comfyui", app_dir)
    registry.link_all(app)
    new_root = tmp_path / "new-comfy"
    new_root.mkdir()

    registry.save_app(app, {"root": str(new_root)})
    registry.link_all(app)

    assert not (app_dir / "models/loras/style.safetensors").exists()
    assert (new_root / "models/loras/style.safetensors").is_file()


def test_a_problem_in_an_app_folder_never_fails_the_storage_action(make_app, app_dir, local_model, api_client,
                                                                   models_dir):
    local = local_model("my/watercolor.safetensors", "LORA")
    registry.link_all(make_app("comfyui", app_dir))
    (app_dir / "models/loras/watercolor.safetensors").unlink()
    (app_dir / "models/loras").rmdir()
    write(app_dir / "models/loras")  # a file where the folder was

    assert api_client.delete(f"/api/v1/local-files/{local.pk}").status_code == 204
    assert not (models_dir / "my/watercolor.safetensors").exists()


def test_deleting_a_whole_repository_removes_the_links_of_its_files_in_subfolders(make_app, tmp_path, models_dir):
    from tests.factories import ModelRepositoryFactory, ModelVariantFactory

    repository = ModelRepositoryFactory(repo="bartowski/Chat-GGUF", author="bartowski", name="Chat-GGUF",
                                        model_type="LLM")
    files = ["Q4/chat-Q4_K_M.gguf", "Q8/chat-Q8_0.gguf"]
    for name in files:
        write(models_dir / "huggingface/bartowski/Chat-GGUF" / name, b"gguf " + name.encode())
    variant = ModelVariantFactory(repository=repository, role="repository", filename="[whole repository]",
                                  format="repository", model_type="LLM", local_path="huggingface/bartowski/Chat-GGUF",
                                  files=[{"path": f, "size": 5, "sha256": ""} for f in files])
    (tmp_path / "lms").mkdir()
    registry.link_all(make_app("lmstudio", tmp_path / "lms"))
    assert Link.objects.count() == 2

    variant.remove_local_files()

    assert not Link.objects.exists()
    assert list((tmp_path / "lms").iterdir()) == []
