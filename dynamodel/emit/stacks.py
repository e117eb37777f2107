"""The app's stacks, the dependency graph their templates form, and the order to deploy them.

One stack per event source and per action (DESIGN.md §6):

* ``table``: the table (:mod:`dynamodel.emit.cloudformation`), the event source; it exports
  ``TableName``, ``TableArn`` and ``StreamArn``.
* ``action:<name>``: one per declared action (:mod:`dynamodel.emit.sam`).
* ``action:propagate``: the built-in action keeping copies fresh, when the design has copy
  paths.
* ``migrate``: the migration fan-out (Step Functions), when asked for.

The graph is read from the templates, never listed by hand: every ``Fn::ImportValue`` name is
resolved by the naming convention of :mod:`dynamodel.emit.stack_names` (a
``${TableStackName}`` parameter is the deployed name of the ``table`` stack,
``shop-table-${Stage}``; ``${AWS::StackName}`` in an export name is the exporting stack's)
and matched with the export that produces it. A stack depends on the stacks it imports from;
the deploy order puts every stack after those, and a cycle (which CloudFormation could never
deploy: an export cannot be imported before it exists) is a ``DefinitionError`` naming it.
``${Stage}`` stays a placeholder throughout: the graph is the same for every stage.

Everything here is pure and deterministic: the same design gives the same stacks, byte for byte.
"""

from __future__ import annotations

import importlib
import importlib.util
import re
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from dynamodel.design.model import Design
from dynamodel.emit._common import Billing, Capacity, JsonDict
from dynamodel.emit.cloudformation import render_cloudformation
from dynamodel.emit.sam import render_action_stack, render_sam
from dynamodel.emit.stack_names import file_stem, stack_name, stack_parameter
from dynamodel.errors import DefinitionError
from dynamodel.validate_actions import BUILTIN_ACTION

__all__ = [
    "MIGRATE_DEFAULTS",
    "MIGRATE_MODULE",
    "STACK_NAMING",
    "Import",
    "Stack",
    "app_stacks",
    "deploy_order",
    "deploy_plan",
    "find_cycle",
    "migrate_available",
    "resolve_imports",
    "select_stacks",
    "stack_graph",
]

STACK_NAMING = "<app>-<stack>-<Stage>"
"""How a stack is deployed; ``:`` and ``_`` in ``<app>-<stack>`` are written ``-``."""
MIGRATE_MODULE = "dynamodel.emit.stepfunctions"
"""Where the migration fan-out's template comes from (``render_migrate_stack``)."""
MIGRATE_DEFAULTS: Mapping[str, Any] = {"segments": 4, "max_wcu": None}
"""The migrate stack's options when none are given: ``migrate up``'s defaults."""
_VARIABLE = re.compile(r"\$\{([^}!][^}]*)\}")
_KEEP = "Stage"  # the one parameter left symbolic: the graph is the same for every stage


@dataclass(frozen=True)
class Stack:
    """One stack of the app: its key (``table``, ``action:<name>``, ``migrate``) and template.

    ``imports`` and ``exports`` are read from the template each time, so a template edited
    after it was built is judged as it is now.
    """

    name: str
    app: str
    template: JsonDict

    @property
    def deployed_name(self) -> str:
        """The stack's name in CloudFormation, ``${Stage}`` left in: ``shop-table-${Stage}``."""
        return stack_name(self.app, self.name)

    @property
    def file_stem(self) -> str:
        """The template's file name without extension: ``shop.action-notify_shipped``."""
        return file_stem(self.app, self.name)

    @property
    def imports(self) -> tuple[str, ...]:
        """Every ``Fn::ImportValue`` name as written (``${TableStackName}-StreamArn``), once, sorted."""
        return tuple(sorted(set(_import_texts(self.template, self.name))))

    @property
    def exports(self) -> tuple[str, ...]:
        """Every export name, resolved: ``shop-table-${Stage}-StreamArn``, in output order."""
        names = []
        for output_id, output in (self.template.get("Outputs") or {}).items():
            export = output.get("Export") if isinstance(output, Mapping) else None
            if export is None:
                continue
            text = _sub_text(export.get("Name"), f"stack '{self.name}' output {output_id}")
            names.append(_substitute(text, {"AWS::StackName": self.deployed_name}, self.name))
        return tuple(names)


@dataclass(frozen=True)
class Import:
    """One import of a stack: the export's resolved name, the stack exporting it, the parameter used."""

    export: str
    source: str
    parameter: str | None


def _sub_text(value: object, where: str) -> str:
    # A name is a plain string or an Fn::Sub (short or with a variable map); anything else
    # (Fn::Join, a Ref) cannot be matched by name without deploying.
    if isinstance(value, str):
        return value
    if isinstance(value, Mapping) and set(value) == {"Fn::Sub"}:
        sub = value["Fn::Sub"]
        if isinstance(sub, str):
            return sub
        if isinstance(sub, list) and len(sub) == 2 and isinstance(sub[0], str) and not sub[1]:
            return sub[0]
    msg = f"{where}: the name {value!r} is neither a string nor an Fn::Sub of one."
    raise DefinitionError(
        msg, hint="write import and export names as Fn::Sub strings, e.g. ${TableStackName}-StreamArn"
    )


