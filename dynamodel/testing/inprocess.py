"""Moto's DynamoDB served in process (the AppMachine's default engine), and fresh test tables.

:class:`InProcessEngine` makes boto3 clients whose requests moto answers inside this process
(no socket, no server); :func:`default_client_factory` shares one engine per process, and
:func:`create_test_table` creates a table under a fresh stage name (:func:`new_stage`).
The async runtime's aiobotocore clients need HTTP: :func:`embedded_client_factory` shares one
:class:`~dynamodel.engine.EmbeddedEngine` per process, started on first use.
"""

from __future__ import annotations

import atexit
import uuid
from typing import Any

import boto3
from botocore.awsrequest import AWSResponse

from dynamodel.app import App
from dynamodel.emit.boto3_kwargs import render_create_table
from dynamodel.engine import DUMMY_KEY, REGION, EmbeddedEngine, client_config, serial_lock
from dynamodel.errors import ExecutionError
from dynamodel.runtime.table import Table
from dynamodel.testing.faults import DynamoRules

__all__ = [
    "IN_PROCESS",
    "InProcessEngine",
    "create_test_table",
    "default_client_factory",
    "embedded_client_factory",
    "new_stage",
]

IN_PROCESS = "_dynamodel_in_process"
"""Set on the clients an InProcessEngine makes: their endpoint is AWS's, never to be reached."""


class InProcessEngine:
    """moto's DynamoDB (and Streams) served inside this process to the clients it makes.

    Requests go from botocore straight to moto's backend: no socket, no HTTP server, about
    twice as fast as :class:`~dynamodel.engine.EmbeddedEngine` for the same calls. Only the
    clients made here are diverted (unlike ``moto.mock_aws``, nothing global is patched and
    nothing is reset), and a request moto does not serve raises instead of leaving the
    process. State is moto's per-process state, shared with an EmbeddedEngine in the same
    process: use distinct table names.

    Each request is applied atomically (under the lock the EmbeddedEngine uses), as DynamoDB
    serialises writes to an item: moto alone lets concurrent conditional writes both win.
    ``rules`` adds DynamoDB's ClientRequestToken rule and injected lost responses
    (:class:`~dynamodel.testing.faults.DynamoRules`).
    """

    def __init__(self, *, region: str = REGION, rules: DynamoRules | None = None) -> None:
        self.rules = rules
        self._session = boto3.session.Session(
            aws_access_key_id=DUMMY_KEY,
            aws_secret_access_key=DUMMY_KEY,
            aws_session_token=DUMMY_KEY,
            region_name=region,
        )

    def client(self, service: str = "dynamodb") -> Any:
        """A boto3 client for ``service`` whose requests moto answers in process."""
        from moto.core.botocore_stubber import (  # noqa: PLC0415 - moto is a test extra
            BotocoreStubber,
            MockRawResponse,
        )

        stubber = BotocoreStubber()
        # Account-id endpoints (https://{account}.ddb...) are not routed by moto.
        client: Any = self._session.client(  # type: ignore[call-overload]
            service, config=client_config(account_id_endpoint_mode="disabled")
        )

        def send(request: Any) -> AWSResponse:
            with serial_lock:
                answer = stubber.process_request(request)
            if answer is None:
                msg = f"the in-process engine does not serve {request.url}; nothing was sent"
                raise ExecutionError(msg, hint="use a service moto implements, or the EmbeddedEngine")
            status, headers, body = answer
            return AWSResponse(request.url, status, headers, MockRawResponse(body))  # type: ignore[arg-type]

        setattr(client, IN_PROCESS, True)
        if self.rules is not None:
            return self.rules.install(client, send)
        client.meta.events.register_first("before-send", lambda request, **_: send(request))
        return client


_DEFAULT_ENGINE: list[InProcessEngine] = []


def default_client_factory(service: str) -> Any:
    """Clients of a process-wide :class:`InProcessEngine` (the machine's default engine)."""
    if not _DEFAULT_ENGINE:
        _DEFAULT_ENGINE.append(InProcessEngine())
    return _DEFAULT_ENGINE[0].client(service)


_EMBEDDED: list[EmbeddedEngine] = []


def embedded_client_factory(service: str) -> Any:
    """Clients of a process-wide :class:`~dynamodel.engine.EmbeddedEngine`, started on first use
    and stopped when the process exits (the async machine's default engine)."""
    if not _EMBEDDED:
        engine = EmbeddedEngine().start()
        atexit.register(engine.stop)
        _EMBEDDED.append(engine)
    return _EMBEDDED[0].client(service)


def new_stage() -> str:
    """A unique stage name for a test table (``t`` + 10 hex digits)."""
    return f"t{uuid.uuid4().hex[:10]}"


def create_test_table(app: App, client: Any, stage: str | None = None, **connect_options: Any) -> Table:
    """Create ``<app>-<stage>`` (a fresh stage by default) from the emitted definition; connect to it."""
    name = f"{app.name}-{stage or new_stage()}"
    client.create_table(**render_create_table(app.design, name))
    return app.connect(name, client, **{"cursor_secret": uuid.uuid4().bytes, **connect_options})
