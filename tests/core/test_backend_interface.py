"""The Backend contract stays as small as its docstring says (STYLE.md: 6 to 10 primitives).

`Backend`'s docstring names its primitives (the abstract methods) and its derived methods
(each with a correct default). These tests keep the two lists and the class in step, so the
abstract set cannot grow, nor a method appear that the docstring does not explain.
"""

from __future__ import annotations

import inspect
import re

import pytest

from memory_backend import MemoryBackend, MemoryStore
from modelreg.backends.base import Backend, Debris
from modelreg.errors import InvalidInputError

#: the primitives, as in the note on issue 13 (18 before it)
PRIMITIVES = {
    "publish",
    "version_names",
    "read_metadata",
    "write_metadata",
    "open_artifact",
    "delete_version",
    "pointers",
    "set_pointer",
    "append_event",
    "read_events",
    "transaction",
}


def _section(title: str) -> set[str]:
    """The backticked names in the paragraph of Backend's docstring starting with `title`."""
    doc = inspect.getdoc(Backend) or ""
    paragraph = next(p for p in doc.split("\n\n") if p.startswith(title))
    if paragraph.endswith(":"):  # the list follows the heading
        paragraph = doc.split(paragraph, 1)[1].split("\n\n")[1]
    return set(re.findall(r"`(\w+)`", paragraph))


def _public_methods(cls: type) -> set[str]:
    return {
        name
        for name, value in vars(cls).items()
        if not name.startswith("_") and callable(value) and name != "damage"
    }


def test_the_abstract_set_is_the_documented_one() -> None:
    assert set(Backend.__abstractmethods__) == PRIMITIVES
    assert _section("Primitives") == PRIMITIVES


def test_every_other_method_is_documented_as_derived() -> None:
    derived = _section("Derived")
    assert derived & PRIMITIVES == set()
    assert _public_methods(Backend) == PRIMITIVES | derived


def test_the_in_memory_backend_needs_only_the_primitives() -> None:
    """The fourth backend writes the primitives and the location's two (several models)."""
    assert _public_methods(MemoryBackend) == PRIMITIVES | {"model_names", "for_model"}


def test_the_default_leftovers_are_none_and_removing_one_is_refused() -> None:
    """A backend that keeps the default `debris()` reports nothing, so nothing is removable."""
    backend = MemoryBackend(MemoryStore())
    assert backend.debris() == [] and backend.interrupted_writes() == []
    with pytest.raises(InvalidInputError, match="no leftovers of kind 'staging'"):
        backend.remove_debris(Debris("staging", "/tmp/x"))
