"""MkDocs hook: the reference pages are generated from the code at every build, never stored.

A page asks for generated text with a marker line, replaced before the page is rendered:

    <!-- generated: api -->         one mkdocstrings entry per name in the public `__all__`s
    <!-- generated: cli -->         every `modelreg` command's `--help`, from the click group
    <!-- generated: rest server -->  the routes of `modelreg server`'s OpenAPI document
    <!-- generated: rest serve -->   the routes of `modelreg serve`'s
    <!-- generated: include PATH[#ANCHOR] --> a file of the repository, or one section of it

An unknown marker fails the build. The OpenAPI documents are also written beside the pages
(`reference/openapi-server.json`, `reference/openapi-serve.json`) for other tools to read.
"""

from __future__ import annotations

import json
import os
import re
import tempfile
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import click

ROOT = Path(__file__).resolve().parents[2]
MARKER = re.compile(r"^<!-- generated: (\S+)(?: (\S+))? -->$", re.MULTILINE)
#: the packages whose `__all__` is the public API, in the order the reference shows them
PUBLIC_PACKAGES = (
    "modelreg",
    "modelreg.training",
    "modelreg.serving",
    "modelreg.signature",
    "modelreg.flavors",
    "modelreg.importers",
)
HTTP_METHODS = ("get", "put", "post", "patch", "delete")


class DocsError(Exception):
    """A marker the hook cannot fill: the build stops and says which page and why."""


def on_page_markdown(markdown: str, page: Any, config: Any, files: Any) -> str:
    """Replace each marker of a page with the text generated for it."""

    def generated(found: re.Match[str]) -> str:
        kind, argument = found.group(1), found.group(2)
        if kind not in GENERATORS:
            raise DocsError(f"{page.file.src_uri}: unknown marker {found.group(0)}")
        if kind == "include":
            return include(argument, page.file.src_uri)
        return GENERATORS[kind](argument)

    return MARKER.sub(generated, markdown)


def on_files(files: Any, config: Any) -> Any:
    """The OpenAPI documents themselves, as files of the site next to the REST reference."""
    from mkdocs.structure.files import File

    for name in ("server", "serve"):
        text = json.dumps(openapi(name), indent=2, sort_keys=True) + "\n"
        files.append(File.generated(config, f"reference/openapi-{name}.json", content=text))
    return files


# --- the Python API -------------------------------------------------------------------------


#: public classes whose methods partly live in mixins (`edits.py`, `promotions.py`, ...)
_MADE_OF_MIXINS = {"ModelRegistry"}


def api_reference(argument: str | None) -> str:
    """One mkdocstrings entry per public name, a section per package; only `__all__` counts."""
    import importlib

    sections = []
    for package in PUBLIC_PACKAGES:
        module = importlib.import_module(package)
        names = [n for n in module.__all__ if not n.startswith("__")]
        doc = (module.__doc__ or "").strip().splitlines()[0]
        entries = "\n\n".join(
            f"::: {package}.{name}\n    options:\n      heading_level: 3"
            + ("\n      inherited_members: true" if name in _MADE_OF_MIXINS else "")
            for name in names
        )
        sections.append(f"## `{package}`\n\n{doc}\n\n{entries}")
    return "\n\n".join(sections)


# --- the CLI --------------------------------------------------------------------------------


def cli_reference(argument: str | None) -> str:
    """A table of every command, then each one's `--help` exactly as the terminal shows it."""
    from modelreg.cli import cli

    commands = list(_walk(cli, ["modelreg"]))
    rows = [
        f"| [`{' '.join(path)}`](#{_anchor(path)}) | {command.get_short_help_str(limit=90)} |"
        for path, command in commands
    ]
    table = "| command | what it does |\n|---|---|\n" + "\n".join(rows)
    sections = []
    for path, command in commands:
        with click.Context(command, info_name=" ".join(path), terminal_width=100) as ctx:
            text = command.get_help(ctx)
        sections.append(f"## {' '.join(path)} {{#{_anchor(path)}}}\n\n```text\n{text}\n```")
    return table + "\n\n" + "\n\n".join(sections)


def _walk(command: click.Command, path: list[str]) -> Iterator[tuple[list[str], click.Command]]:
    yield path, command
    if isinstance(command, click.Group):
        ctx = click.Context(command, info_name=path[-1])
        for name in command.list_commands(ctx):
            sub = command.get_command(ctx, name)
            if sub is not None and not sub.hidden:
                yield from _walk(sub, [*path, name])


def _anchor(path: list[str]) -> str:
    return "-".join(path)


# --- the REST APIs --------------------------------------------------------------------------


@contextmanager
def _app(name: str) -> Iterator[Any]:
    """The FastAPI app of `modelreg server` or `modelreg serve`, on an empty registry."""
    from modelreg import ModelRegistry

    with tempfile.TemporaryDirectory() as folder:
        registry = ModelRegistry(Path(folder) / "models")
        if name == "server":
            from modelreg.serving.server import create_app

            yield create_app(registry)
        elif name == "serve":
            from modelreg.serving.follower import ChannelFollower
            from modelreg.serving.prediction_app import create_prediction_app

            yield create_prediction_app(ChannelFollower(registry), follow=False)
        else:
            raise DocsError(f"no REST API named {name!r}: 'server' or 'serve'")


