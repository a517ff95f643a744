"""A hard link when the model file and the app folder share a filesystem, else a symbolic link to
the file's absolute path; never a copy, and never over a file that is already there."""

import os
import stat

import pytest

from links import registry
from links.models import AppFolder, Link

pytestmark = pytest.mark.django_db

LORA = "models/loras/style.safetensors"


def test_on_the_same_filesystem_the_link_is_a_hard_link_to_the_same_inode(make_app, app_dir, civitai_model,
                                                                            models_dir):
    variant = civitai_model("LORA", "style.safetensors")
    source = models_dir / variant.local_path
    assert os.stat(app_dir).st_dev == os.stat(source).st_dev

    registry.link_all(make_app("comfyui", app_dir))

    info = os.lstat(app_dir / LORA)
    assert stat.S_ISREG(info.st_mode)
    assert (info.st_dev, info.st_ino) == (os.stat(source).st_dev, os.stat(source).st_ino)
    assert os.stat(source).st_nlink == 2
    row = Link.objects.get()
    assert (row.kind, row.inode, row.device) == ("hard", info.st_ino, info.st_dev)


def test_on_another_filesystem_the_link_is_a_symlink_to_the_absolute_path(make_app, other_fs_dir, civitai_model,
                                                                          models_dir):
    variant = civitai_model("LORA", "style.safetensors")
    source = models_dir / variant.local_path
    assert os.stat(other_fs_dir).st_dev != os.stat(source).st_dev

    registry.link_all(make_app("comfyui", other_fs_dir))

    link = other_fs_dir / LORA
    assert link.is_symlink()
    assert os.readlink(link) == os.path.realpath(source) and os.path.isabs(os.readlink(link))
    assert link.read_bytes() == source.read_bytes()
    assert os.stat(source).st_nlink == 1  # nothing was copied or hard-linked
    assert Link.objects.get().kind == "sym"


def test_symlinks_can_be_chosen_on_the_same_filesystem(make_app, app_dir, civitai_model):
    civitai_model("LORA", "style.safetensors")

    registry.link_all(make_app("comfyui", app_dir, link_mode="symlink"))

    assert (app_dir / LORA).is_symlink()


def test_hard_links_only_across_filesystems_is_refused_and_nothing_is_copied(make_app, other_fs_dir,
                                                                            civitai_model):
    civitai_model("LORA", "style.safetensors")

    report = registry.link_all(make_app("comfyui", other_fs_dir, link_mode="hardlink"))

    assert not report.linked and len(report.errors) == 1
    assert "different filesystems" in report.errors[0].message
    assert not os.path.lexists(other_fs_dir / LORA)
    assert not Link.objects.exists()


def test_the_choice_follows_the_mode_and_the_two_devices():
    assert registry.link_kind(AppFolder.LinkMode.AUTO, 1, 1) == "hard"
    assert registry.link_kind(AppFolder.LinkMode.AUTO, 1, 2) == "sym"
    assert registry.link_kind(AppFolder.LinkMode.SYMLINK, 1, 1) == "sym"
    assert registry.link_kind(AppFolder.LinkMode.HARDLINK, 1, 1) == "hard"
    with pytest.raises(registry.InvalidInput):
        registry.link_kind(AppFolder.LinkMode.HARDLINK, 1, 2)


def test_a_file_already_at_the_link_path_is_a_conflict_and_stays_untouched(make_app, app_dir, civitai_model):
    civitai_model("LORA", "style.safetensors")
    theirs = app_dir / LORA
    theirs.parent.mkdir(parents=True)
    theirs.write_bytes(b"the user's own lora")

    report = registry.link_all(make_app("comfyui", app_dir))

    assert [o.link_path for o in report.conflicts] == [LORA]
    assert theirs.read_bytes() == b"the user's own lora"
    assert not Link.objects.exists()


def test_a_link_to_the_same_file_that_is_already_there_is_adopted_not_duplicated(make_app, app_dir,
                                                                                  civitai_model, models_dir):
    variant = civitai_model("LORA", "style.safetensors")
    (app_dir / "models/loras").mkdir(parents=True)
    os.link(models_dir / variant.local_path, app_dir / LORA)

    report = registry.link_all(make_app("comfyui", app_dir))

    assert report.existing == 1 and not report.linked and not report.conflicts
    assert Link.objects.get().kind == "hard"


def test_linking_twice_changes_nothing(make_app, app_dir, civitai_model):
    civitai_model("LORA", "style.safetensors")
    app = make_app("comfyui", app_dir)
    registry.link_all(app)

    again = registry.link_all(app)

    assert not again.linked and not again.conflicts and Link.objects.count() == 1