def _walk_imports(node: object) -> Iterator[object]:
    if isinstance(node, Mapping):
        for key, value in node.items():
            if key == "Fn::ImportValue":
                yield value
            else:
                yield from _walk_imports(value)
    elif isinstance(node, list):
        for value in node:
            yield from _walk_imports(value)


def _import_texts(template: JsonDict, stack: str) -> list[str]:
    return [
        _sub_text(v, f"stack '{stack}' Fn::ImportValue") for v in _walk_imports(template.get("Resources"))
    ] + [_sub_text(v, f"stack '{stack}' Fn::ImportValue") for v in _walk_imports(template.get("Outputs"))]


def _substitute(text: str, values: Mapping[str, str], stack: str) -> str:
    def one(match: re.Match[str]) -> str:
        name = match.group(1)
        if name == _KEEP:
            return match.group(0)
        if name not in values:
            msg = f"Stack '{stack}': '{text}' uses ${{{name}}}, which names no stack of the app."
            raise DefinitionError(
                msg, hint="import through a <Stack>StackName parameter (e.g. ${TableStackName}) or ${Stage}"
            )
        return values[name]

    return _VARIABLE.sub(one, text)


def _by_name(stacks: Sequence[Stack]) -> dict[str, Stack]:
    found: dict[str, Stack] = {}
    for s in stacks:
        if s.name in found:
            msg = f"Two stacks are called '{s.name}'."
            raise DefinitionError(msg, hint="give every stack its own name")
        found[s.name] = s
    return found


def resolve_imports(stacks: Sequence[Stack]) -> dict[str, tuple[Import, ...]]:
    """Each stack's imports, resolved to the stack exporting them.

    Raises:
        DefinitionError: an import names a parameter the template does not declare, no stack
            exports it, or two stacks export the same name.
    """
    by_name = _by_name(stacks)
    parameters = {stack_parameter(s.name): s.deployed_name for s in stacks}
    exporter: dict[str, str] = {}
    for s in stacks:
        for export in s.exports:
            if export in exporter:
                msg = f"Stacks '{exporter[export]}' and '{s.name}' both export '{export}'."
                raise DefinitionError(msg, hint="export under ${AWS::StackName}-<Output> only")
            exporter[export] = s.name
    resolved: dict[str, tuple[Import, ...]] = {}
    for s in by_name.values():
        declared = set(s.template.get("Parameters") or {})
        found: list[Import] = []
        for text in s.imports:
            used = [m.group(1) for m in _VARIABLE.finditer(text) if m.group(1) != _KEEP]
            for name in used:
                if name in parameters and name not in declared:
                    msg = f"Stack '{s.name}' imports '{text}' but declares no parameter {name}."
                    raise DefinitionError(msg, hint=f"add the String parameter {name} to its template")
            name = _substitute(text, parameters, s.name)
            if name not in exporter:
                msg = f"Stack '{s.name}' imports '{name}', which no stack of the app exports."
                raise DefinitionError(msg, hint=f"exports: {', '.join(sorted(exporter)) or 'none'}")
            found.append(Import(export=name, source=exporter[name], parameter=used[0] if used else None))
        resolved[s.name] = tuple(found)
    return resolved


def stack_graph(stacks: Sequence[Stack]) -> dict[str, tuple[str, ...]]:
    """Stack name -> the stacks it imports from (its dependencies), in the stacks' order."""
    position = {s.name: i for i, s in enumerate(stacks)}
    imports = resolve_imports(stacks)
    return {
        s.name: tuple(sorted({i.source for i in imports[s.name]}, key=position.__getitem__)) for s in stacks
    }


def find_cycle(graph: Mapping[str, Sequence[str]]) -> list[str] | None:
    """A cycle of the graph as ``[a, b, ..., a]`` (a imports from b ...), or None."""
    state: dict[str, int] = {}  # 1: on the current path, 2: done
    path: list[str] = []

    def visit(node: str) -> list[str] | None:
        state[node] = 1
        path.append(node)
        for dep in graph.get(node, ()):
            if state.get(dep) == 1:
                return [*path[path.index(dep) :], dep]
            if dep not in state:
                cycle = visit(dep)
                if cycle:
                    return cycle
        path.pop()
        state[node] = 2
        return None

    for node in graph:
        if node not in state:
            cycle = visit(node)
            if cycle:
                return cycle
    return None


