"""`modelreg server`: serve a registry over HTTP, with its web UI, until interrupted."""

from __future__ import annotations

from pathlib import Path

import click

from ._common import note, open_registry


@click.command(short_help="Serve the registry over HTTP, with a web UI.")
@click.option(
    "--registry",
    "-r",
    "location",
    metavar="PATH_OR_URL",
    help="Registry to serve (overrides the global --registry).",
)
@click.option("--host", default="127.0.0.1", show_default=True, help="Interface to listen on.")
@click.option("--port", default=8080, show_default=True, type=click.IntRange(0, 65535))
@click.option(
    "--tokens-file",
    type=click.Path(dir_okay=False, exists=True, path_type=Path),
    help="Bearer tokens, one SECRET:read|write[:NAME] a line (else $MODELREG_TOKENS).",
)
@click.option(
    "--anonymous-read", is_flag=True, help="Let callers without a token read (never write)."
)
@click.pass_context
def server(
    ctx: click.Context,
    location: str | None,
    host: str,
    port: int,
    tokens_file: Path | None,
    anonymous_read: bool,
) -> None:
    """Serve the registry's REST API (/api, OpenAPI at /openapi.json) and its web UI (/).

    Writes need a write token; reads a read token, unless --anonymous-read. Clients use
    `ModelRegistry("http://HOST:PORT", token=...)` or `modelreg --registry http://HOST:PORT`.

    \b
    Example:
      export MODELREG_TOKENS="$(openssl rand -hex 16):write:alice"
      modelreg server --registry models/ --port 8080 --anonymous-read
    """
    import uvicorn

    from ..serving.auth import load_tokens
    from ..serving.server import create_app

    if location is not None:
        ctx.obj["registry"] = location
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
    uvicorn.run(create_app(registry, tokens=tokens), host=host, port=port, log_level="warning")
