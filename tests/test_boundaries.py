"""Architectural boundaries a grep can check (STYLE.md): each layer imports only its own tools."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parents[1] / "src" / "modelreg"


def _modules() -> list[Path]:
    return sorted(PACKAGE.rglob("*.py"))


def _offenders(pattern: str, allowed: tuple[str, ...]) -> list[str]:
    regex = re.compile(pattern, re.MULTILINE)
    found = []
    for path in _modules():
        relative = path.relative_to(PACKAGE).as_posix()
        if any(relative == a or relative.startswith(a) for a in allowed):
            continue
        if regex.search(path.read_text(encoding="utf-8")):
            found.append(relative)
    return found


@pytest.mark.parametrize(
    ("what", "pattern", "allowed"),
    [
        (
            "os.replace/rename/fsync",
            r"\bos\.(replace|rename|fsync)\(",
            ("_fsutil.py",),
        ),
        ("fsspec", r"^\s*(import|from) (fsspec|s3fs)\b", ("backends/",)),
        ("sqlalchemy", r"^\s*(import|from) (sqlalchemy|alembic)\b", ("backends/",)),
        ("click", r"^\s*(import|from) click\b", ("cli/",)),
        ("mlflow", r"^\s*(import|from) mlflow\b", ("importers/mlflow_source.py",)),
        (
            "fastapi",
            r"^\s*(import|from) (fastapi|starlette|uvicorn)\b",
            # the two HTTP apps (registry server, prediction server) and the commands running them
            (
                "serving/server.py",
                "serving/prediction_app.py",
                "cli/server.py",
                "cli/serve.py",
            ),
        ),
    ],
)
def test_only_one_layer_uses(what: str, pattern: str, allowed: tuple[str, ...]) -> None:
    assert _offenders(pattern, allowed) == [], f"{what} used outside {allowed}"


def test_registry_facade_has_no_storage_detail() -> None:
    source = (PACKAGE / "registry.py").read_text(encoding="utf-8")
    for forbidden in ("open(", "shutil", "sqlalchemy", "fsspec", "httpx"):
        assert forbidden not in source, f"registry.py contains {forbidden!r}"
    assert not re.findall(r"\bos\.(?!PathLike|fspath)\w+", source)
