"""Serving side of modelreg: the registry over HTTP, and predictions that follow a channel.

- `server.py` builds the `modelreg server` app; its routes live in `api/*.py` routers. A
  route authenticates, parses, calls one `ModelRegistry` method and renders JSON: each is the
  server half of one `operations.RemoteOperations` method, and errors become HTTP statuses in
  one place (`errors.py`'s table). The web UI is `static/`, in ES modules.
- `prediction_app.py` (`modelreg serve`) and `PredictionService` (in-process) predict with the
  version a channel points to, followed live by `follower.py`.

Only these apps (and the two commands that start them) import the web framework, and
nothing below the facade imports this package.
"""

from __future__ import annotations

from .prediction import Prediction, PredictionService

__all__ = ["Prediction", "PredictionService"]
