"""`modelreg server`: serve a registry over HTTP, with its web UI, until interrupted.

SIGTERM or Ctrl+C stops it within `STOP_WITHIN` seconds: requests in flight get a grace
period, then whatever still runs is cut off as a crash would cut it (the registry's writes are
crash-safe, and `modelreg verify --repair` records or removes what such a cut leaves).
"""

from __future__ import annotations

import asyncio
import os
import sys
import threading
from pathlib import Path
from typing import TYPE_CHECKING, Any

import click

from ._common import note, open_registry, overriding
from ._params import listen_options, ranged

if TYPE_CHECKING:
    from ..hooks.dispatcher import Dispatcher

#: seconds from SIGTERM to exit; requests in flight get all but the last one
STOP_WITHIN = 5.0


@click.command(short_help="Serve the registry over HTTP, with a web UI.")
@overriding(
    "registry",
    "--registry",
    "-r",
    metavar="PATH_OR_URL",
    help="Registry to serve (overrides the global --registry).",
)
@listen_options(8080, port_help="Port to listen on.")
@click.option(
    "--tokens-file",
    type=click.Path(dir_okay=False, exists=True, path_type=Path),
    help="Bearer tokens, one SECRET:read|write|admin[:NAME] a line (else $MODELREG_TOKENS).",
)
@click.option(
    "--anonymous-read", is_flag=True, help="Let callers without a token read (never write)."
)
@click.option(
    "--max-upload-size",
    default="4G",
    show_default=True,
    metavar="SIZE",
    help="Largest upload (register, import) stored, e.g. 500M, 4G; larger ones get 413.",
)
@click.option(
    "--hooks-file",
    type=click.Path(dir_okay=False, exists=True, path_type=Path),
    help="Webhooks to deliver (YAML: docs/webhooks.md); their cursors live beside it.",
)
@ranged(
    "--max-event-streams",
    default=32,
    low=1,
    high=10_000,
    help="How many /api/events/stream may be open at once (503 beyond).",
)
@click.option(
    "--access-log/--no-access-log",
    default=True,
    show_default=True,
    help="One line a request on stderr, in the Combined Log Format (tokens never logged).",
)
@click.pass_context
def server(
    ctx: click.Context,
    host: str,
    port: int,
    tokens_file: Path | None,
    anonymous_read: bool,
    max_upload_size: str,
    hooks_file: Path | None,
    max_event_streams: int,
    access_log: bool,
) -> None:
    """Serve the registry's REST API (/api, OpenAPI at /openapi.json) and its web UI (/).

    Writes need a write token; reads a read token, unless --anonymous-read. Clients use
    `ModelRegistry("http://HOST:PORT", token=...)` or `modelreg --registry http://HOST:PORT`.
    Uploads past the --max-upload-size limit are refused (413) before anything is
    stored. SIGTERM stops the server within 5 seconds.

    \b
    Example:
      export MODELREG_TOKENS="$(openssl rand -hex 16):write:alice"
      modelreg server --registry models/ --port 8080 --anonymous-read
      modelreg server --registry models/ --hooks-file hooks.yaml
    """
    import uvicorn

    from ..hooks.config import load_hooks
    from ..hooks.dispatcher import Dispatcher
    from ..serving.auth import load_tokens
    from ..serving.server import create_app
    from ..serving.uploads import parse_size

    limit = parse_size(max_upload_size)

    tokens = load_tokens(tokens_file, anonymous_read=anonymous_read)
    if not tokens and not anonymous_read:
        raise click.UsageError(
            "no tokens: give --tokens-file or $MODELREG_TOKENS (SECRET:write:NAME), or "
            "--anonymous-read for a read-only server"
        )
    registry = open_registry(ctx, must_exist=False)
    note(
        f"Serving {registry.location} on http://{host}:{port}/ ({len(tokens)} token(s)"
        f"{', anonymous reads' if anonymous_read else ''}); Ctrl+C stops"
    )
    if access_log:
        _log_access_to_stderr()
    hooks = Dispatcher(load_hooks(hooks_file), registry) if hooks_file is not None else None
    if hooks is not None and not hooks.start():
        note("webhooks: another process delivers for this hooks file; this one only serves")
    app = create_app(
        registry,
        tokens=tokens,
        max_upload_size=limit,
        hooks=hooks,
        max_event_streams=max_event_streams,
    )
    config = uvicorn.Config(
        app,
        host=host,
        port=port,
        log_level="warning",
        timeout_graceful_shutdown=int(STOP_WITHIN) - 2,
    )
    try:
        _serve(config, hooks)
    finally:
        if hooks is not None:
            hooks.stop(timeout=STOP_WITHIN - 1)


def _log_access_to_stderr() -> None:
    import logging

    from ..serving.access_log import ACCESS_LOGGER

    logger = logging.getLogger(ACCESS_LOGGER)
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(logging.Formatter("%(message)s"))
    logger.addHandler(handler)
    logger.setLevel(logging.INFO)
    logger.propagate = False


def _serve(config: Any, hooks: Dispatcher | None = None) -> None:
    """uvicorn's server, made to exit within STOP_WITHIN seconds of the first stop signal.

    A request running in a worker thread (a lock wait, a long hash) cannot be cancelled; past
    the grace period the process exits anyway, exactly as a crash would end it. Webhook
    delivery starts no call after the signal, and the calls in flight finish and are recorded
    before the server's shutdown ends (uvicorn then re-raises the signal).
    """
    import uvicorn

    armed = threading.Event()

    class Server(uvicorn.Server):
        def handle_exit(self, sig: int, frame: Any) -> None:
            if not armed.is_set():
                armed.set()
                if hooks is not None:
                    hooks.request_stop()
                timer = threading.Timer(STOP_WITHIN - 0.5, _cut_off)
                timer.daemon = True
                timer.start()
            super().handle_exit(sig, frame)

        async def shutdown(self, sockets: Any = None) -> None:
            await super().shutdown(sockets)
            if hooks is not None:
                await asyncio.to_thread(hooks.stop, STOP_WITHIN - 1)

    Server(config).run()


def _cut_off() -> None:
    note("stopping now: requests still running are cut off (`modelreg verify --repair` mends)")
    sys.stderr.flush()
    os._exit(0)
