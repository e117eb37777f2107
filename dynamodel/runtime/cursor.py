"""Opaque page cursors: urlsafe base64 of a JSON payload, signed with HMAC-SHA256.

A cursor carries where the next page starts (DynamoDB's ``LastEvaluatedKey``, or one
position per shard of a fanned-out query) and is bound to the app, the table, the
pattern and the query's key arguments. A cursor from another pattern, table or set of
arguments, or one that was edited, is refused with a RequestError, never turned into a
wrong page.

The payload is signed, not encrypted: it holds key values of the last item read. With the
default secret (derived from the app and table names) the signature detects mistakes and
accidental edits but not forgery, since anyone who knows the names can sign, so ``connect``
warns once when it is used. Pass a real secret (``connect(..., cursor_secret=...)`` or the
``DYNAMODEL_CURSOR_SECRET`` environment variable) when cursors travel to clients.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from dynamodel.errors import RequestError

CURSOR_VERSION = 1
_ITEM_KEY_TYPES = frozenset({"S", "N", "B"})

StartKey = dict[str, dict[str, Any]]
ShardPosition = StartKey | None | bool
"""Per shard: None (not started), a start key, or True (exhausted)."""


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).decode("ascii").rstrip("=")


def _unb64(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def default_secret(app: str, table: str) -> bytes:
    """The secret used when none is given: detects mistakes, not forgery."""
    return hashlib.sha256(f"dynamodel-cursor\x00{app}\x00{table}".encode()).digest()


def check_secret(secret: object) -> bytes:
    """A cursor secret as bytes; a ``str`` or an empty secret is refused (an HMAC key is bytes,
    and an empty one would let anyone sign)."""
    if isinstance(secret, str):
        msg = "cursor_secret is a str; an HMAC key is bytes."
        hint = "pass secret.encode() (or os.urandom(32), kept and shared by every instance)"
        if not secret:
            hint = "pass os.urandom(32), kept and shared by every instance of the application"
        raise RequestError(msg, hint=hint)
    if not isinstance(secret, bytes | bytearray) or not secret:
        what = "empty" if isinstance(secret, bytes | bytearray) else f"a {type(secret).__name__}, not bytes"
        msg = f"cursor_secret is {what}."
        raise RequestError(
            msg, hint="pass os.urandom(32), kept and shared by every instance of the application"
        )
    return bytes(secret)


def query_digest(requests: Sequence[Mapping[str, Any]]) -> str:
    """A digest of what a query reads (index, key condition and its values, direction).

    Page size and start position are left out, so every page of one query shares it.
    """
    fixed = [{k: v for k, v in r.items() if k not in ("Limit", "ExclusiveStartKey")} for r in requests]
    text = json.dumps(fixed, sort_keys=True, separators=(",", ":"), default=str)
    return hashlib.sha256(text.encode("utf-8")).hexdigest()[:32]


def _bad(reason: str) -> RequestError:
    msg = f"Invalid cursor: {reason}."
    return RequestError(
        msg,
        hint="pass back the cursor of the previous page of the same call unchanged, or None to start over",
    )


@dataclass(frozen=True)
class CursorCodec:
    """Signs and checks the cursors of one connected table."""

    app: str
    table: str
    secret: bytes

    @classmethod
    def for_table(cls, app: str, table: str, secret: bytes | None) -> CursorCodec:
        """A codec with ``secret``, or the default one derived from the names.

        Raises:
            RequestError: ``secret`` is not bytes, or is empty.
        """
        return cls(app, table, default_secret(app, table) if secret is None else check_secret(secret))

    def _sign(self, body: bytes) -> bytes:
        return hmac.new(self.secret, body, hashlib.sha256).digest()

    def encode(self, pattern: str, digest: str, position: object) -> str:
        """The cursor for ``position`` in the query of ``pattern`` with key digest ``digest``."""
        payload = {
            "v": CURSOR_VERSION,
            "a": self.app,
            "t": self.table,
            "p": pattern,
            "q": digest,
            "pos": position,
        }
        body = json.dumps(payload, sort_keys=True, separators=(",", ":")).encode("utf-8")
        return f"{_b64(body)}.{_b64(self._sign(body))}"

    def decode(self, cursor: str, pattern: str, digest: str) -> Any:
        """The position a cursor holds, after checking its signature and scope.

        Raises:
            RequestError: malformed, tampered with, signed with another secret (another
                app or table with the default secret), or made for another table,
                pattern or set of key arguments.
        """
        if not isinstance(cursor, str) or cursor.count(".") != 1:
            msg = "it is not a cursor returned by dynamodel"
            raise _bad(msg)
        body_text, sig_text = cursor.split(".")
        try:
            body = _unb64(body_text)
            sig = _unb64(sig_text)
        except (binascii.Error, ValueError):
            msg = "it is not valid base64"
            raise _bad(msg) from None
        if not hmac.compare_digest(sig, self._sign(body)):
            msg = (
                "its signature does not match: it was altered, or it was made for another app or table "
                "(or with another cursor_secret)"
            )
            raise _bad(msg)
        try:
            payload = json.loads(body)
        except ValueError:
            msg = "its payload is not JSON"
            raise _bad(msg) from None
        if not isinstance(payload, dict) or payload.get("v") != CURSOR_VERSION:
            msg = "it was made by another version of dynamodel"
            raise _bad(msg)
        if payload.get("a") != self.app or payload.get("t") != self.table:
            msg = f"it belongs to table '{payload.get('t')}' of app '{payload.get('a')}', not '{self.table}'"
            raise _bad(msg)
        if payload.get("p") != pattern:
            msg = f"it belongs to pattern '{payload.get('p')}', not '{pattern}'"
            raise _bad(msg)
        if payload.get("q") != digest:
            msg = f"it was made for other arguments of '{pattern}'"
            raise _bad(msg)
        return payload.get("pos")


def check_start_key(value: object) -> StartKey:
    """A decoded position must look like a key: attribute name → one S/N/B value."""
    if not isinstance(value, dict) or not value:
        msg = "its position is not a key"
        raise _bad(msg)
    for name, av in value.items():
        if not isinstance(name, str) or not isinstance(av, dict) or len(av) != 1:
            msg = "its position is not a key"
            raise _bad(msg)
        ((tag, payload),) = av.items()
        if tag not in _ITEM_KEY_TYPES or not isinstance(payload, str):
            msg = "its position is not a key"
            raise _bad(msg)
    return value
