"""The settable clock of the shipped suites, for every test here (`pytest_plugins`)."""

from __future__ import annotations

from modelreg.testing.fixtures import clock
from modelreg.testing.support import Clock

__all__ = ["Clock", "clock"]
