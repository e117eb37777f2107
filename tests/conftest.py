"""Test-wide settings: hypothesis profiles (fast for `make test`, thorough on demand); shared fixtures."""

from __future__ import annotations

import os
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING

import boto3
import pytest
from hypothesis import HealthCheck, settings

if TYPE_CHECKING:
    from mypy_boto3_dynamodb.client import DynamoDBClient

sys.path.insert(0, str(Path(__file__).resolve().parent))

settings.register_profile(
    "fast", max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow]
)
settings.register_profile(
    "thorough", max_examples=2000, deadline=None, suppress_health_check=[HealthCheck.too_slow]
)
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "fast"))


@pytest.fixture
def moto_client(monkeypatch: pytest.MonkeyPatch) -> Iterator[DynamoDBClient]:
    """A DynamoDB client on moto in process (``mock_aws``), with dummy credentials: no real AWS is reached."""
    monkeypatch.setenv("AWS_DEFAULT_REGION", "us-east-1")
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "testing")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "testing")
    monkeypatch.delenv("AWS_PROFILE", raising=False)
    from moto import mock_aws  # here, not at the top: only the tests that use moto pay for importing it

    with mock_aws():
        yield boto3.client("dynamodb", region_name="us-east-1")
