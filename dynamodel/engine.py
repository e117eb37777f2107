"""The embedded engine: moto's DynamoDB server on 127.0.0.1, reached over real HTTP.

The boto3 client it hands out is the production client with another
``endpoint_url``, so everything that runs here runs the same against DynamoDB,
DynamoDB Local or ScyllaDB Alternator::

    with EmbeddedEngine() as engine:
        client = engine.client()
        client.create_table(**kwargs)

The server listens on 127.0.0.1 only, on a free port, and the clients ignore any
HTTP(S)_PROXY settings: nothing leaves the machine. Credentials are dummies.

moto keeps its state per process: two engines in one process (or an engine and
``moto.mock_aws``) share their tables, and :meth:`EmbeddedEngine.reset` clears all.
Use distinct table names per test, or reset between tests.
"""

from __future__ import annotations

import logging
import threading
import urllib.error
import urllib.request
from contextlib import AbstractAsyncContextManager
from types import TracebackType
from typing import TYPE_CHECKING, Any, Literal, overload

import boto3
from botocore.config import Config

from dynamodel.errors import ExecutionError

if TYPE_CHECKING:
    from botocore.client import BaseClient
    from mypy_boto3_dynamodb.client import DynamoDBClient
    from mypy_boto3_dynamodbstreams.client import DynamoDBStreamsClient
    from types_aiobotocore_dynamodb.client import DynamoDBClient as AioDynamoDBClient

HOST = "127.0.0.1"
REGION = "us-east-1"
DUMMY_KEY = "testing"  # moto accepts any credentials; these never reach AWS


def _client_options(**overrides: Any) -> dict[str, Any]:
    """What the engine's clients are configured with: 2 attempts, standard retries, no proxies."""
    options: dict[str, Any] = {"retries": {"max_attempts": 2, "mode": "standard"}, "proxies": {}}
    options.update(overrides)
    return options


def client_config(**overrides: Any) -> Config:
    """The botocore Config the engine's clients use (see :func:`_client_options`)."""
    return Config(**_client_options(**overrides))


_SERIALISED_OPERATIONS = (
    "put_item",
    "update_item",
    "delete_item",
    "get_item",
    "query",
    "scan",
    "transact_write_items",
    "transact_get_items",
    "batch_write_item",
    "batch_get_item",
)
serial_lock = threading.RLock()
"""Held while moto applies one DynamoDB request (every engine of this process shares moto's state)."""
_serial_users = 0
_originals: dict[str, Any] = {}


def _serialise_moto(enable: bool) -> None:
    """Make moto apply each DynamoDB request atomically, as DynamoDB does.

    moto's server handles requests on threads, and its conditional writes check and then
    write without a lock (a failed transaction even restores a deep copy of the table,
    undoing concurrent writes): measured here, 6 of 12 threads "won" one unique email.
    DynamoDB serialises writes to an item, so the embedded engine wraps every backend
    operation in one process-wide lock; engines in one process share moto's state, so the
    wrapping is reference-counted.
    """
    global _serial_users  # noqa: PLW0603 - moto's backend class is process-wide state too
    from moto.dynamodb.models import DynamoDBBackend  # noqa: PLC0415 - moto is an optional extra

    with serial_lock:
        if enable:
            _serial_users += 1
            if _serial_users > 1:
                return
            for name in _SERIALISED_OPERATIONS:
                original = getattr(DynamoDBBackend, name, None)
                if original is None:
                    continue
                _originals[name] = original

                def locked(*args: Any, __original: Any = original, **kwargs: Any) -> Any:
                    with serial_lock:
                        return __original(*args, **kwargs)

                setattr(DynamoDBBackend, name, locked)
            return
        _serial_users -= 1
        if _serial_users == 0:
            for name, original in _originals.items():
                setattr(DynamoDBBackend, name, original)
            _originals.clear()


