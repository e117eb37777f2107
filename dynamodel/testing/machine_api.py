"""What the machine's generated rules may use of it: :class:`MachineApi`.

The rules (:mod:`~dynamodel.testing.rules`, :mod:`~dynamodel.testing.write_rules`,
:mod:`~dynamodel.testing.delete_rules`) are installed on
:class:`~dynamodel.testing.machine.AppMachine`, which imports them; typing them against
this Protocol instead of the class keeps the imports one way.
"""

from __future__ import annotations

import random
from collections.abc import Callable, Iterable, Mapping
from typing import Any, ClassVar, Literal, Protocol

from dynamodel.app import App
from dynamodel.model import Entity
from dynamodel.runtime.table import Table
from dynamodel.spec import AppSpec
from dynamodel.testing.machine_config import MachineConfig
from dynamodel.testing.mirror import Model

Outcome = Literal["ok", "condition", "request"]
"""How the model predicts a write ends: written, refused by a condition, refused before sending."""


class MachineApi(Protocol):
    """The machine as its rules see it: state, configuration, and the steps every rule takes."""

    _config: ClassVar[MachineConfig]
    _reads: ClassVar[tuple[str, ...]]

    cfg: MachineConfig
    app: App
    spec: AppSpec
    table: Table
    model: Model
    kept: dict[tuple[str, tuple[object, ...]], Entity]
    steps: int

    def wire(
        self, entity: str, values: dict[str, object], pick: int, skip: str | None = None
    ) -> dict[str, object]:
        """Point ``values``' copy references at sources chosen from the model (``pick`` seeds it)."""
        ...

    def instance(self, entity: str, values: Mapping[str, object]) -> Entity:
        """The Entity instance of ``values`` (copies left for the runtime to fill)."""
        ...

    def attempt(self, expected: Outcome, what: str, action: Callable[[], Any], *, lose: bool = False) -> Any:
        """Run a write and check it was written or refused as the model predicts."""
        ...

    def after_write(
        self, check: tuple[str, int], focus: Iterable[tuple[str, Mapping[str, object]]] = ()
    ) -> None:
        """Drain propagation, then run the ``check`` pattern on each written item's values."""
        ...

    def check_read(
        self, pattern: str, rng: random.Random, limit: int, focus: Mapping[str, object] | None = None
    ) -> None:
        """Run one pattern with arguments from existing values; compare with the oracle."""
        ...
