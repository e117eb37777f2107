"""Loading a target: a spec file path, or ``package.module:APP`` naming an App or AppSpec.

The CLI, the propagation handler and its Lambda entry point all start from a target string.
"""

from __future__ import annotations

import importlib
import sys
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from dynamodel.app import App
from dynamodel.design import Design, derive
from dynamodel.errors import DefinitionError
from dynamodel.migrate.lock import LOCK_NAME
from dynamodel.spec import AppSpec
from dynamodel.spec_file import load_spec_file


def load_app_spec(target: str) -> AppSpec:
    """A spec file path (.yaml/.yml/.json) or ``package.module:APP`` (an App or AppSpec)."""
    if is_spec_path(target):
        return load_spec_file(target)
    obj = import_target(target)
    if isinstance(obj, App):
        return obj.spec
    if isinstance(obj, AppSpec):
        return obj
    msg = f"{target!r} is not an App (found {type(obj).__name__})."
    raise DefinitionError(msg, hint=f"point at the App object defined in {target.partition(':')[0]}")


def import_target(target: str) -> object:
    """The object ``module:NAME`` names; every way an import can fail is a DefinitionError."""
    module_name, sep, attr = target.partition(":")
    if not sep:
        msg = f"{target!r} is neither a spec file nor 'module:APP'."
        raise DefinitionError(msg, hint="give shop.yaml, or access_patterns.shop:shop")
    if not all(part.isidentifier() for part in module_name.split(".")):
        msg = f"{target!r} does not name a module before ':' (got {module_name!r})."
        raise DefinitionError(msg, hint="write package.module:APP, e.g. access_patterns.shop:shop")
    if not attr.isidentifier():
        msg = f"{target!r} does not name an object after ':' (got {attr!r})."
        raise DefinitionError(msg, hint=f"write {module_name}:APP, where APP is the App's variable")
    if str(Path.cwd()) not in sys.path:
        sys.path.insert(0, str(Path.cwd()))
    see = f"run python -c 'import {module_name}' to see the traceback"
    try:
        module = importlib.import_module(module_name)
    except ImportError as exc:
        msg = f"Cannot import module {module_name!r}: {exc}."
        raise DefinitionError(
            msg, hint="run from the directory that holds the package, or fix the module path"
        ) from exc
    except SyntaxError as exc:
        msg = f"Cannot import module {module_name!r}: SyntaxError in {exc.filename}, line {exc.lineno}: {exc.msg}."
        raise DefinitionError(msg, hint="fix the syntax error") from exc
    except SystemExit as exc:
        msg = f"Cannot import module {module_name!r}: it exited (code {exc.code}) while being imported."
        raise DefinitionError(
            msg, hint="keep the module's script code under if __name__ == '__main__':"
        ) from exc
    except Exception as exc:  # the module's own code raised: report it, whatever it is
        msg = f"Cannot import module {module_name!r}: it raised {type(exc).__name__}: {exc}"
        raise DefinitionError(msg, hint=see) from exc
    if not hasattr(module, attr):
        apps = sorted(k for k, v in vars(module).items() if isinstance(v, App | AppSpec))
        msg = f"Module {module_name!r} has no {attr!r}."
        raise DefinitionError(
            msg, hint=f"its apps: {', '.join(apps)}" if apps else "point at a module that defines an App"
        )
    return getattr(module, attr)


def load_design(target: str, baseline: Mapping[str, Any] | None = None) -> Design:
    """Load and derive (against ``baseline``, the deployed design JSON, when given).

    Without ``baseline``, an App target gives its own design, which is derived against the
    baseline the App declares: the emitters, the propagation and its Lambda entry point then
    use the index names the table was deployed with.
    """
    if baseline is None and not is_spec_path(target):
        found = import_target(target)
        if isinstance(found, App):
            return found.design
    return derive(load_app_spec(target), baseline=baseline)


def is_spec_path(target: str) -> bool:
    """Whether ``target`` names a spec file rather than ``module:APP``."""
    return Path(target).suffix.lower() in (".yaml", ".yml", ".json") or Path(target).is_file()


def lock_path(target: str, out: str | None = None) -> Path:
    """Where the lock of ``target`` lives: ``out`` if given (a ``.json`` file, or else a directory
    to put it in, created when missing), else beside a spec file, else the current directory
    (for ``module:APP``)."""
    if out is not None:
        given = Path(out)
        return given if given.suffix.lower() == ".json" and not given.is_dir() else given / LOCK_NAME
    if is_spec_path(target):
        return Path(target).resolve().parent / LOCK_NAME
    return Path.cwd() / LOCK_NAME
