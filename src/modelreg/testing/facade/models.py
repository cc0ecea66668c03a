"""Several named models at one location: isolated versions, pointers and logs; listable."""

from __future__ import annotations

import pytest

from ... import InvalidVersionError
from ..support import Clock, Open, make_result


def test_models_are_isolated_and_listed(backend_factory: Open, clock: Clock) -> None:
    first = backend_factory(model="btc_direction")
    second = backend_factory(model="eth_direction")
    a = first.register(make_result(1))
    first.promote(a)
    assert second.list_versions() == []
    assert second.channels() == {}
    b = second.register(make_result(2))
    assert a == b  # same clock, separate namespaces
    assert first.history()[0].version == a
    assert second.history() == []
    assert {"btc_direction", "eth_direction"} <= set(first.models())
    assert first.model == "btc_direction"


@pytest.mark.parametrize("model", ["../x", "a/b", "", ".hidden", "x" * 200])
def test_bad_model_names_are_refused(backend_factory: Open, model: str) -> None:
    with pytest.raises(InvalidVersionError):
        backend_factory(model=model)
