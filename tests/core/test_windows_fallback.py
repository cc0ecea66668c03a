"""Where symlinks are not allowed (Windows without the privilege), pointers are folder copies.

The fallback is forced on Linux by making `_fsutil.symlinks_supported` answer False. The
folder-copy pointer cannot be swapped in one step, so the old copy is first renamed aside
(`.latest.prev`); a crash there must still read the old production, and the next write mends
it. Also here: a registry folder copied elsewhere keeps working (nothing stores an absolute
path), in both forms.
"""

from __future__ import annotations

import json
import os
import shutil
from pathlib import Path

import pytest

from conftest import make_result
from modelreg import ModelRegistry, _fsutil


@pytest.fixture
def no_symlinks(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(_fsutil, "symlinks_supported", lambda folder: False)


@pytest.fixture
def versions(registry: ModelRegistry) -> list[str]:
    return [registry.register(make_result(seed)) for seed in range(4)]


def _pointer(registry: ModelRegistry, channel: str = "production") -> Path:
    return Path(registry.path) / channel / "latest"


def _copy_names(registry: ModelRegistry, channel: str = "production") -> str:
    link = _pointer(registry, channel)
    assert link.is_dir() and not link.is_symlink(), "expected a folder copy"
    meta = json.loads((link / "metadata.json").read_text())
    real = json.loads((Path(registry.path) / meta["version"] / "metadata.json").read_text())
    assert meta == real, "the copy's metadata.json mirrors the version's (status included)"
    return meta["version"]


@pytest.mark.usefixtures("no_symlinks")
def test_promote_rollback_load_cleanup_verify(registry: ModelRegistry, versions: list[str]) -> None:
    a, b, c, d = versions
    assert registry.promote_to_production(a)
    assert _copy_names(registry) == a
    folder = _pointer(registry)
    assert sorted(p.name for p in folder.iterdir()) == sorted(
        p.name for p in (Path(registry.path) / a).iterdir()
    )
    assert registry.promote_to_production(b)
    assert _copy_names(registry) == b
    assert registry.channels() == {"production": b}
    assert registry.get_version_info("latest")["version"] == b
    assert registry.get_version_info("latest")["deployment_status"] == "production"
    assert registry.get_version_info(a)["deployment_status"] == "archived"
    assert registry.rollback_to_version() is True
    assert _copy_names(registry) == a
    loaded = registry.load_version("latest")
    assert loaded is not None and loaded.metrics == make_result(0).metrics
    assert registry.promote(c, channel="staging")
    assert _copy_names(registry, "staging") == c
    assert registry.cleanup_old_versions(keep_versions=1) == [b]
    assert {v.version for v in registry.list_versions()} == {a, c, d}
    assert registry.verify().problems == []
    assert not list(folder.parent.glob(".latest*")), "no leftovers beside the copy"


@pytest.mark.usefixtures("no_symlinks")
def test_crash_mid_swap_reads_old_production_and_is_mended(
    registry: ModelRegistry, versions: list[str]
) -> None:
    a, b, c, _ = versions
    registry.promote_to_production(a)
    registry.promote_to_production(b)
    link = _pointer(registry)
    aside = link.with_name(".latest.prev")
    os.rename(link, aside)  # the moment between "old copy aside" and "new copy in place"
    assert registry.channels() == {"production": b}
    assert registry.get_version_info("latest")["version"] == b
    assert registry.load_version("latest") is not None
    assert b not in registry.cleanup_old_versions(keep_versions=1, dry_run=True), "protected"
    assert registry.verify().problems == []
    assert registry.promote_to_production(c)
    assert _copy_names(registry) == c
    assert not aside.exists(), "the next write mends the interrupted swap"
    assert registry.rollback_to_version() is True
    assert _copy_names(registry) == b


@pytest.mark.usefixtures("no_symlinks")
def test_crash_after_swap_leaves_both_copies(registry: ModelRegistry, versions: list[str]) -> None:
    a, b, _c, _ = versions
    registry.promote_to_production(a)
    link = _pointer(registry)
    shutil.copytree(link, link.with_name(".latest.prev"))  # old copy not yet removed
    registry.promote_to_production(b)
    assert _copy_names(registry) == b
    assert registry.channels() == {"production": b}
    assert not link.with_name(".latest.prev").exists()


@pytest.mark.usefixtures("no_symlinks")
def test_half_made_copy_is_debris(registry: ModelRegistry, versions: list[str]) -> None:
    registry.promote_to_production(versions[0])
    half = _pointer(registry).with_name(".latest.new.4242.abcd")
    half.mkdir()
    (half / "model.pkl").write_bytes(b"partial")
    assert registry.channels() == {"production": versions[0]}
    assert "temp-pointer" in {p["kind"] for p in registry.verify().problems}
    registry.verify(repair=True)
    assert not half.exists()
    assert registry.verify().problems == []


def test_symlink_pointer_replaced_by_copy_when_moved_to_windows(
    registry: ModelRegistry, versions: list[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    registry.promote_to_production(versions[0])
    assert _pointer(registry).is_symlink()
    monkeypatch.setattr(_fsutil, "symlinks_supported", lambda folder: False)
    assert registry.promote_to_production(versions[1])
    assert _copy_names(registry) == versions[1]
    assert registry.rollback_to_version() and _copy_names(registry) == versions[0]


@pytest.mark.parametrize("symlinks", [True, False], ids=["symlink", "copy"])
def test_a_copied_registry_keeps_working(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, symlinks: bool
) -> None:
    if not symlinks:
        monkeypatch.setattr(_fsutil, "symlinks_supported", lambda folder: False)
    original = ModelRegistry(tmp_path / "here" / "models")
    names = [original.register(make_result(seed)) for seed in range(3)]
    original.promote_to_production(names[0])
    original.promote_to_production(names[1])
    original.close()
    stored = b"".join(p.read_bytes() for p in (tmp_path / "here").rglob("*") if p.is_file())
    assert str(tmp_path).encode() not in stored, "an absolute path is stored"
    if symlinks:
        assert (
            os.readlink(tmp_path / "here" / "models" / "production" / "latest") == f"../{names[1]}"
        )

    shutil.copytree(tmp_path / "here", tmp_path / "there", symlinks=True)
    shutil.rmtree(tmp_path / "here")
    moved = ModelRegistry(tmp_path / "there" / "models")
    assert [v.version for v in moved.list_versions()] == names[::-1]
    assert moved.load_version("latest") is not None
    assert moved.verify().problems == []
    assert moved.rollback_to_version() is True
    assert moved.channels() == {"production": names[0]}
    assert moved.register(make_result(7)) not in names
