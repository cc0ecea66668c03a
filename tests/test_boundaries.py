"""Architectural boundaries a grep can check (STYLE.md): each layer imports only its own tools."""

from __future__ import annotations

import ast
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
            # the two HTTP apps (registry server and its routers, prediction server), their commands
            (
                "serving/server.py",
                "serving/api/",
                "serving/prediction_app.py",
                "cli/server.py",
                "cli/serve.py",
            ),
        ),
    ],
)
def test_only_one_layer_uses(what: str, pattern: str, allowed: tuple[str, ...]) -> None:
    assert _offenders(pattern, allowed) == [], f"{what} used outside {allowed}"


def test_only_store_operations_call_the_backend_primitives() -> None:
    """The facade, the server and the CLI reach storage through `Operations` only."""
    from modelreg.backends.base import Backend

    primitives = "|".join(sorted(Backend.__abstractmethods__))
    pattern = rf"\bbackend\.({primitives})\("
    assert _offenders(pattern, ("backends/", "operations/", "testing/")) == []


#: the facade: `ModelRegistry` and the mixins it is made of
_FACADE = ("registry.py", "edits.py", "promotions.py", "transfer.py")


@pytest.mark.parametrize("module", _FACADE)
def test_registry_facade_has_no_storage_detail(module: str) -> None:
    source = (PACKAGE / module).read_text(encoding="utf-8")
    for forbidden in ("open(", "shutil", "sqlalchemy", "fsspec", "httpx"):
        assert forbidden not in source, f"{module} contains {forbidden!r}"
    assert not re.findall(r"\bos\.(?!PathLike|fspath)\w+", source)


def test_no_module_is_longer_than_one_sitting() -> None:
    """STYLE.md: split a module before it passes about 600 lines."""
    long = {
        path.relative_to(PACKAGE).as_posix(): lines
        for path in _modules()
        if (lines := path.read_text(encoding="utf-8").count("\n")) > 600
    }
    assert long == {}


# --- the import graph: who may import whom ---------------------------------------------------


def _module_name(path: Path) -> str:
    parts = list(path.relative_to(PACKAGE.parent).with_suffix("").parts)
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def _imports(path: Path) -> list[tuple[str, bool]]:
    """(imported module, does it run?) for every import in `path`.

    Imports under `if TYPE_CHECKING:` never run; those inside functions run when called.
    """
    name = _module_name(path)
    package = name if path.name == "__init__.py" else name.rpartition(".")[0]
    tree = ast.parse(path.read_text(encoding="utf-8"))
    found: list[tuple[str, bool]] = []

    def visit(node: ast.AST, eager: bool) -> None:
        for child in ast.iter_child_nodes(node):
            runs = eager
            if isinstance(child, ast.If) and "TYPE_CHECKING" in ast.unparse(child.test):
                runs = False
            if isinstance(child, ast.Import):
                found.extend((alias.name, runs) for alias in child.names)
            elif isinstance(child, ast.ImportFrom):
                base = package.split(".")
                if child.level:
                    base = base[: len(base) - child.level + 1]
                    target = ".".join([*base, child.module] if child.module else base)
                else:
                    target = child.module or ""
                for alias in child.names:
                    sub = f"{target}.{alias.name}"
                    found.append((sub if _is_module(sub) else target, runs))
            visit(child, runs)

    visit(tree, True)
    return [(m, runs) for m, runs in found if m == "modelreg" or m.startswith("modelreg.")]


def _is_module(dotted: str) -> bool:
    relative = Path(*dotted.split(".")[1:])
    return (PACKAGE / relative).with_suffix(".py").exists() or (PACKAGE / relative).is_dir()


def _graph() -> dict[str, list[tuple[str, bool]]]:
    return {_module_name(p): _imports(p) for p in _modules()}


_UPPER = ("modelreg.cli", "modelreg.serving", "modelreg.training", "modelreg.importers")
_CORE_EXEMPT = (*_UPPER, "modelreg.testing", "modelreg.__main__")


def _under(module: str, prefixes: tuple[str, ...]) -> bool:
    return any(module == p or module.startswith(p + ".") for p in prefixes)


def test_the_core_never_imports_from_a_higher_floor() -> None:
    """The registry, its operations and backends know nothing of the CLI, server or trainer."""
    crossings = [
        f"{module} -> {target}"
        for module, imports in _graph().items()
        if not _under(module, _CORE_EXEMPT) and module != "modelreg"
        for target, _runs in imports
        if _under(target, _UPPER)
    ]
    assert crossings == []


def test_backend_internals_are_reached_only_through_the_backends_package() -> None:
    """Outside backends/ and operations/, only `modelreg.backends` and its `base` are public."""
    allowed = ("modelreg.backends", "modelreg.backends.base")
    crossings = [
        f"{module} -> {target}"
        for module, imports in _graph().items()
        if not _under(module, ("modelreg.backends", "modelreg.operations"))
        for target, _runs in imports
        if _under(target, ("modelreg.backends",)) and target not in allowed
    ]
    assert crossings == []


