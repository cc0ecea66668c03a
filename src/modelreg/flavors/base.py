"""The flavor interface: how one kind of model becomes files in a version folder, and back.

A flavor answers three questions: is this model mine (`detect`), write it (`save`, returning
the flavor's part of the metadata record), and read it back (`load`, from that record). Each
library-specific flavor imports its library only when asked, so `import modelreg` stays light
and a missing library is reported with the pip extra that installs it.
"""

from __future__ import annotations

import importlib
import inspect
from abc import ABC, abstractmethod
from collections.abc import Mapping
from importlib import metadata as importlib_metadata
from pathlib import Path
from types import ModuleType
from typing import Any, ClassVar

from ..errors import CorruptVersionError, MissingDependencyError, UntrustedModelError

__all__ = [
    "Flavor",
    "Unsupported",
    "class_path",
    "import_class",
    "library_version",
    "require",
    "untrusted",
    "uses_library",
]


class Unsupported(Exception):
    """Raised by `save` (before writing anything) when this particular model defeats the format.

    The registry then tries the next flavor that detects the model; pickle comes last.
    """


class Flavor(ABC):
    """One model format. Subclasses are stateless; the registry holds one instance of each."""

    name: ClassVar[str]
    #: import name of the library the format belongs to ("" for none)
    library: ClassVar[str] = ""
    #: the pip extra installing it, named in MissingDependencyError
    extra: ClassVar[str | None] = None
    #: the only faithful way to store such a model: used whatever `model_format` says
    required: ClassVar[bool] = False

    @abstractmethod
    def detect(self, model: Any) -> bool:
        """True when this flavor can store `model` faithfully. Must not import the library."""

    @abstractmethod
    def save(self, model: Any, folder: Path) -> dict[str, Any]:
        """Write `model` into `folder`; returns the record (`files` at least, `hashes` if known)."""

    @abstractmethod
    def load(self, folder: Path, record: Mapping[str, Any], *, trust_pickle: bool) -> Any:
        """Rebuild the model from `folder` as described by `record`."""

    def libraries(self) -> dict[str, str]:
        """Versions worth recording next to the files, to explain a later mismatch."""
        return {self.library: library_version(self.library)} if self.library else {}


def require(module: str, extra: str | None) -> ModuleType:
    """Import an optional library, or say which extra installs it."""
    try:
        return importlib.import_module(module)
    except ImportError as exc:
        package = module.split(".")[0]
        hint = f"pip install 'modelreg[{extra}]'" if extra else f"pip install {package}"
        raise MissingDependencyError(
            f"this model format needs {package}, which is not installed: {hint}",
            module=module,
            extra=extra,
        ) from exc


def uses_library(model: Any, library: str) -> bool:
    """Whether `model`'s class (or a base) comes from `library`, without importing it."""
    return any((cls.__module__ or "").split(".")[0] == library for cls in type(model).__mro__)


def library_version(module: str) -> str:
    imported = importlib.import_module(module)
    version = getattr(imported, "__version__", None)
    if version is None:
        try:
            version = importlib_metadata.version(module)
        except importlib_metadata.PackageNotFoundError:
            version = "unknown"
    return str(version)


def class_path(obj_or_cls: Any) -> str:
    """`module:QualName` of a class (or an object's class), as `import_class` reads it."""
    cls = obj_or_cls if inspect.isclass(obj_or_cls) else type(obj_or_cls)
    return f"{cls.__module__}:{cls.__qualname__}"


def import_class(
    path: str, base: type | tuple[type, ...], *, where: Path, library: str, trusted: bool
) -> type:
    """Import the class `path` names, refusing anything that is not a subclass of `base`.

    The path comes from metadata a registry writer controls, and importing a module runs its
    code. So before anything is imported, the path must name a module of the flavor's own
    `library` (`lightgbm.sklearn:LGBMRegressor`); any other module needs trust, as a pickle
    does. Nothing is called unless it is the kind of class the flavor expects.
    """
    module_name, _, qualname = str(path).partition(":")
    parts = [*module_name.split("."), *qualname.split(".")]
    if not module_name or not qualname or not all(p.isidentifier() for p in parts):
        raise CorruptVersionError(f"{where}: {str(path)[:200]!r} is not a 'module:Class' path")
    if module_name.split(".")[0] != library and not trusted:
        raise untrusted(
            where,
            f"its metadata names the class {path}, outside {library}, and importing that "
            "module runs its code",
            class_path=str(path),
        )
    try:
        target: Any = importlib.import_module(module_name)
        for part in qualname.split("."):
            target = getattr(target, part)
    except (ImportError, AttributeError) as exc:
        raise CorruptVersionError(
            f"{where}: the model class {path} cannot be imported ({exc}); install the package "
            "that defines it",
            path=str(where),
        ) from exc
    if not (inspect.isclass(target) and issubclass(target, base)):
        bases = base if isinstance(base, tuple) else (base,)
        expected = " or ".join(f"{b.__module__}.{b.__qualname__}" for b in bases)
        raise UntrustedModelError(
            f"{where}: {path} is not a {expected}; refusing to construct it", path=str(where)
        )
    return target


def untrusted(path: Path, what: str, **context: Any) -> UntrustedModelError:
    """The refusal every flavor gives: what would run, and how to allow it."""
    return UntrustedModelError(
        f"{path}: {what}, and loading it could run code chosen by whoever wrote this version. "
        "Pass trust_pickle=True to load_version() (or set registry.trust_pickle: true) only "
        "if you trust everyone who can write to this registry.",
        path=str(path),
        **context,
    )
