"""The contract suites a registry backend must pass, shipped so a new backend can run them.

As fsspec ships its abstract tests, modelreg ships two suites:

- `BackendContract` (`modelreg.testing.primitives`): every rule of `Backend`'s docstrings,
  checked on the primitives alone. Subclass it and provide a `backend` fixture that returns a
  fresh, empty backend (and `reopen(backend)`, another backend on the same storage)::

      from modelreg.testing import BackendContract

      class TestMyBackend(BackendContract):
          @pytest.fixture
          def backend(self, tmp_path):
              return MyBackend(tmp_path / "store")

- the facade suite (`modelreg.testing.facade`): the public `ModelRegistry` API on top of a
  backend. Provide a `backend_factory` fixture (`backend_factory(**options)` opens a
  `ModelRegistry` on the same storage each call), load the fixtures with
  `pytest_plugins = ["modelreg.testing.fixtures"]`, and import the test functions into a
  test module: `from modelreg.testing.facade import *`.

Both need pytest, which the package itself does not.
"""

from __future__ import annotations

from .primitives import BackendContract
from .support import Clock, make_result

__all__ = ["BackendContract", "Clock", "make_result"]