def openapi(name: str) -> dict[str, Any]:
    with _app(name) as app:
        document: dict[str, Any] = app.openapi()
        return document


def rest_reference(argument: str | None) -> str:
    """Every route of the OpenAPI document: parameters, body, answers."""
    document = openapi(argument or "")
    parts = [
        f"[The OpenAPI document](openapi-{argument}.json) "
        f"(OpenAPI {document['openapi']}, {document['info']['title']} "
        f"{document['info']['version']}).\n"
    ]
    for route, item in document["paths"].items():
        for method in HTTP_METHODS:
            if method in item:
                parts.append(_operation(method, route, item[method], document))
    return "\n\n".join(parts)


def _operation(method: str, route: str, op: dict[str, Any], document: dict[str, Any]) -> str:
    lines = [f"### `{method.upper()} {route}`", ""]
    summary = op.get("description") or op.get("summary") or ""
    if summary:
        lines += [_one_paragraph(summary), ""]
    parameters = op.get("parameters", [])
    if parameters:
        lines += ["| parameter | in | type | required | description |", "|---|---|---|---|---|"]
        for p in parameters:
            schema = _resolve(p.get("schema", {}), document)
            description = p.get("description") or schema.get("description", "")
            lines.append(
                f"| `{p['name']}` | {p['in']} | {_type(schema, document)} "
                f"| {'yes' if p.get('required') else 'no'} | {_cell(description)} |"
            )
        lines.append("")
    body = op.get("requestBody")
    if body:
        kinds = ", ".join(f"`{k}`" for k in body.get("content", {}))
        lines += [f"Body: {kinds or 'any'}{'' if body.get('required') else ' (optional)'}.", ""]
    lines += ["| answer | meaning |", "|---|---|"]
    for status, answer in op.get("responses", {}).items():
        lines.append(f"| {status} | {_cell(answer.get('description', ''))} |")
    return "\n".join(lines)


def _resolve(schema: dict[str, Any], document: dict[str, Any]) -> dict[str, Any]:
    ref = schema.get("$ref")
    if not ref:
        return schema
    target: Any = document
    for part in ref.removeprefix("#/").split("/"):
        target = target[part]
    return dict(target)


def _type(schema: dict[str, Any], document: dict[str, Any]) -> str:
    if "anyOf" in schema:
        kinds = [_type(_resolve(s, document), document) for s in schema["anyOf"]]
        return " or ".join(k for k in kinds if k != "null") or "any"
    if schema.get("type") == "array":
        return f"list of {_type(_resolve(schema.get('items', {}), document), document)}"
    return str(schema.get("type") or schema.get("title") or "any")


def _one_paragraph(text: str) -> str:
    return " ".join(text.split())


def _cell(text: str) -> str:
    return _one_paragraph(text).replace("|", "\\|")


# --- files of the repository ----------------------------------------------------------------


def include(argument: str | None, page_uri: str = "index.md") -> str:
    """A file of the repository, or one section of it (`README.md#in-python`), as it is:
    one copy of the benchmark results and of the README's walkthroughs, never two. Its
    relative links are rewritten to point from the page (`page_uri`, in docs/) to the same file.
    """
    name, _, section = (argument or "").partition("#")
    path = (ROOT / name).resolve()
    if not name or ROOT not in path.parents or not path.is_file():
        raise DocsError(f"cannot include {argument!r}: not a file of the repository")
    text = path.read_text(encoding="utf-8")
    text = _section(text, section, argument) if section else text
    page_dir = (ROOT / "docs" / page_uri).parent

    def relinked(found: re.Match[str]) -> str:
        target, _, anchor = found.group(1).partition("#")
        moved = os.path.relpath(path.parent / target, page_dir)
        return f"]({Path(moved).as_posix()}{'#' + anchor if anchor else ''})"

    return re.sub(r"\]\((?!https?:|#|mailto:)([^)#\s]+(?:#[^)\s]*)?)\)", relinked, text)


def _section(text: str, slug: str, argument: str | None) -> str:
    """The body under the heading whose anchor is `slug`, up to the next heading as high."""
    lines, level, kept = text.splitlines(), 0, []
    fence = False
    for line in lines:
        fence = fence != line.startswith("```")
        heading = re.match(r"^(#+) (.*)$", line) if not fence else None
        if heading and level and len(heading.group(1)) <= level:
            break
        if level:
            kept.append(line)
        elif heading and _slug(heading.group(2)) == slug:
            level = len(heading.group(1))
    if not level:
        raise DocsError(f"cannot include {argument!r}: no heading with that anchor")
    return "\n".join(kept).strip() + "\n"


def _slug(heading: str) -> str:
    return re.sub(r"[^\w\- ]", "", heading).strip().lower().replace(" ", "-")


GENERATORS: dict[str, Callable[[str | None], str]] = {
    "api": api_reference,
    "cli": cli_reference,
    "rest": rest_reference,
    "include": include,
}
