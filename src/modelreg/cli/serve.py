"""`modelreg serve`: predictions over HTTP from the version a channel points to, followed live."""

from __future__ import annotations

import logging
import signal
import socket
import sys
from typing import Any

import click

from ._common import note, open_registry, overriding
from ._params import listen_options, ranged


@click.command(short_help="Serve predictions over HTTP, following a channel live.")
@overriding(
    "registry",
    "--registry",
    "-r",
    metavar="PATH_OR_URL",
    help="Registry to serve from: a folder, sqlite:///..., postgresql://..., or a "
    "`modelreg server` URL (token in $MODELREG_TOKEN). Overrides the global --registry.",
)
@click.option("--channel", default="production", show_default=True, help="Channel to follow.")
@overriding(
    "model", "--model", metavar="NAME", help="Which named model (overrides the global --model)."
)
@overriding(
    "artifacts",
    "--artifacts",
    metavar="URL",
    help="Artifact store of a SQL catalog (overrides the global --artifacts).",
)
@listen_options(8000, port_help="Port; 0 picks a free one (printed).")
@ranged(
    "--poll-interval",
    default=1.0,
    low=0.01,
    help="Seconds between reads of the channel's pointer.",
)
@click.option(
    "--trust-pickle/--no-trust-pickle",
    default=None,
    help="Load pickled models (they can run code). Default: the registry's rule (a folder "
    "trusts its own; SQL and servers do not). Safe formats load either way.",
)
@ranged("--max-body-bytes", default=16 * 2**20, low=1, help="Largest request body (413 beyond).")
@ranged("--max-rows", default=100_000, low=1, help="Most rows in one request (413 beyond).")
@click.pass_context
def serve(
    ctx: click.Context,
    channel: str,
    host: str,
    port: int,
    poll_interval: float,
    trust_pickle: bool | None,
    max_body_bytes: int,
    max_rows: int,
) -> None:
    """Answer POST /predict with the model a channel points to, following it without a restart.

    When the channel moves, the new version is loaded and checked in the background and
    swapped in at once; requests in flight finish on the old model, none waits. A version
    that fails to load (integrity, untrusted pickle, a signature it cannot honour) is never
    served: the last good one keeps answering, and /ready and the log say why.

    Bodies: JSON records or columns, or CSV; OHLCV bars when the version's features come
    from the built-in recipe. Also GET /health, /ready and /metrics (Prometheus), /docs.

    \b
    Example:
      modelreg serve --registry models/ --port 8000
      curl localhost:8000/predict -H 'Content-Type: text/csv' -T rows.csv -X POST
    """
    import uvicorn

    from ..serving.follower import ChannelFollower
    from ..serving.payload import Limits
    from ..serving.prediction_app import create_prediction_app

    limits = Limits(max_bytes=max_body_bytes, max_rows=max_rows)
    registry = open_registry(ctx)
    follower = ChannelFollower(
        registry, channel=channel, poll_interval=poll_interval, trust_pickle=trust_pickle
    )
    app = create_prediction_app(follower, limits=limits)
    listener = _listen(host, port)
    bound = listener.getsockname()[1]
    _log_to_stderr()
    note(
        f"Serving {follower.channel} of {registry.location} on http://{_url_host(host)}:{bound}/ "
        "(POST /predict; GET /ready, /metrics, /docs); Ctrl+C stops"
    )
    config = uvicorn.Config(app, log_level="warning", access_log=False, lifespan="on")
    _run_until_stopped(uvicorn.Server(config), listener)
    note("Stopped.")


class _Stopped(Exception):
    """Ctrl+C or SIGTERM, after uvicorn finished the requests in flight."""


def _run_until_stopped(server: Any, listener: socket.socket) -> None:
    """Serve until SIGINT or SIGTERM; then a clean exit (0), not "Aborted!" or a kill.

    uvicorn drains the connections and then raises the signal again for whoever handled it
    before: here, that is this function, which turns it into a normal return.
    """

    def stopped(signum: int, frame: Any) -> None:
        raise _Stopped

    previous = {sig: signal.signal(sig, stopped) for sig in (signal.SIGINT, signal.SIGTERM)}
    try:
        server.run(sockets=[listener])
    except _Stopped:
        pass
    finally:
        for sig, handler in previous.items():
            signal.signal(sig, handler)


def _listen(host: str, port: int) -> socket.socket:
    """A listening socket, so that port 0 becomes a real port we can print before serving
    (connections made before uvicorn is up wait in the backlog instead of being refused).

    Made with IPPROTO_TCP spelled out: asyncio turns Nagle's algorithm off only on sockets
    that say so, and with it on, each answer waits ~40 ms for the client's delayed ACK.
    """
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    listener = socket.socket(family, socket.SOCK_STREAM, socket.IPPROTO_TCP)
    listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    try:
        listener.bind((host, port))
        listener.listen(2048)
    except OSError as exc:
        listener.close()
        raise click.ClickException(f"cannot listen on {host}:{port}: {exc.strerror}") from exc
    listener.set_inheritable(True)
    return listener


def _url_host(host: str) -> str:
    return f"[{host}]" if ":" in host else host


def _log_to_stderr() -> None:
    """Swaps and failed loads are the serving process's news: always on stderr, with the time."""
    logger = logging.getLogger("modelreg.serve")
    if not any(getattr(h, "_modelreg_serve", False) for h in logger.handlers):
        handler = logging.StreamHandler(sys.stderr)
        handler.setFormatter(
            logging.Formatter("%(asctime)s %(levelname)s %(message)s", "%Y-%m-%dT%H:%M:%S%z")
        )
        handler._modelreg_serve = True  # type: ignore[attr-defined]
        logger.addHandler(handler)
    logger.setLevel(logging.DEBUG if logger.getEffectiveLevel() <= logging.DEBUG else logging.INFO)
    logger.propagate = False
