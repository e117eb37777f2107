"""What DynamoDB does and moto does not, applied around a test engine's requests.

:class:`DynamoRules` sits between botocore and the engine (one HTTP attempt at a time, so
botocore's own retries pass through it) and adds two behaviours:

* **The ClientRequestToken rule** of TransactWriteItems, as DynamoDB documents it: a
  token that succeeded is remembered for 10 minutes; a request repeating it with the same
  parameters "succeeds" without writing anything, one repeating it with other parameters
  gets ``IdempotentParameterMismatchException``. moto ignores tokens, so without this rule
  a runtime that reuses a token across two different calls (and silently loses the second
  write on DynamoDB) passes every test.
* **Lost responses**: :meth:`DynamoRules.lose_next_response` makes the next write request
  be applied by the engine, its answer dropped, and the request sent again, as botocore
  does when a connection fails after DynamoDB committed the write: the retry meets its own
  first attempt. (The retry is made here rather than by raising a timeout into botocore,
  whose standard retry mode would sleep up to a second before it.)

``InProcessEngine(rules=...)`` applies them to every client it makes;
:meth:`DynamoRules.install_http` applies them to a client of a server over HTTP (the
EmbeddedEngine's, or the pytest plugin's), and :meth:`DynamoRules.install_async` to an
aiobotocore client of one (the same rules around its aiohttp session's ``send``).
"""

from __future__ import annotations

import hashlib
import json
import threading
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any

from botocore.awsrequest import AWSRequest, AWSResponse

__all__ = ["TOKEN_WINDOW_S", "WRITE_OPERATIONS", "AsyncSend", "DynamoRules", "Send"]

Send = Callable[[AWSRequest], AWSResponse]
"""Sends one HTTP attempt to the engine and returns its answer."""
AsyncSend = Callable[[AWSRequest], Awaitable[AWSResponse]]
"""The same, awaited (aiobotocore's ``AIOHTTPSession.send``)."""

TOKEN_WINDOW_S = 600.0  # DynamoDB's documented idempotency window for ClientRequestToken
WRITE_OPERATIONS = frozenset({"PutItem", "UpdateItem", "DeleteItem", "TransactWriteItems", "BatchWriteItem"})
_TARGET_PREFIX = "DynamoDB_20120810."


def _operation(request: AWSRequest) -> str:
    target = request.headers.get("X-Amz-Target", "")
    text = target.decode() if isinstance(target, bytes) else str(target)
    return text.removeprefix(_TARGET_PREFIX) if text.startswith(_TARGET_PREFIX) else ""


def _body(request: AWSRequest) -> dict[str, Any]:
    raw = request.body
    if not raw:
        return {}
    text = raw.decode("utf-8") if isinstance(raw, bytes) else str(raw)
    loaded = json.loads(text)
    return loaded if isinstance(loaded, dict) else {}


def _digest(body: dict[str, Any]) -> str:
    rest = {k: v for k, v in body.items() if k != "ClientRequestToken"}
    return hashlib.sha256(json.dumps(rest, sort_keys=True).encode()).hexdigest()


class _Raw:
    """The smallest raw body botocore's AWSResponse reads from."""

    def __init__(self, data: bytes) -> None:
        self._data = data

    def stream(self, **_: Any) -> Any:
        yield self._data


class _AsyncRaw:
    """The smallest raw body aiobotocore's AioAWSResponse reads from."""

    def __init__(self, data: bytes) -> None:
        self._data = data

    async def read(self) -> bytes:
        return self._data


def _answer(request: AWSRequest, status: int, body: dict[str, Any], *, aio: bool = False) -> AWSResponse:
    headers = {"Content-Type": "application/x-amz-json-1.0", "x-amzn-RequestId": "dynamodel-rules"}
    data = json.dumps(body).encode()
    if aio:
        from aiobotocore.awsrequest import AioAWSResponse  # noqa: PLC0415 - aiobotocore is an optional extra

        return AioAWSResponse(request.url, status, headers, _AsyncRaw(data))  # type: ignore[arg-type]
    return AWSResponse(request.url, status, headers, _Raw(data))  # type: ignore[arg-type]


