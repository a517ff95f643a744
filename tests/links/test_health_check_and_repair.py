"""The health check finds broken links, orphaned registry entries, outdated and missing links,
conflicts and foreign files; one repair fixes what is Modella's and leaves the rest alone."""

import os

import pytest

from links import registry
from links.models import Link
from tests.links.conftest import write

pytestmark = pytest.mark.django_db

LORA = "models/loras/style.safetensors"


def kinds(app):
    return sorted((f.kind, f.link_path) for f in registry.check(app))


@pytest.fixture
def linked(make_app, app_dir, civitai_model, models_dir):
    """A ComfyUI folder with one LoRA linked (a hard link); returns (app, source file)."""
    variant = civitai_model("LORA", "style.safetensors")
    app = make_app("comfyui", app_dir)
    registry.link_all(app)
    return app, models_dir / variant.local_path


def test_a_healthy_app_folder_has_no_findings(linked):
    app, _source = linked
    assert registry.check(app) == []


def test_a_dangling_symlink_is_broken_and_repair_removes_it_and_its_entry(make_app, app_dir, civitai_model,
                                                                         models_dir):
    variant = civitai_model("LORA", "style.safetensors")
    app = make_app("comfyui", app_dir, link_mode="symlink")
    registry.link_all(app)
    (models_dir / variant.local_path).unlink()  # the file went behind Modella's back

    assert kinds(app) == [("broken", LORA)]
    result = registry.repair(app)

    assert result.removed == 1 and not os.path.lexists(app_dir / LORA)
    assert not Link.objects.exists() and registry.check(app) == []


def test_a_hard_link_to_a_replaced_file_is_broken_and_repair_links_the_new_file(linked, app_dir):
    app, source = linked
    old_inode = source.stat().st_ino
    source.unlink()
    write(source, b"updated weights")  # an update put a new file at the same path
    assert source.stat().st_ino != old_inode

    assert kinds(app) == [("broken", LORA)]
    registry.repair(app)

    assert os.stat(app_dir / LORA).st_ino == source.stat().st_ino
    assert (app_dir / LORA).read_bytes() == b"updated weights"
    assert registry.check(app) == []


def test_a_registry_entry_without_its_link_is_orphaned_and_repair_recreates_the_link(linked, app_dir):
    app, source = linked
    (app_dir / LORA).unlink()

    assert kinds(app) == [("orphaned", LORA)]
    registry.repair(app)

    assert os.stat(app_dir / LORA).st_ino == source.stat().st_ino
    assert registry.check(app) == []


def test_foreign_files_are_reported_and_never_touched(linked, app_dir, tmp_path):
    app, _source = linked
    theirs = write(app_dir / "models/loras/downloaded-by-hand.safetensors", b"theirs")
    nested = write(app_dir / "models/checkpoints/sdxl/base.ckpt", b"theirs too")
    write(app_dir / "models/checkpoints/put_checkpoints_here")  # the app's own placeholder is not a model
    (app_dir / "models/vae").mkdir()
    os.symlink(write(tmp_path / "somewhere.pt"), app_dir / "models/vae/their-link.pt")

    assert kinds(app) == [("foreign", "models/checkpoints/sdxl/base.ckpt"),
                          ("foreign", "models/loras/downloaded-by-hand.safetensors"),
                          ("foreign", "models/vae/their-link.pt")]
    result = registry.repair(app)

    assert theirs.read_bytes() == b"theirs" and nested.read_bytes() == b"theirs too"
    assert (app_dir / "models/vae/their-link.pt").is_symlink()
    assert len(result.remaining) == 3


def test_a_model_not_linked_yet_is_missing_and_repair_links_it(make_app, app_dir, civitai_model):
    civitai_model("LORA", "style.safetensors")
    app = make_app("comfyui", app_dir)

    assert kinds(app) == [("missing", LORA)]
    registry.repair(app)

    assert (app_dir / LORA).is_file() and registry.check(app) == []


def test_a_foreign_file_in_the_way_of_a_missing_link_is_a_conflict_left_alone(make_app, app_dir, civitai_model):
    civitai_model("LORA", "style.safetensors")
    theirs = write(app_dir / LORA, b"theirs")
    app = make_app("comfyui", app_dir)

    assert kinds(app) == [("conflict", LORA)]
    result = registry.repair(app)

    assert theirs.read_bytes() == b"theirs"
    assert [f.kind for f in result.remaining] == ["conflict"]


def test_a_link_the_mapping_no_longer_wants_is_outdated_and_repair_moves_it(linked, app_dir):
    app, source = linked
    registry.save_app(app, {"mapping": {"lora": "models/loras/modella"}})

    assert kinds(app) == [("missing", "models/loras/modella/style.safetensors"), ("outdated", LORA)]
    registry.repair(app)

    assert not os.path.lexists(app_dir / LORA)
    assert os.stat(app_dir / "models/loras/modella/style.safetensors").st_ino == source.stat().st_ino


def test_a_user_file_where_our_link_was_is_foreign_and_repair_only_forgets_the_entry(linked, app_dir):
    app, _source = linked
    (app_dir / LORA).unlink()
    write(app_dir / LORA, b"theirs now")

    assert kinds(app) == [("foreign", LORA)]
    registry.repair(app)

    assert (app_dir / LORA).read_bytes() == b"theirs now"
    assert not Link.objects.exists()


def test_one_repair_fixes_every_kind_at_once(make_app, app_dir, civitai_model, models_dir):
    a = civitai_model("LORA", "a.safetensors", model_id=1)
    b = civitai_model("LORA", "b.safetensors", model_id=2)
    app = make_app("comfyui", app_dir, link_mode="symlink")
    registry.link_all(app)
    civitai_model("LORA", "c.safetensors", model_id=3)  # missing
    (models_dir / a.local_path).unlink()  # a: broken
    (app_dir / "models/loras" / "b.safetensors").unlink()  # b: orphaned
    write(app_dir / "models/loras/theirs.safetensors")  # foreign

    assert [f.kind for f in sorted(registry.check(app), key=lambda f: f.link_path)] == [
        "broken", "orphaned", "missing", "foreign"]
    result = registry.repair(app)

    assert [f.kind for f in result.remaining] == ["foreign"]
    assert sorted(p.name for p in (app_dir / "models/loras").iterdir()) == [
        "b.safetensors", "c.safetensors", "theirs.safetensors"]
    assert os.readlink(app_dir / "models/loras/b.safetensors") == os.path.realpath(models_dir / b.local_path)


def test_a_paused_app_reports_no_missing_links(make_app, app_dir, civitai_model):
    civitai_model("LORA", "style.safetensors")
    app = make_app("comfyui", app_dir, enabled=False)

    assert registry.check(app) == []
    assert not registry.link_all(app).linked


def test_repair_keeps_the_record_of_links_while_the_apps_folder_is_missing(linked, app_dir, tmp_path,
                                                                          logged_in_client):
    app, source = linked
    unmounted = tmp_path / "unmounted"
    app_dir.rename(unmounted)  # as a drive that is not mounted right now

    with pytest.raises(registry.InvalidInput, match="is missing"):
        registry.repair(app)
    response = logged_in_client.post(f"/apps/{app.pk}/repair/", follow=True)

    assert response.status_code == 200 and "is missing" in response.content.decode()
    assert Link.objects.filter(app=app, link_path=LORA).exists()
    unmounted.rename(app_dir)  # the drive is back: its link is still known and still healthy
    assert registry.check(app) == []