def async_client(
    endpoint_url: str, region: str, credentials: Any, **config: Any
) -> AbstractAsyncContextManager[AioDynamoDBClient]:
    """An aiobotocore client (an async context manager) with the engine's settings."""
    try:
        from aiobotocore.config import AioConfig  # noqa: PLC0415 - aiobotocore is an optional extra
        from aiobotocore.session import AioSession  # noqa: PLC0415
    except ImportError as err:  # pragma: no cover - depends on the installation
        msg = "an async client needs aiobotocore, which is not installed"
        raise ExecutionError(msg, hint="pip install 'dynamodel[async]'") from err
    key = credentials.access_key if credentials is not None else DUMMY_KEY
    secret = credentials.secret_key if credentials is not None else DUMMY_KEY
    token = credentials.token if credentials is not None else DUMMY_KEY
    created: AbstractAsyncContextManager[AioDynamoDBClient] = AioSession().create_client(
        "dynamodb",
        region_name=region,
        endpoint_url=endpoint_url,
        aws_access_key_id=key,
        aws_secret_access_key=secret,
        aws_session_token=token,
        config=AioConfig(**_client_options(**config)),
    )
    return created


class EmbeddedEngine:
    """moto's ThreadedMotoServer on 127.0.0.1, started on a free port.

    Use it as a context manager, or call :meth:`start` and :meth:`stop`.

    Args:
        port: the port to listen on; 0 (default) picks a free one.
        region: the region the clients use.
        linearizable: apply each request atomically, as DynamoDB does (moto alone does not:
            concurrent conditional writes can both succeed). Leave it on unless you measure moto.
    """

    def __init__(self, *, port: int = 0, region: str = REGION, linearizable: bool = True) -> None:
        self._linearizable = linearizable
        self._serialised = False
        self._port = port
        self._region = region
        self._server: Any = None
        self._endpoint: str | None = None
        self._session = boto3.session.Session(
            aws_access_key_id=DUMMY_KEY,
            aws_secret_access_key=DUMMY_KEY,
            aws_session_token=DUMMY_KEY,
            region_name=region,
        )

    # ---- lifecycle -------------------------------------------------------------------------

    def start(self) -> EmbeddedEngine:
        """Start the server (no-op when running) and return the engine."""
        if self._server is not None:
            return self
        logging.getLogger("werkzeug").setLevel(logging.ERROR)
        try:
            from moto.server import ThreadedMotoServer  # noqa: PLC0415 - moto is an optional extra
        except ImportError as err:  # pragma: no cover - depends on the installation
            msg = "the embedded engine needs moto's server, which is not installed"
            raise ExecutionError(msg, hint="pip install 'dynamodel[engine]' (moto[server,dynamodb])") from err
        server = ThreadedMotoServer(ip_address=HOST, port=self._port, verbose=False)
        try:
            server.start()
        except OSError as err:
            msg = f"the embedded engine could not listen on {HOST}:{self._port}: {err}"
            raise ExecutionError(msg, hint="pass port=0 to pick a free port") from err
        host, port = server.get_host_and_port()
        if self._linearizable:
            _serialise_moto(enable=True)
            self._serialised = True
        self._server = server
        self._endpoint = f"http://{host}:{port}"
        return self

    def stop(self) -> None:
        """Stop the server and release its port (no-op when not running)."""
        server, self._server, self._endpoint = self._server, None, None
        if server is None:
            return
        server.stop()
        if self._serialised:
            _serialise_moto(enable=False)
            self._serialised = False
        wsgi = getattr(server, "_server", None)
        if wsgi is not None:  # ThreadedMotoServer.stop() leaves the socket open
            wsgi.server_close()

    @property
    def running(self) -> bool:
        """Whether the server is started."""
        return self._server is not None

    def __enter__(self) -> EmbeddedEngine:
        return self.start()

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop()

    # ---- access ----------------------------------------------------------------------------

    @property
    def endpoint_url(self) -> str:
        """``http://127.0.0.1:{port}``; ExecutionError when the engine is not started."""
        if self._endpoint is None:
            msg = "the embedded engine is not running, so it has no endpoint"
            raise ExecutionError(msg, hint="call engine.start() or use `with EmbeddedEngine() as engine:`")
        return self._endpoint

    @property
    def region(self) -> str:
        """The region the clients use."""
        return self._region

    @overload
    def client(self, service: Literal["dynamodb"] = "dynamodb", **config: Any) -> DynamoDBClient: ...
    @overload
    def client(self, service: Literal["dynamodbstreams"], **config: Any) -> DynamoDBStreamsClient: ...
    @overload
    def client(self, service: str, **config: Any) -> BaseClient: ...

    def client(self, service: str = "dynamodb", **config: Any) -> Any:
        """A boto3 client for ``service`` on this engine.

        Args:
            service: ``"dynamodb"`` (default), ``"dynamodbstreams"``, or another service moto serves.
            config: botocore Config options that override the defaults of :func:`client_config`.
        """
        return self._session.client(  # type: ignore[call-overload]
            service, endpoint_url=self.endpoint_url, config=client_config(**config)
        )

    def streams_client(self, **config: Any) -> DynamoDBStreamsClient:
        """A boto3 ``dynamodbstreams`` client on this engine."""
        return self.client("dynamodbstreams", **config)

    def async_client(self, **config: Any) -> AbstractAsyncContextManager[AioDynamoDBClient]:
        """An aiobotocore DynamoDB client on this engine, for ``app.connect_async``::

        async with engine.async_client() as client:
            table = await shop.connect_async("shop-dev", client)
        """
        return async_client(self.endpoint_url, self._region, None, **config)

    def reset(self) -> None:
        """Delete every table (and every other resource) the server holds."""
        request = urllib.request.Request(f"{self.endpoint_url}/moto-api/reset", data=b"", method="POST")
        opener = urllib.request.build_opener(urllib.request.ProxyHandler({}))
        try:
            with opener.open(request, timeout=10) as response:
                response.read()
        except (urllib.error.URLError, OSError) as err:
            msg = f"resetting the embedded engine at {self.endpoint_url} failed: {err}"
            raise ExecutionError(msg, hint="check that the engine is still running; restart it") from err

    def __repr__(self) -> str:
        state = self._endpoint or "stopped"
        return f"EmbeddedEngine({state})"


