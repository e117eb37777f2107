"""Every App the ``access_patterns`` package declares, found in one place for tests that cover them all."""

from __future__ import annotations

import importlib
import pkgutil
from dataclasses import dataclass

import access_patterns
from dynamodel.app import App
from dynamodel.spec import AppSpec
from dynamodel.validate import build_app_spec


@dataclass(frozen=True)
class ExampleApp:
    """One App of the access_patterns package and where it is bound."""

    module: str
    """The module's name inside access_patterns (``shop``)."""
    attr: str
    """The module variable that holds the App (``shop``)."""
    app: App

    @property
    def target(self) -> str:
        """The CLI target that loads it: ``access_patterns.shop:shop``."""
        return f"{access_patterns.__name__}.{self.module}:{self.attr}"


def example_apps() -> list[ExampleApp]:
    """Every module variable of the access_patterns package that holds an App, by module then variable.

    The same App bound to two variables (or imported into another module) is listed once, under
    the first binding found.
    """
    found: list[ExampleApp] = []
    seen: set[int] = set()
    for info in sorted(pkgutil.iter_modules(access_patterns.__path__), key=lambda i: i.name):
        module = importlib.import_module(f"{access_patterns.__name__}.{info.name}")
        for attr, obj in sorted(vars(module).items()):
            if isinstance(obj, App) and id(obj) not in seen:
                seen.add(id(obj))
                found.append(ExampleApp(info.name, attr, obj))
    return found


def discover_apps() -> list[App]:
    """Every App instance defined in a module of the access_patterns package, by app name."""
    found: dict[str, App] = {}
    for example in example_apps():
        found.setdefault(example.app.name, example.app)
    return [found[k] for k in sorted(found)]


def declared_backwards(spec: AppSpec) -> AppSpec:
    """``spec`` declared in the reverse order (entities, patterns, actions), all else the same:
    derivation and every output must not depend on declaration order."""
    return build_app_spec(
        spec.name,
        list(reversed(spec.entities)),
        list(reversed(spec.patterns)),
        list(reversed(spec.actions)),
        spec.max_gsis,
        key_style=spec.key_style,
    )
