"""Tools to prove declared access patterns on a real engine: strategies, an oracle, a state machine.

Needs the test extra (``pip install dynamodel[test]``) for hypothesis and moto.

* :func:`app_machine` / :class:`AppMachine`: the hypothesis state machine of an app
  (``TestShop = app_machine(shop).TestCase``), :func:`run_app_machine` runs it in a test.
* :class:`Oracle` and :func:`check_result`: the brute-force answer of every pattern.
* :class:`DynamoRules`: what DynamoDB does and moto does not (the ClientRequestToken rule,
  lost responses), for :class:`InProcessEngine` and clients of a local server.
* ``dynamodel.testing.strategies``: hypothesis strategies derived from the declarations.
* ``dynamodel.testing.pytest_plugin``: fixtures (``pytest_plugins = ["dynamodel.testing.pytest_plugin"]``).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from dynamodel.testing.oracle import Oracle, check_result, normalise

if TYPE_CHECKING:
    from dynamodel.testing.faults import DynamoRules
    from dynamodel.testing.machine import (
        AppMachine,
        InProcessEngine,
        app_machine,
        machine_settings,
        run_app_machine,
    )

__all__ = [
    "AppMachine",
    "DynamoRules",
    "InProcessEngine",
    "Oracle",
    "app_machine",
    "check_result",
    "machine_settings",
    "normalise",
    "run_app_machine",
]


def __getattr__(name: str) -> object:
    # The machine imports boto3 and moto's helpers; the oracle alone must stay light.
    if name == "DynamoRules":
        from dynamodel.testing.faults import DynamoRules  # noqa: PLC0415

        return DynamoRules
    if name in ("AppMachine", "InProcessEngine", "app_machine", "machine_settings", "run_app_machine"):
        from dynamodel.testing import machine  # noqa: PLC0415

        return getattr(machine, name)
    msg = f"module 'dynamodel.testing' has no attribute {name!r}"
    raise AttributeError(msg)
