"""verify lists each version folder for leftovers inside the walk that hashes it, not in a
second pass: what it reports, in what order, and what `--repair` removes stay what
`Backend.debris()` (the whole second pass, still there for cleanup and `/api/debris`) finds.
"""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

import pytest

from modelreg import ModelRegistry, TrainingResult
from modelreg._fsutil import HOST_TAG
from modelreg.backends.base import Debris
from modelreg.backends.local import LocalBackend
from modelreg.operations import verify as verify_module

DEBRIS_KINDS = {"staging", "trash", "temp-file", "empty-claim", "temp-pointer"}
#: leftover names a crash, a hand or an attacker may leave, all reported as temp files
HOSTILE = [
    ".metadata.json.",
    ".metadata.json.\nnewline",
    ".metadata.json. späce ü",
    ".metadata.json.\\x",
]


def _registry(tmp_path: Path, count: int = 8) -> tuple[ModelRegistry, list[str]]:
    registry = ModelRegistry(tmp_path / "models", auto_cleanup=False)
    names = [
        registry.register(TrainingResult(model={"s": s}, metrics={"auc": s / 10}, features=["a"]))
        for s in range(count)
    ]
    registry.promote_to_production(names[1])
    return registry, names


def _litter(root: Path, names: list[str], outside: Path) -> set[tuple[str, str]]:
    """Every kind of leftover, beside damaged versions; returns the (kind, path) expected."""
    expected = set()
    staged = root / ".staging" / f"v.{HOST_TAG}.999999999.dead"  # its writer is gone
    staged.mkdir(parents=True)
    trashed = root / ".trash" / f"{names[0]}.1.dead"
    trashed.mkdir(parents=True)
    expected |= {("staging", str(staged)), ("trash", str(trashed))}
    for name in names[2:4]:  # plain leftovers of an interrupted metadata update
        (root / name / ".metadata.json.tmp1").write_text("{}")
        expected.add(("temp-file", str(root / name / ".metadata.json.tmp1")))
    for hostile in HOSTILE:
        (root / names[4] / hostile).write_text("x")
        expected.add(("temp-file", str(root / names[4] / hostile)))
    (root / names[4] / "metadata.json.bak").write_text("not a leftover")
    (root / names[4] / ".metadata.jsonx").write_text("not one either")
    (root / names[5] / "metadata.json").write_text("{not json")  # corrupt, and littered
    (root / names[5] / ".metadata.json.tmp2").write_text("{}")
    (root / names[6] / "model.pkl").unlink()  # an artifact missing, and littered
    (root / names[6] / ".metadata.json.tmp3").write_text("{}")
    expected |= {
        ("temp-file", str(root / names[5] / ".metadata.json.tmp2")),
        ("temp-file", str(root / names[6] / ".metadata.json.tmp3")),
    }
    claimed = root / "20990101_000000"  # claimed, never filled: no version, so not walked
    (claimed / "sub").mkdir(parents=True)
    (claimed / ".metadata.json.tmp4").write_text("{}")
    expected |= {("empty-claim", str(claimed)), ("temp-file", str(claimed / ".metadata.json.tmp4"))}
    outside.mkdir()
    (outside / ".metadata.json.tmp5").write_text("{}")
    linked = root / "20990102_000000"  # a version-named link to a folder elsewhere
    linked.symlink_to(outside)
    expected |= {("empty-claim", str(linked)), ("temp-file", str(linked / ".metadata.json.tmp5"))}
    (root / "20990103_000000").write_text("a file, not a folder: nothing to list")
    (root / "20990104_000000").symlink_to(root / "nowhere")  # a dangling version-named link
    pointer = root / "production" / ".latest.tmp6"
    pointer.symlink_to(f"../{names[2]}")
    expected.add(("temp-pointer", str(pointer)))
    return expected


