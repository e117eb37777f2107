"""What the machine's rules share: the arguments they draw, and how a rule is named.

:data:`LOSE` and :data:`PICK` are drawn by most write rules; :func:`values_strategy` draws an
entity's values from the app's value pools; :func:`adopt` takes the attributes a new item
shares with its parent's key from the parent.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from hypothesis import strategies as st

from dynamodel.app import App
from dynamodel.testing.machine_api import MachineApi
from dynamodel.testing.mirror import ItemRef
from dynamodel.testing.strategies import for_model

# One write in four loses its first answer (the request is applied, then sent again).
LOSE = st.sampled_from((False, False, False, True))
# Seeds how a write's copy references are pointed at existing sources (AppMachine.wire).
PICK = st.integers(0, 2**16 - 1)


def values_strategy(cls: type[MachineApi], entity: str, only: frozenset[str] | None = None) -> Any:
    """A dict of strategies for ``entity``'s values (``only`` these attributes), from the pools."""
    cfg = cls._config
    return for_model(cfg.app.models[entity], cfg.app.spec, pools=cfg.pools, only=only, fresh_weight=0)


def named(fn: Callable[..., Any], name: str) -> Callable[..., Any]:
    """``fn`` renamed: hypothesis names a rule's steps after its function."""
    fn.__name__ = fn.__qualname__ = name
    return fn


def adopt(values: dict[str, object], entity: str, app: App, parent: ItemRef | None) -> dict[str, object]:
    """``values`` with the attributes it shares with ``parent``'s key taken from the parent."""
    if parent is not None:
        spec = app.spec.entity(entity)
        values.update({a: v for a, v in parent.key if spec.has(a)})
    return values