def deploy_order(stacks: Sequence[Stack]) -> list[str]:
    """The stacks in an order CloudFormation can deploy them: each after those it imports from.

    Ties keep the stacks' order (table, propagate, actions by name, migrate), so the order is
    the same on every run.

    Raises:
        DefinitionError: the imports form a cycle (named in the message), or do not resolve.
    """
    graph = stack_graph(stacks)
    cycle = find_cycle(graph)
    if cycle:
        chain = " -> ".join(cycle)
        msg = f"The stacks' imports form a cycle: {chain} (each imports from the next), so none can be deployed first."
        raise DefinitionError(
            msg, hint="an action or migrate stack may import from the table stack, never the reverse"
        )
    order: list[str] = []
    done: set[str] = set()
    while len(order) < len(graph):
        # The first stack (in the given order) whose dependencies are all deployed.
        ready = next(n for n, deps in graph.items() if n not in done and all(d in done for d in deps))
        order.append(ready)
        done.add(ready)
    return order


def app_stacks(
    design: Design,
    *,
    include_migrate: bool = False,
    migrate_options: Mapping[str, Any] | None = None,
    billing: Billing = "PAY_PER_REQUEST",
    capacity: Capacity | None = None,
) -> list[Stack]:
    """The app's stacks: table, ``action:propagate`` (with copy paths), each action, ``migrate``.

    Args:
        design: the derived design.
        include_migrate: add the migration fan-out (``migrate``) built by
            ``dynamodel.emit.stepfunctions.render_migrate_stack(design, **migrate_options)``.
        migrate_options: keyword arguments of that function (``segments``, ``max_wcu``), over
            :data:`MIGRATE_DEFAULTS`.
        billing, capacity: the table's billing (see :func:`render_cloudformation`).

    Raises:
        DefinitionError: a template cannot be built (see each renderer), or the migrate stack
            was asked for and this installation has no migration fan-out emitter.
    """
    app = design.app.name
    stacks = [Stack("table", app, render_cloudformation(design, billing=billing, capacity=capacity))]
    if design.copy_paths:
        stacks.append(Stack(f"action:{BUILTIN_ACTION}", app, render_sam(design)))
    stacks.extend(
        Stack(f"action:{a.name}", app, render_action_stack(design, a))
        for a in sorted(design.app.actions, key=lambda a: a.name)
    )
    if include_migrate:
        stacks.append(
            Stack("migrate", app, _migrate_template(design, {**MIGRATE_DEFAULTS, **(migrate_options or {})}))
        )
    return stacks


def migrate_available() -> bool:
    """Whether this installation can emit the ``migrate`` stack (its emitter is optional)."""
    return importlib.util.find_spec(MIGRATE_MODULE) is not None


def _migrate_template(design: Design, options: Mapping[str, Any]) -> JsonDict:
    # Imported here: the fan-out emitter is optional, and every other stack works without it.
    try:
        module = importlib.import_module(MIGRATE_MODULE)
    except ModuleNotFoundError as exc:
        if exc.name != MIGRATE_MODULE:
            raise
        msg = "This dynamodel has no migration fan-out emitter (dynamodel.emit.stepfunctions)."
        raise DefinitionError(
            msg, hint="emit the other stacks (--stack table, action:NAME) or upgrade dynamodel"
        ) from None
    template: JsonDict = module.render_migrate_stack(design, **options)
    return template


def select_stacks(stacks: Sequence[Stack], which: str) -> list[Stack]:
    """``all`` (in deploy order) or the one stack called ``which``.

    Raises:
        DefinitionError: no stack is called ``which``.
    """
    if which == "all":
        by_name = _by_name(stacks)
        return [by_name[n] for n in deploy_order(stacks)]
    for s in stacks:
        if s.name == which:
            return [s]
    msg = f"The app has no stack '{which}'."
    raise DefinitionError(msg, hint=f"use all or one of: {', '.join(s.name for s in stacks)}")


def deploy_plan(
    stacks: Sequence[Stack], selected: Sequence[Stack] | None = None, *, ext: str = "yaml"
) -> JsonDict:
    """``deploy-order.json``: the selected stacks in deploy order, their files, parameters and imports.

    A parameter naming another stack carries the ``value`` to pass (``shop-table-${Stage}``:
    put the stage in); a parameter with a default may be left out.
    """
    order = deploy_order(stacks)
    imports = resolve_imports(stacks)
    by_name = _by_name(stacks)
    chosen = {s.name for s in (selected if selected is not None else stacks)}
    values = {stack_parameter(s.name): s.deployed_name for s in stacks}
    entries: list[JsonDict] = []
    for name in (n for n in order if n in chosen):
        s = by_name[name]
        parameters: JsonDict = {}
        for pname, spec in (s.template.get("Parameters") or {}).items():
            row: JsonDict = {"required": "Default" not in spec}
            if pname in values:
                row["value"] = values[pname]
            elif "Default" in spec:
                row["default"] = spec["Default"]
            parameters[pname] = row
        entries.append(
            {
                "stack": name,
                "stackName": s.deployed_name,
                "template": f"{s.file_stem}.{ext}",
                "sam": "Transform" in s.template,
                "parameters": parameters,
                "imports": [{"export": i.export, "from": i.source} for i in imports[name]],
                "exports": list(s.exports),
            }
        )
    app = stacks[0].app if stacks else ""
    return {"app": app, "stackNames": STACK_NAMING, "order": [e["stack"] for e in entries], "stacks": entries}
