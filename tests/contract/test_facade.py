"""The shipped facade-level suite (`modelreg.testing.facade`) on every backend in FACTORIES."""

from __future__ import annotations

from modelreg.testing.facade import *  # noqa: F403