@dataclass
class DynamoRules:
    """DynamoDB's token rule and injected lost responses, for one or more test clients.

    Attributes:
        token_rule: apply the ClientRequestToken rule (on by default).
        clock: seconds, monotonic; injectable so a test can step past the window.
        lost: how many responses were dropped so far.
        replayed: how many requests the token rule answered without writing.
    """

    token_rule: bool = True
    clock: Callable[[], float] = field(default=time.monotonic, repr=False)
    lost: int = 0
    replayed: int = 0
    _lose: int = field(default=0, repr=False)
    _tokens: dict[str, tuple[str, float]] = field(default_factory=dict, repr=False)
    _lock: threading.Lock = field(default_factory=threading.Lock, repr=False)

    def lose_next_response(self, count: int = 1) -> None:
        """Drop the answers of the next ``count`` write requests (after the engine applied them)."""
        with self._lock:
            self._lose += count

    def clear(self) -> None:
        """Forget pending losses (a test case starts clean); remembered tokens stay, as on DynamoDB."""
        with self._lock:
            self._lose = 0

    def wrap(self, send: Send) -> Send:
        """``send`` with the rules applied around it."""

        def attempt(request: AWSRequest, operation: str) -> AWSResponse:
            token, digest, early = self._before(request, operation)
            if early is not None:
                return early
            response = send(request)
            self._after(token, digest, response)
            return response

        def ruled(request: AWSRequest) -> AWSResponse:
            operation = _operation(request)
            if operation not in WRITE_OPERATIONS:
                return send(request)
            response = attempt(request, operation)
            if self._take_loss():
                response = attempt(request, operation)  # botocore's retry of the same request
            return response

        return ruled

    def wrap_async(self, send: AsyncSend) -> AsyncSend:
        """:meth:`wrap` for an awaited ``send`` (the same rules, the same state)."""

        async def attempt(request: AWSRequest, operation: str) -> AWSResponse:
            token, digest, early = self._before(request, operation, aio=True)
            if early is not None:
                return early
            response = await send(request)
            self._after(token, digest, response)
            return response

        async def ruled(request: AWSRequest) -> AWSResponse:
            operation = _operation(request)
            if operation not in WRITE_OPERATIONS:
                return await send(request)
            response = await attempt(request, operation)
            if self._take_loss():
                await response.content  # type: ignore[misc] # read, so aiohttp frees the connection
                response = await attempt(request, operation)
            return response

        return ruled

    def _before(
        self, request: AWSRequest, operation: str, *, aio: bool = False
    ) -> tuple[str | None, str, AWSResponse | None]:
        """The request's token and digest, and the token rule's answer when it needs no engine."""
        body = _body(request) if operation == "TransactWriteItems" else {}
        token = body.get("ClientRequestToken") if self.token_rule else None
        if not isinstance(token, str):
            return None, "", None
        digest = _digest(body)
        return token, digest, self._check_token(request, token, digest, aio=aio)

    def _after(self, token: str | None, digest: str, response: AWSResponse) -> None:
        if token is not None and response.status_code < 300:
            with self._lock:
                self._tokens[token] = (digest, self.clock())

    def install(self, client: Any, send: Send) -> Any:
        """Make ``client`` send every request through ``self.wrap(send)``; returns the client."""
        ruled = self.wrap(send)

        def before_send(request: AWSRequest, **_: Any) -> AWSResponse:
            return ruled(request)

        client.meta.events.register_first("before-send", before_send)
        return client

    def install_http(self, client: Any) -> Any:
        """Apply the rules to a client that talks HTTP to its endpoint; returns the client."""
        http = client._endpoint.http_session  # botocore's own sender, after the rules
        return self.install(client, http.send)

    def install_async(self, client: Any) -> Any:
        """Apply the rules to an aiobotocore client that talks HTTP to its endpoint; returns it.

        aiobotocore awaits ``before-send`` handlers, and its ``AIOHTTPSession.send`` is the
        aiohttp counterpart of botocore's sender: the rules sit in the same place.
        """
        ruled = self.wrap_async(client._endpoint.http_session.send)

        async def before_send(request: AWSRequest, **_: Any) -> AWSResponse:
            return await ruled(request)

        client.meta.events.register_first("before-send", before_send)
        return client

    def _check_token(
        self, request: AWSRequest, token: str, digest: str, *, aio: bool = False
    ) -> AWSResponse | None:
        with self._lock:
            seen = self._tokens.get(token)
            if seen is not None and self.clock() - seen[1] > TOKEN_WINDOW_S:
                del self._tokens[token]
                seen = None
        if seen is None:
            return None
        if seen[0] != digest:
            error = {
                "__type": "com.amazonaws.dynamodb.v20120810#IdempotentParameterMismatchException",
                "message": "The request uses the same client token as a previous, but non-identical request.",
            }
            return _answer(request, 400, error, aio=aio)
        with self._lock:
            self.replayed += 1
        return _answer(request, 200, {}, aio=aio)

    def _take_loss(self) -> bool:
        with self._lock:
            if self._lose <= 0:
                return False
            self._lose -= 1
            self.lost += 1
            return True