def test_the_filesystem_helper_stays_below_the_facade() -> None:
    """`_fsutil` is for the storage and artifact layers; the facade, operations, the CLI and
    the trainer's demo use theirs (or the standard library for their own scratch folders)."""
    users = {
        module
        for module, imports in _graph().items()
        for target, _runs in imports
        if target == "modelreg._fsutil"
    }
    assert not users & {"modelreg.registry", "modelreg.migration"}
    above = ("modelreg.operations", "modelreg.cli", "modelreg.training")
    assert not any(_under(m, above) for m in users)


def test_no_import_cycles() -> None:
    """No module imports a module that imports it back, directly or not, even lazily."""
    graph = {
        module: {t for t, runs in imports if runs and t != module and t in _names()}
        for module, imports in _graph().items()
    }
    cycles = []
    for start in graph:
        stack, seen = [(start, [start])], set()
        while stack:
            node, path = stack.pop()
            for nxt in graph.get(node, ()):
                if nxt == start:
                    cycles.append(" -> ".join([*path, start]))
                elif nxt not in seen:
                    seen.add(nxt)
                    stack.append((nxt, [*path, nxt]))
    assert sorted(set(cycles))[:5] == []


def _names() -> set[str]:
    return {_module_name(p) for p in _modules()}


# --- lower-layer errors: translated in one module -------------------------------------------

_DOORS = (
    "_locking.py",
    "archive.py",
    "backends/artifact_store.py",
    "backends/local.py",
    "backends/sql.py",
    "backends/sql_engine.py",
    "importers/mlflow_source.py",
    "operations/remote.py",
    "serving/uploads.py",
)


_BROAD = re.compile(
    r"\b((sa|sqlalchemy)\.exc\.(SQLAlchemyError|DBAPIError|OperationalError)|httpx\.\w+|botocore\.\w+)"
)


def test_lower_errors_are_translated_only_by_lower_errors() -> None:
    """No ad-hoc translator: no handler elsewhere raises a StorageError or LockTimeout, nor
    raises anything from a broad SQLAlchemy, httpx or botocore class. A handler may still
    swallow one (a lookup that falls back), or catch a specific class where it means
    something else (a UNIQUE violation is VersionExistsError)."""
    offenders = []
    for path in _modules():
        relative = path.relative_to(PACKAGE).as_posix()
        if relative == "lower_errors.py":
            continue
        for handler in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if not isinstance(handler, ast.ExceptHandler):
                continue
            broad = handler.type is not None and _BROAD.search(ast.unparse(handler.type))
            for node in ast.walk(handler):
                if not isinstance(node, ast.Raise) or node.exc is None:
                    continue
                raised = node.exc.func if isinstance(node.exc, ast.Call) else node.exc
                if broad or (
                    isinstance(raised, ast.Name) and raised.id in ("StorageError", "LockTimeout")
                ):
                    offenders.append(f"{relative}:{node.lineno}: translates {ast.unparse(raised)}")
    assert offenders == []


@pytest.mark.parametrize("door", _DOORS)
def test_every_door_uses_the_one_translator(door: str) -> None:
    source = (PACKAGE / door).read_text(encoding="utf-8")
    assert "from .lower_errors import translated" in source or (
        "from ..lower_errors import translated" in source
    )


# --- the environment: read in the configuration module only ---------------------------------


def _environment_reads(tree: ast.AST) -> list[tuple[int, str]]:
    """(line, variable) of each `os.environ[...]`, `os.environ.get(...)`, `os.getenv(...)`;
    the variable is "?" when it is not a literal (it could be any MODELREG_ one)."""
    found = []
    for node in ast.walk(tree):
        argument: ast.expr | None = None
        if isinstance(node, ast.Subscript) and ast.unparse(node.value) == "os.environ":
            argument = node.slice
        elif isinstance(node, ast.Call) and ast.unparse(node.func) in (
            "os.environ.get",
            "os.getenv",
            "os.environ.setdefault",
            "environ.get",
            "getenv",
        ):
            argument = node.args[0] if node.args else None
        else:
            continue
        literal = isinstance(argument, ast.Constant) and isinstance(argument.value, str)
        found.append((node.lineno, argument.value if literal else "?"))  # type: ignore[union-attr]
    return found


def test_modelreg_variables_are_read_only_by_the_configuration_module() -> None:
    offenders = [
        f"{path.relative_to(PACKAGE).as_posix()}:{line}: {variable}"
        for path in _modules()
        if path.relative_to(PACKAGE).as_posix() != "config.py"
        for line, variable in _environment_reads(ast.parse(path.read_text(encoding="utf-8")))
        if variable == "?" or "MODELREG" in variable
    ]
    assert offenders == []


def test_no_click_option_reads_the_environment_itself() -> None:
    """`envvar=` would be a second reader beside `config.from_environment`, with its own order."""
    offenders = [
        f"{path.relative_to(PACKAGE).as_posix()}:{node.lineno}"
        for path in _modules()
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8")))
        if isinstance(node, ast.Call)
        and any(keyword.arg in ("envvar", "auto_envvar_prefix") for keyword in node.keywords)
    ]
    assert offenders == []
