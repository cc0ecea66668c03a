"""Bearer tokens for `modelreg server`: where they come from, and what each may do.

Kept free of the web framework so it is tested (and reused by the CLI) on its own. A token has
a scope, `read`, `write` or `admin` (each implies the ones before it), and a name that the audit
log shows as "who". `admin` adds what rewrites the record itself: merging another registry's
history in, and importing without an import event (`migrate` to a server).
Secrets are compared in constant time with every known token, and never logged or repr'd.
"""

from __future__ import annotations

import hmac
import os
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path

from ..config import ENVIRONMENT, from_environment
from ..errors import AuthError, ForbiddenError, InvalidInputError

__all__ = ["ENV_TOKENS", "SCOPES", "Principal", "TokenSet", "load_tokens"]

ENV_TOKENS = ENVIRONMENT["tokens"]
SCOPES = ("read", "write", "admin")  # in order: each implies the ones before it
_ANONYMOUS = "anonymous"


@dataclass(frozen=True)
class Principal:
    """Who is calling, and with which scope (an anonymous reader has `read`)."""

    name: str
    scope: str

    def can(self, scope: str) -> bool:
        return SCOPES.index(self.scope) >= SCOPES.index(scope)


@dataclass(frozen=True)
class _Token:
    secret: str = field(repr=False)
    scope: str
    name: str


class TokenSet:
    """The tokens a server accepts.

    The text form (a `--tokens-file` or `$MODELREG_TOKENS`) is one token per line or per
    comma: `SECRET:SCOPE[:NAME]`, e.g. `s3cr3t:write:ci-pipeline`; `#` starts a comment.
    """

    def __init__(self, tokens: Iterable[_Token] = (), *, anonymous_read: bool = False) -> None:
        self._tokens = tuple(tokens)
        self.anonymous_read = anonymous_read

    def __repr__(self) -> str:  # never the secrets
        return f"TokenSet({len(self._tokens)} token(s), anonymous_read={self.anonymous_read})"

    def __len__(self) -> int:
        return len(self._tokens)

    @classmethod
    def parse(cls, text: str, *, anonymous_read: bool = False, where: str = "tokens") -> TokenSet:
        tokens = []
        for number, raw in enumerate(text.replace(",", "\n").splitlines(), start=1):
            line = raw.split("#", 1)[0].strip()
            if line:
                tokens.append(_parse_entry(line, f"{where} entry {number}"))
        return cls(tokens, anonymous_read=anonymous_read)

    @classmethod
    def of(cls, tokens: Mapping[str, str], *, anonymous_read: bool = False) -> TokenSet:
        """From `{secret: scope}` (tests, embedding); each is named after its scope."""
        return cls(
            (_parse_entry(f"{secret}:{scope}", "token") for secret, scope in tokens.items()),
            anonymous_read=anonymous_read,
        )

    def authenticate(self, authorization: str | None) -> Principal:
        """The caller of an `Authorization` header value; AuthError when it is unknown."""
        if not authorization:
            if self.anonymous_read:
                return Principal(_ANONYMOUS, "read")
            raise AuthError("this registry server needs a token: send 'Authorization: Bearer ...'")
        kind, _, secret = authorization.partition(" ")
        if kind.lower() != "bearer" or not secret.strip():
            raise AuthError("send the token as 'Authorization: Bearer <token>'")
        found = self._match(secret.strip())
        if found is None:
            raise AuthError("unknown token")
        return Principal(found.name, found.scope)

    def _match(self, secret: str) -> _Token | None:
        """Compare with every token, in constant time each, so timing tells nothing."""
        given = secret.encode()
        found = None
        for token in self._tokens:
            if hmac.compare_digest(given, token.secret.encode()):
                found = token
        return found

    def allowing_anonymous(self, allow: bool) -> TokenSet:
        """The same tokens, with anonymous reads allowed if either says so."""
        return TokenSet(self._tokens, anonymous_read=self.anonymous_read or allow)

    @staticmethod
    def require(principal: Principal, scope: str) -> None:
        if not principal.can(scope):
            raise ForbiddenError(
                f"{principal.name} may only {principal.scope}; this needs a {scope} token",
                scope=scope,
            )


def _parse_entry(line: str, where: str) -> _Token:
    secret, _, rest = line.partition(":")
    scope, _, name = rest.partition(":")
    scope = scope.strip().lower()
    if not secret or scope not in SCOPES:
        raise InvalidInputError(f"{where}: expected SECRET:read|write|admin[:NAME]")
    if len(secret) < 8:
        raise InvalidInputError(f"{where}: a token needs at least 8 characters")
    return _Token(secret=secret.strip(), scope=scope, name=name.strip() or f"{scope}-token")


def load_tokens(
    tokens_file: str | os.PathLike[str] | None = None, *, anonymous_read: bool = False
) -> TokenSet:
    """Tokens from `tokens_file`, else from `$MODELREG_TOKENS`; either may be absent."""
    if tokens_file is not None:
        path = Path(tokens_file)
        try:
            text = path.read_text()
        except OSError as exc:
            raise InvalidInputError(f"cannot read tokens file {path}: {exc.strerror}") from exc
        return TokenSet.parse(text, anonymous_read=anonymous_read, where=str(path))
    text = from_environment("tokens") or ""
    return TokenSet.parse(text, anonymous_read=anonymous_read, where=ENV_TOKENS)