def _debris_part(report: Any) -> list[dict[str, str]]:
    return [p for p in report.problems if p["kind"] in DEBRIS_KINDS]


def _as_problems(items: list[Debris]) -> list[dict[str, str]]:
    return [{"kind": d.kind, "where": d.path, "detail": d.detail} for d in items]


@pytest.mark.parametrize("threads", [1, 2, 3])
def test_the_walk_reports_the_second_pass_s_debris_in_its_order(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, threads: int
) -> None:
    registry, names = _registry(tmp_path)
    root = Path(registry.path)
    expected = _litter(root, names, tmp_path / "outside")
    monkeypatch.setattr(LocalBackend, "verify_threads", threads)
    monkeypatch.setattr(verify_module, "_BATCH", 2)  # the walk spread over several batches
    listed: list[str] = []
    version_debris = LocalBackend.version_debris

    def spying(self: LocalBackend, name: str) -> Any:
        listed.append(name)
        return version_debris(self, name)

    monkeypatch.setattr(LocalBackend, "version_debris", spying)
    report = registry.verify()
    second_pass = _as_problems(registry.backend.debris())
    assert _debris_part(report) == second_pass  # the same items, in the same order
    assert report.problems[-len(second_pass) :] == second_pass  # and last, as before
    assert {(p["kind"], p["where"]) for p in second_pass} == expected
    assert sorted(listed) == sorted(names)  # each version folder listed once, in the walk
    kinds = {(p["kind"], p["where"]) for p in report.problems} - expected
    assert kinds == {("corrupt", names[5]), ("integrity", names[6])}


def test_repair_removes_what_the_walk_found_as_the_second_pass_did(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    registry, names = _registry(tmp_path)
    root = Path(registry.path)
    _litter(root, names, tmp_path / "outside")
    second_pass = _as_problems(registry.backend.debris())
    report = registry.verify(repair=True)
    assert _debris_part(report) == second_pass
    assert [p for p in report.repaired if p["kind"] in DEBRIS_KINDS] == second_pass
    assert registry.backend.debris() == []
    assert _debris_part(registry.verify()) == []
    assert (root / names[4] / "metadata.json.bak").exists()
    assert (tmp_path / "outside" / ".metadata.json.tmp5").exists()  # removed the link only


def test_a_folder_the_walk_could_not_list_is_listed_at_the_end(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A version folder that vanished or could not be read during the walk (`version_debris`
    None) is looked at again where the second pass looked, so nothing is lost."""
    registry, names = _registry(tmp_path, 4)
    root = Path(registry.path)
    (root / names[2] / ".metadata.json.tmp1").write_text("{}")
    monkeypatch.setattr(LocalBackend, "version_debris", lambda self, name: None)
    report = registry.verify()
    assert _debris_part(report) == _as_problems(registry.backend.debris())
    assert [p["where"] for p in _debris_part(report)] == [
        str(root / names[2] / ".metadata.json.tmp1")
    ]


def test_an_unlistable_folder_fails_verify_after_its_repairs_as_before(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Listing errors in the walk are not raised there: the end pass raises them, after the
    statuses were mended, where the second pass raised them."""
    registry, names = _registry(tmp_path, 4)
    root = Path(registry.path)
    meta_path = root / names[3] / "metadata.json"
    meta = json.loads(meta_path.read_text())
    meta["deployment_status"] = "production"  # stale: production is names[1]
    meta_path.write_text(json.dumps(meta))
    refused = str(root / names[2])
    listdir = os.listdir

    def refusing(path: Any = ".") -> list[str]:
        if os.fspath(path) == refused:
            raise PermissionError(13, "Permission denied", refused)
        return listdir(path)

    monkeypatch.setattr(os, "listdir", refusing)
    assert registry.backend.version_debris(names[2]) is None
    with pytest.raises(PermissionError):
        registry.verify(repair=True)
    assert json.loads(meta_path.read_text())["deployment_status"] == "archived"  # mended
