"""How values read for people: relative times, sizes, and when progress bars appear."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from cli_support import model_file, register, run

from modelreg.cli import _progress
from modelreg.cli._format import human_bytes, number, relative_time

NOW = datetime(2026, 11, 28, 12, 0, 0, tzinfo=UTC)


@pytest.mark.parametrize(
    ("stamp", "expected"),
    [
        ("2026-11-28T11:59:55Z", "just now"),
        ("2026-11-28T11:59:00Z", "1 minute ago"),
        ("2026-11-28T09:00:00Z", "3 hours ago"),
        ("2026-11-27T12:00:00Z", "1 day ago"),
        ("2026-09-28T12:00:00Z", "2 months ago"),
        ("2024-11-28T12:00:00Z", "2 years ago"),
        ("2026-11-28T14:00:00Z", "in 2 hours"),
        ("", "-"),
        (None, "-"),
        ("not a date", "not a date"),
    ],
)
def test_relative_time(stamp: str | None, expected: str) -> None:
    assert relative_time(stamp, NOW) == expected


@pytest.mark.parametrize(
    ("size", "expected"), [(0, "0 B"), (1023, "1023 B"), (1536, "1.5 KB"), (5 << 30, "5.0 GB")]
)
def test_human_bytes(size: int, expected: str) -> None:
    assert human_bytes(size) == expected


def test_number_is_short_but_exact_enough() -> None:
    assert (number(0.0123456789), number(None), number(3.0)) == ("0.0123457", "-", "3")


def test_progress_bar_only_for_big_copies_at_a_terminal(monkeypatch: pytest.MonkeyPatch) -> None:
    big = _progress.MIN_BYTES
    with _progress.progress_bar("x", big) as advance:
        assert advance is None  # pytest's stderr is not a terminal
    monkeypatch.setattr(_progress.sys.stderr, "isatty", lambda: True)
    with _progress.progress_bar("x", big - 1) as advance:
        assert advance is None
    with _progress.progress_bar("x", big, enabled=False) as advance:
        assert advance is None
    with _progress.progress_bar("x", big) as advance:
        assert advance is not None
        advance(big)


HOSTILE = ["../etc", "..", "/abs/path", "20260126_103000/../x", "", "latest/..", "a" * 300]


@pytest.mark.parametrize("name", HOSTILE)
@pytest.mark.parametrize(
    "command", ["show {}", "compare {} latest", "promote {}", "rollback {}", "export {} x.tar.gz"]
)
def test_hostile_version_names_are_usage_errors(tmp_path: Path, name: str, command: str) -> None:
    models = tmp_path / "models"
    register(models, model_file(tmp_path / "src"), "rmse=0.1")
    before = sorted(p.name for p in models.rglob("*"))
    args = [name if part == "{}" else part for part in command.split()]
    result = run(models, *args, ok=False)
    assert result.exit_code == 2, (command, name, result.output)
    assert "invalid version name" in result.stderr
    assert sorted(p.name for p in models.rglob("*")) == before
    assert not (tmp_path / "x.tar.gz").exists()


def test_big_copies_draw_a_progress_bar_at_a_terminal(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(_progress.sys.stderr, "isatty", lambda: True)
    size = _progress.MIN_BYTES + 1
    big = model_file(tmp_path / "src", payload=b"\x01" * size)
    opaque = tmp_path / "src" / "weights.bin"
    opaque.write_bytes(b"\x02" * size)
    models = tmp_path / "models"
    name = register(models, big, "rmse=0.1")
    assert (models / name / "model.pkl").stat().st_size > size
    other = register(models, opaque, "rmse=0.2")  # the files flavor: a bar too
    assert (models / other / "model" / "weights.bin").stat().st_size == size
    run(models, "export", name, str(tmp_path / "v.tar.gz"))
    assert (
        run(tmp_path / "b", "import", "--create", str(tmp_path / "v.tar.gz"), "-q").stdout.strip()
        == name
    )


def test_verify_counts_versions_for_its_bar(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from modelreg import ModelRegistry

    models = tmp_path / "models"
    source = model_file(tmp_path / "src")
    register(models, source, "rmse=0.1")
    register(models, source, "rmse=0.2")
    seen: list[tuple[int, int]] = []
    assert ModelRegistry(models).verify(progress=lambda *step: seen.append(step)).ok
    assert seen == [(1, 2), (2, 2)]
    monkeypatch.setattr(_progress.sys.stderr, "isatty", lambda: True)
    assert "no problems" in run(models, "verify").stdout


@pytest.mark.parametrize("kind", ["model.pkl", "weights.bin"])
def test_register_reports_bytes_as_they_are_copied(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, kind: str
) -> None:
    """Both paths (a pickle, and any other file kept as it is) feed a byte bar, so ETA works."""
    import contextlib

    import modelreg.cli.register as command

    seen: dict[str, int] = {"total": 0, "done": 0}

    @contextlib.contextmanager
    def recording_bar(_description: str, total: int, *, enabled: bool = True) -> Any:
        seen["total"] = total
        yield lambda n: seen.__setitem__("done", seen["done"] + n)

    monkeypatch.setattr(command, "progress_bar", recording_bar)
    size = 3 * 1024 * 1024 + 17
    source = tmp_path / "src" / kind
    source.parent.mkdir()
    source.write_bytes(b"\x03" * size)
    register(tmp_path / "models", source, "rmse=0.1")
    assert seen == {"total": size, "done": size}
