"""The public surface is exactly `modelreg.__all__`; errors keep their context across pickling.

`__all__` is compared with the names the package really binds (httpx's
tests/test_exported_members.py), so adding a public name without exporting it, or exporting a
name that is gone, fails here.
"""

from __future__ import annotations

import pickle
import types

import pytest

import modelreg
from modelreg import errors

ERRORS = errors._all_subclasses(errors.ModelRegistryError)


def test_all_is_exactly_the_public_names() -> None:
    public = sorted(
        name
        for name, value in vars(modelreg).items()
        if (not name.startswith("_") or name == "__version__")
        and not isinstance(value, types.ModuleType)
        and name != "annotations"  # `from __future__ import annotations`
    )
    assert modelreg.__all__ == public


def test_every_exported_name_resolves() -> None:
    for name in modelreg.__all__:
        assert getattr(modelreg, name) is not None
    assert isinstance(modelreg.__version__, str)


def test_the_errors_callers_catch_are_exported() -> None:
    exported = {name for name in modelreg.__all__ if name.endswith("Error")}
    core = {
        "ModelRegistryError",
        "InvalidVersionError",
        "InvalidInputError",
        "CorruptVersionError",
        "IntegrityError",
        "StorageError",
    }
    assert core <= exported
    assert "LockTimeout" in modelreg.__all__


@pytest.mark.parametrize("cls", ERRORS, ids=lambda c: c.__name__)
def test_error_pickles_with_its_context(cls: type[errors.ModelRegistryError]) -> None:
    error = cls("what happened, where, what to do", version="20260101_000000", path="/x", n=3)
    back = pickle.loads(pickle.dumps(error))
    assert type(back) is cls
    assert str(back) == "what happened, where, what to do"
    assert (back.version, back.path, back.n) == ("20260101_000000", "/x", 3)
    assert back.context == error.context


@pytest.mark.parametrize("cls", ERRORS, ids=lambda c: c.__name__)
def test_error_has_an_outcome(cls: type[errors.ModelRegistryError]) -> None:
    assert 400 <= cls.http_status < 600
    assert isinstance(cls.exit_code, int) and cls.exit_code >= 1
    assert errors.error_class_by_code(cls.code) is cls, "wire codes are unique"
    assert cls.__name__ in (errors.__doc__ or ""), "the tree in the docstring names every class"


@pytest.mark.parametrize(
    ("cls", "mixin"),
    [
        (errors.InvalidVersionError, ValueError),
        (errors.InvalidInputError, ValueError),
        (errors.VersionNotFoundError, LookupError),
        (errors.StorageError, OSError),
        (errors.LockTimeout, TimeoutError),
        (errors.LockTimeout, errors.StorageError),
        (errors.IntegrityError, errors.CorruptVersionError),
        (errors.ReservedKeyError, errors.InvalidInputError),
        (errors.MissingDependencyError, ImportError),
    ],
)
def test_stdlib_mixins(cls: type[Exception], mixin: type[Exception]) -> None:
    assert issubclass(cls, mixin)
    assert issubclass(cls, errors.ModelRegistryError)


def test_client_errors_are_4xx_and_server_errors_5xx() -> None:
    assert errors.InvalidVersionError.http_status == 422
    assert errors.VersionNotFoundError.http_status == 404
    assert errors.PromotionConflict.http_status == 409
    assert errors.StorageError.http_status >= 500
    assert errors.InvalidInputError.exit_code == 2, "usage errors exit 2, like click"
