"""Webhooks, as the server's operator configures them: a YAML file read at start-up.

Hooks live in a server-side file, never behind a REST route: only who runs the server decides
which URLs it calls and with which secrets, and no token (not even an admin's) can add one.

```yaml
registry: models-prod              # the "registry" of every payload (default: modelreg)
state_dir: hooks-state/            # durable delivery cursors; relative to this file
allow_networks: [10.20.0.0/16]     # private addresses a hook may reach (default: none)
timeout: 10                        # seconds a delivery may take, in all
retry: {initial: 1, max: 300}      # backoff: 1 s, doubling, never more than 300 s apart
hooks:
  - name: deploy
    url: https://ci.example.com/hooks/modelreg
    secret_file: deploy.secret     # or `secret: ...` (at least 16 characters)
    events: [promote, rollback]    # kinds, or ["*"] for every kind (the default)
    channels: [production]         # optional: only events on these channels
    models: ["*"]                  # which models of the location (default: the served one)
    start: end                     # a new hook's first event: end (from now) or beginning
```
"""

from __future__ import annotations

import ipaddress
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import yaml

from ..errors import InvalidInputError
from ..versions import is_lower_word, validate_model_name
from .feed import WILDCARD, EventFilter

__all__ = ["HookSpec", "HooksConfig", "load_hooks", "parse_hooks"]

Network = ipaddress.IPv4Network | ipaddress.IPv6Network
_MIN_SECRET = 16
_MAX_HOOKS = 64


@dataclass(frozen=True)
class HookSpec:
    """One webhook: where it posts, what it posts, and the secret it signs with."""

    name: str
    url: str
    secret: str = field(repr=False)
    wanted: EventFilter = field(default_factory=EventFilter)
    models: tuple[str, ...] = ()  # empty: the served model; ("*",): every model
    start: str = "end"

    @property
    def shown_url(self) -> str:
        """The URL without its query string and credentials (which may carry a secret)."""
        parts = urlsplit(self.url)
        host = parts.hostname or ""
        port = f":{parts.port}" if parts.port else ""
        return f"{parts.scheme}://{host}{port}{parts.path}"


@dataclass(frozen=True)
class HooksConfig:
    """Every hook of a server, and how they are delivered."""

    hooks: tuple[HookSpec, ...]
    state_dir: Path
    registry: str = "modelreg"
    allow_networks: tuple[Network, ...] = ()
    timeout: float = 10.0
    retry_initial: float = 1.0
    retry_max: float = 300.0
    poll: float = 0.5


def load_hooks(path: str | Path) -> HooksConfig:
    """The hooks file at `path`; relative paths in it are relative to its folder."""
    source = Path(path)
    try:
        data = yaml.safe_load(source.read_text(encoding="utf-8"))
    except OSError as exc:
        raise InvalidInputError(f"cannot read hooks file {source}: {exc.strerror}") from exc
    except yaml.YAMLError as exc:
        raise InvalidInputError(f"hooks file {source} is not valid YAML: {exc}") from exc
    return parse_hooks(data, base=source.parent, where=str(source))


def parse_hooks(data: Any, *, base: Path, where: str = "hooks") -> HooksConfig:
    """Check a hooks document whole: any mistake is an error naming it, before anything runs."""
    if not isinstance(data, Mapping):
        raise InvalidInputError(f"{where}: expected a mapping with a `hooks` list")
    unknown = set(data) - {
        "registry",
        "state_dir",
        "allow_networks",
        "timeout",
        "retry",
        "poll",
        "hooks",
    }
    if unknown:
        raise InvalidInputError(f"{where}: unknown settings {sorted(map(str, unknown))}")
    entries = data.get("hooks") or []
    if not isinstance(entries, list) or len(entries) > _MAX_HOOKS:
        raise InvalidInputError(f"{where}: `hooks` is a list of at most {_MAX_HOOKS} hooks")
    hooks = tuple(_hook(entry, base, f"{where} hook {n}") for n, entry in enumerate(entries, 1))
    names = [h.name for h in hooks]
    if len(set(names)) != len(names):
        raise InvalidInputError(f"{where}: two hooks share a name: {names}")
    retry = data.get("retry") or {}
    if not isinstance(retry, Mapping):
        raise InvalidInputError(f"{where}: `retry` is {{initial: SECONDS, max: SECONDS}}")
    state = Path(str(data.get("state_dir") or "hooks-state"))
    config = HooksConfig(
        hooks=hooks,
        state_dir=state if state.is_absolute() else base / state,
        registry=_label(data.get("registry", "modelreg"), where),
        allow_networks=tuple(_network(n, where) for n in data.get("allow_networks") or ()),
        timeout=_seconds(data.get("timeout", 10.0), "timeout", where, high=300),
        retry_initial=_seconds(retry.get("initial", 1.0), "retry.initial", where, high=3600),
        retry_max=_seconds(retry.get("max", 300.0), "retry.max", where, high=86400),
        poll=_seconds(data.get("poll", 0.5), "poll", where, high=60),
    )
    if config.retry_max < config.retry_initial:
        raise InvalidInputError(f"{where}: retry.max is less than retry.initial")
    return config


