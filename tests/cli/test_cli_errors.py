"""Exit codes and messages: 1 when an operation fails, 2 for usage, one line, no traceback."""

from __future__ import annotations

from pathlib import Path

import pytest
from cli_support import model_file, register, run

UNKNOWN = "20990101_000000"


def _registry(tmp_path: Path) -> tuple[Path, str]:
    models = tmp_path / "models"
    return models, register(models, model_file(tmp_path / "src"), "rmse=0.01")


def _one_error_line(stderr: str) -> str:
    lines = stderr.strip().splitlines()
    assert len(lines) == 1, stderr
    assert "Traceback" not in stderr
    return lines[0]


@pytest.mark.parametrize(
    "args",
    [
        ("show", UNKNOWN),
        ("promote", UNKNOWN),
        ("rollback", UNKNOWN),
        ("compare", UNKNOWN, "latest"),
        ("export", UNKNOWN, "out.tar.gz"),
        ("show", "latest"),
        ("rollback",),
    ],
)
def test_what_does_not_exist_exits_1(tmp_path: Path, args: tuple[str, ...]) -> None:
    models, _name = _registry(tmp_path)
    result = run(models, *args, ok=False)
    assert result.exit_code == 1
    line = _one_error_line(result.stderr)
    assert line.startswith("Error: ")
    assert result.stdout == ""


@pytest.mark.parametrize(
    ("args", "fragment"),
    [
        (("register", "SRC", "--metric", "acc=abc"), "'abc' is not a number"),
        (("register", "SRC", "--metric", "acc"), "expected name=value"),
        (("register", "SRC", "--metric", "acc=nan"), "finite"),
        (("register", "SRC", "--data-range", "2026-02-01:2025-01-01"), "after"),
        (("register", "SRC", "--metric-gate", "rmse"), "--promote-if-better"),
        (("register", "no/such/file"), "does not exist"),
        (("list", "--min", "rmse"), "expected name=value"),
        (("list", "--limit", "-1"), "-1"),
        (("list", "--status", "gone"), "gone"),
        (("list", "--after", "yesterday"), "not an ISO 8601"),
        (("list", "--json", "--quiet"), "do not go together"),
        (("show", "../etc"), "invalid version name"),
        (("promote", "20260101_000000", "--channel", "Bad Channel"), "invalid channel"),
        (("cleanup", "--keep", "0"), "0"),
        (("export", "NAME", "out.txt"), ".tar.gz"),
        (("nosuchcommand",), "No such command"),
    ],
)
def test_bad_input_exits_2(tmp_path: Path, args: tuple[str, ...], fragment: str) -> None:
    models, name = _registry(tmp_path)
    values = {"SRC": str(model_file(tmp_path / "src")), "NAME": name}
    result = run(models, *(values.get(a, a) for a in args), ok=False)
    assert result.exit_code == 2, result.output
    assert fragment in result.stderr
    assert "Traceback" not in result.stderr


def test_bad_input_writes_nothing(tmp_path: Path) -> None:
    models, name = _registry(tmp_path)
    source = str(model_file(tmp_path / "src"))
    result = run(models, "register", source, "--extra", "metrics=1", ok=False)
    assert result.exit_code == 2 and "reserved" in result.stderr
    assert sorted(p.name for p in models.iterdir() if p.name[0].isdigit()) == [name]


@pytest.mark.parametrize("command", ["list", "show latest", "history", "verify", "cleanup --yes"])
def test_missing_registry_is_a_clear_error(tmp_path: Path, command: str) -> None:
    missing = tmp_path / "nowhere"
    result = run(missing, *command.split(), ok=False)
    assert result.exit_code == 1
    line = _one_error_line(result.stderr)
    assert f"no registry at {missing}" in line and "modelreg init" in line
    assert not missing.exists()


def test_debug_shows_the_traceback(tmp_path: Path) -> None:
    models, _name = _registry(tmp_path)
    result = run(tmp_path, "--registry", str(models), "--debug", "show", UNKNOWN, ok=False)
    assert result.exit_code == 1
    assert type(result.exception).__name__ == "VersionNotFoundError"


def test_corrupt_metadata_is_reported_not_hidden(tmp_path: Path) -> None:
    models, name = _registry(tmp_path)
    (models / name / "metadata.json").write_text("{not json")
    result = run(models, "show", name, ok=False)
    assert result.exit_code == 1
    assert "not valid JSON" in _one_error_line(result.stderr)


def test_an_os_error_is_one_line_too(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from modelreg import ModelRegistry

    models, _name = _registry(tmp_path)

    def denied(*_args: object, **_kwargs: object) -> None:
        raise PermissionError(13, "Permission denied", str(models))

    monkeypatch.setattr(ModelRegistry, "list_versions", denied)
    result = run(models, "list", ok=False)
    assert result.exit_code == 1
    assert "Permission denied" in _one_error_line(result.stderr)


def test_a_failed_gate_still_names_the_registered_version(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from modelreg import ModelRegistry
    from modelreg.errors import PromotionConflict

    models, _first = _registry(tmp_path)

    def moved(*_args: object, **_kwargs: object) -> None:
        raise PromotionConflict("production moved meanwhile", channel="production")

    monkeypatch.setattr(ModelRegistry, "promote_if_better", moved)
    source = str(model_file(tmp_path / "src"))
    result = run(models, "register", source, "-m", "rmse=0.001", "--promote-if-better", ok=False)
    assert result.exit_code == 1
    line = _one_error_line(result.stderr)
    newest = ModelRegistry(models).list_versions()[0].version
    assert f"registered {newest}, but not promoted: production moved meanwhile" in line


@pytest.mark.parametrize("command", ["register SRC", "import ARCHIVE"])
def test_a_mistyped_path_creates_nothing(tmp_path: Path, command: str) -> None:
    models, name = _registry(tmp_path)
    run(models, "export", name, str(tmp_path / "v.tar.gz"))
    values = {"SRC": str(model_file(tmp_path / "src")), "ARCHIVE": str(tmp_path / "v.tar.gz")}
    typo = tmp_path / "modles"
    result = run(typo, *(values.get(a, a) for a in command.split()), ok=False)
    assert result.exit_code == 1
    line = _one_error_line(result.stderr)
    assert f"no registry at {typo}" in line and "modelreg init" in line and "--create" in line
    assert not typo.exists()
    created = run(typo, *(values.get(a, a) for a in command.split()), "--create", "-q")
    assert created.stdout.strip() and typo.is_dir()


@pytest.mark.parametrize(
    "command", ["list", "init", "register SRC --create", "import ARCHIVE --create"]
)
def test_a_registry_path_that_is_a_file_says_so(tmp_path: Path, command: str) -> None:
    models, name = _registry(tmp_path)
    run(models, "export", name, str(tmp_path / "v.tar.gz"))
    values = {"SRC": str(model_file(tmp_path / "src")), "ARCHIVE": str(tmp_path / "v.tar.gz")}
    afile = tmp_path / "notes.txt"
    afile.write_text("not a registry")
    result = run(afile, *(values.get(a, a) for a in command.split()), ok=False)
    assert result.exit_code == 2
    assert "is a file, not a registry folder" in _one_error_line(result.stderr)
    assert afile.read_text() == "not a registry"
