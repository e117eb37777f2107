"""Every App the ``access_patterns`` package declares, for tests that cover them all."""

from __future__ import annotations

import importlib
import pkgutil

import access_patterns
from dynamodel.app import App


def discover_apps() -> list[App]:
    """Every App instance defined in a module of the access_patterns package, by name."""
    found: dict[str, App] = {}
    for info in sorted(pkgutil.iter_modules(access_patterns.__path__), key=lambda i: i.name):
        module = importlib.import_module(f"{access_patterns.__name__}.{info.name}")
        for obj in vars(module).values():
            if isinstance(obj, App):
                found.setdefault(obj.name, obj)
    return [found[k] for k in sorted(found)]