def _hook(entry: Any, base: Path, where: str) -> HookSpec:
    if not isinstance(entry, Mapping):
        raise InvalidInputError(f"{where}: expected a mapping with name, url and secret")
    allowed = {"name", "url", "secret", "secret_file", "events", "channels", "models", "start"}
    if set(entry) - allowed:
        raise InvalidInputError(f"{where}: unknown settings {sorted(set(entry) - allowed)}")
    name = entry.get("name")
    if not is_lower_word(name):
        raise InvalidInputError(f"{where}: a name is lower-case letters, digits, - and _")
    start = entry.get("start", "end")
    if start not in ("end", "beginning"):
        raise InvalidInputError(f"{where}: start is `end` or `beginning`")
    return HookSpec(
        name=name,
        url=_url(entry.get("url"), where),
        secret=_secret(entry, base, where),
        wanted=EventFilter.of(_strings(entry, "events", where), _strings(entry, "channels", where)),
        models=tuple(
            m if m == WILDCARD else validate_model_name(m) for m in _strings(entry, "models", where)
        ),
        start=start,
    )


def _url(value: Any, where: str) -> str:
    """An http(s) URL with a host and no credentials in it (they would be sent in clear)."""
    if not isinstance(value, str) or len(value) > 2048:
        raise InvalidInputError(f"{where}: url is an http:// or https:// URL")
    try:
        parts = urlsplit(value)
        _ = parts.port
    except ValueError as exc:
        raise InvalidInputError(f"{where}: url {value[:80]!r} does not parse: {exc}") from exc
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise InvalidInputError(f"{where}: url is an http:// or https:// URL with a host")
    if parts.username is not None or parts.password is not None:
        raise InvalidInputError(f"{where}: no credentials in the url; the hook signs instead")
    if any(ord(c) < 33 for c in value):
        raise InvalidInputError(f"{where}: url has spaces or control characters")
    return value


def _secret(entry: Mapping[str, Any], base: Path, where: str) -> str:
    if ("secret" in entry) == ("secret_file" in entry):
        raise InvalidInputError(f"{where}: give one of `secret` and `secret_file`")
    value = entry.get("secret")
    if "secret_file" in entry:
        path = Path(str(entry["secret_file"]))
        path = path if path.is_absolute() else base / path
        try:
            value = path.read_text(encoding="utf-8").strip()
        except OSError as exc:
            raise InvalidInputError(
                f"{where}: cannot read its secret_file: {exc.strerror}"
            ) from exc
    if not isinstance(value, str) or len(value) < _MIN_SECRET:
        raise InvalidInputError(f"{where}: a secret has at least {_MIN_SECRET} characters")
    return value


def _strings(entry: Mapping[str, Any], key: str, where: str) -> list[str]:
    value = entry.get(key) or []
    if isinstance(value, str):
        value = [value]
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        raise InvalidInputError(f"{where}: {key} is a list of names")
    return value


def _network(value: Any, where: str) -> Network:
    try:
        return ipaddress.ip_network(str(value), strict=False)
    except ValueError as exc:
        raise InvalidInputError(f"{where}: allow_networks entry {value!r}: {exc}") from exc


def _seconds(value: Any, what: str, where: str, *, high: float) -> float:
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not 0 < value <= high:
        raise InvalidInputError(f"{where}: {what} is a number of seconds in (0, {high:g}]")
    return float(value)


def _label(value: Any, where: str) -> str:
    if not isinstance(value, str) or not 0 < len(value) <= 128 or not value.isprintable():
        raise InvalidInputError(f"{where}: registry is a printable label of 1 to 128 characters")
    return value