class EndpointEngine:
    """Another engine already running at ``endpoint_url`` (DynamoDB Local, a shared moto server).

    The same client API as :class:`EmbeddedEngine`, so tests run unchanged against either
    (``--dynamodel-endpoint URL`` in the pytest plugin). Credentials: the environment's when it
    has some, else dummy ones (a local engine accepts any).
    """

    def __init__(self, endpoint_url: str, *, region: str = REGION) -> None:
        self.endpoint_url = endpoint_url
        self.region = region
        session = boto3.session.Session(region_name=region)
        if session.get_credentials() is None:
            session = boto3.session.Session(
                aws_access_key_id=DUMMY_KEY, aws_secret_access_key=DUMMY_KEY, region_name=region
            )
        self._session = session

    def client(self, service: str = "dynamodb", **config: Any) -> Any:
        """A boto3 client for ``service`` at the endpoint."""
        return self._session.client(  # type: ignore[call-overload]
            service, endpoint_url=self.endpoint_url, config=client_config(**config)
        )

    def streams_client(self, **config: Any) -> DynamoDBStreamsClient:
        """A boto3 ``dynamodbstreams`` client at the endpoint."""
        found: DynamoDBStreamsClient = self.client("dynamodbstreams", **config)
        return found

    def async_client(self, **config: Any) -> AbstractAsyncContextManager[AioDynamoDBClient]:
        """An aiobotocore DynamoDB client at the endpoint (the environment's credentials, or dummies)."""
        creds = self._session.get_credentials()
        return async_client(self.endpoint_url, self.region, creds, **config)

    def __repr__(self) -> str:
        return f"EndpointEngine({self.endpoint_url})"
