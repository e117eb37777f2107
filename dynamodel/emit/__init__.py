"""Emit the definitions of a design's table: CloudFormation, SAM, boto3 kwargs, PynamoDB models.

Everything here is pure and deterministic: a design in, dicts or text out, no I/O and no
boto3; the same design (however its entities and patterns were declared) gives the same
bytes. Shared conventions (table name, stream, the ``_expires_at`` TTL attribute, the
``_type`` attribute) are described in :mod:`dynamodel.emit._common`.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping, Sequence
from typing import Any, Literal, get_args

from dynamodel.design.model import Design
from dynamodel.emit._common import (
    DEFAULT_STAGE,
    TTL_ATTRIBUTE,
    TYPE_ATTRIBUTE,
    Billing,
    Capacity,
    default_table_name,
    to_text,
)
from dynamodel.emit.boto3_kwargs import render_create_table, render_post_create, render_update_steps
from dynamodel.emit.cloudformation import render_cloudformation, render_cloudformation_text
from dynamodel.emit.pynamodb_models import render_pynamodb
from dynamodel.emit.sam import render_action_stack, render_sam, render_sam_text
from dynamodel.emit.stacks import (
    Stack,
    app_stacks,
    deploy_order,
    deploy_plan,
    migrate_available,
    select_stacks,
    stack_graph,
)
from dynamodel.emit.workbench import emit_workbench
from dynamodel.errors import DefinitionError

Format = Literal["cloudformation", "sam", "boto3", "pynamodb"]
FORMATS: tuple[Format, ...] = get_args(Format)
"""The formats that define the table (what every emit test covers)."""
WORKBENCH = "workbench"
EMIT_FORMATS: tuple[str, ...] = (*FORMATS, WORKBENCH)
"""Every ``dynamodel emit --format``: the table definitions and a NoSQL Workbench data model."""

__all__ = [
    "DEFAULT_STAGE",
    "DEPLOY_ORDER_FILE",
    "EMIT_FORMATS",
    "FORMATS",
    "TTL_ATTRIBUTE",
    "TYPE_ATTRIBUTE",
    "WORKBENCH",
    "Billing",
    "Capacity",
    "Format",
    "Stack",
    "app_stacks",
    "default_table_name",
    "deploy_order",
    "deploy_plan",
    "emit_files",
    "emit_workbench",
    "render_action_stack",
    "render_cloudformation",
    "render_cloudformation_text",
    "render_create_table",
    "render_post_create",
    "render_pynamodb",
    "render_sam",
    "render_sam_text",
    "render_update_steps",
    "stack_files",
    "stack_graph",
]

DEPLOY_ORDER_FILE = "deploy-order.json"


def emit_files(
    design: Design,
    fmt: str,
    *,
    as_json: bool = False,
    billing: Billing = "PAY_PER_REQUEST",
    capacity: Capacity | None = None,
    stack: str | None = None,
    migrate_options: Mapping[str, Any] | None = None,
    samples: Mapping[str, Sequence[Mapping[str, Any]]] | None = None,
) -> list[tuple[str, str]]:
    """The files ``dynamodel emit`` writes for one format, as ``(file name, text)`` pairs.

    Args:
        design: the derived design.
        fmt: ``cloudformation``, ``sam``, ``boto3``, ``pynamodb`` or ``workbench``.
        as_json: JSON instead of YAML for ``cloudformation`` and ``sam`` (``boto3`` is
            always JSON, ``pynamodb`` always Python).
        billing: ``PAY_PER_REQUEST`` (default) or ``PROVISIONED``; not used by ``sam``.
        capacity: per-index (read, write) units for ``PROVISIONED``.
        stack: with ``sam``, the app's stacks instead (see :func:`stack_files`): ``table``,
            ``action:NAME``, ``migrate`` or ``all``.
        migrate_options: keyword arguments of the ``migrate`` stack's emitter.
        samples: with ``workbench``, the stored sample items by entity name (the emit layer
            makes none: ``dynamodel emit`` passes ``dynamodel.testing.samples.sample_items``);
            none when not given.

    Returns:
        With ``stack``: see :func:`stack_files`. Otherwise, for ``shop``: ``shop.cloudformation.yaml``, ``shop.sam.yaml``,
        ``shop.create_table.json`` (``create_table`` kwargs and the calls to run after it,
        for the table ``shop-dev``), ``shop_pynamodb.py`` or ``shop.workbench.json`` (a NoSQL
        Workbench data model, :mod:`dynamodel.emit.workbench`).

    Raises:
        DefinitionError: unknown format, ``sam`` for a design without copies, or
            inconsistent billing options.

    Example:
        >>> [name for name, _ in emit_files(design, "cloudformation")]  # doctest: +SKIP
        ['shop.cloudformation.yaml']
    """
    app = design.app.name
    ext = "json" if as_json else "yaml"
    if stack is not None:
        if fmt != "sam":
            msg = f"--stack selects SAM stacks, but the format is {fmt!r}."
            raise DefinitionError(
                msg, hint="use --format sam with --stack (the table stack is plain CloudFormation)"
            )
        return stack_files(
            design,
            stack,
            as_json=as_json,
            billing=billing,
            capacity=capacity,
            migrate_options=migrate_options,
        )
    if fmt == "cloudformation":
        text = render_cloudformation_text(design, as_json=as_json, billing=billing, capacity=capacity)
        return [(f"{app}.cloudformation.{ext}", text)]
    if fmt == "sam":
        return [(f"{app}.sam.{ext}", render_sam_text(design, as_json=as_json))]
    if fmt == "boto3":
        document = {
            "create_table": render_create_table(design, billing=billing, capacity=capacity),
            "post_create": [
                {"operation": operation, "kwargs": kwargs} for operation, kwargs in render_post_create(design)
            ],
        }
        return [(f"{app}.create_table.json", json.dumps(document, indent=2, ensure_ascii=False) + "\n")]
    if fmt == "pynamodb":
        # App names may hold '-', which a Python module name cannot.
        module = re.sub(r"[^A-Za-z0-9_]", "_", app)
        return [(f"{module}_pynamodb.py", render_pynamodb(design, billing=billing, capacity=capacity))]
    if fmt == WORKBENCH:
        return [(f"{app}.workbench.json", emit_workbench(design, samples or {}))]
    msg = f"unknown emit format {fmt!r}."
    raise DefinitionError(msg, hint=f"use one of: {', '.join(EMIT_FORMATS)}")


def stack_files(
    design: Design,
    which: str,
    *,
    as_json: bool = False,
    billing: Billing = "PAY_PER_REQUEST",
    capacity: Capacity | None = None,
    migrate_options: Mapping[str, Any] | None = None,
) -> list[tuple[str, str]]:
    """One template per selected stack (``<app>.<stack>.yaml``, ``:`` written ``-``) and ``deploy-order.json``.

    Args:
        design: the derived design.
        which: ``all`` (every stack, ``migrate`` included when this installation can emit
            it), ``table``, ``action:NAME`` or ``migrate``.
        as_json: JSON templates instead of YAML.
        billing, capacity: the table stack's billing.
        migrate_options: keyword arguments of the ``migrate`` stack's emitter.

    Returns:
        The templates in deploy order, then ``deploy-order.json`` (:func:`deploy_plan`: the
        selected stacks in order, their files, parameters, imports and exports).

    Raises:
        DefinitionError: no such stack, a template cannot be built, or the imports form a cycle.

    Example:
        >>> [n for n, _ in stack_files(design, "all")]  # doctest: +SKIP
        ['shop.table.yaml', 'shop.action-propagate.yaml', 'deploy-order.json']
    """
    include_migrate = which == "migrate" or (which == "all" and migrate_available())
    stacks = app_stacks(
        design,
        include_migrate=include_migrate,
        migrate_options=migrate_options,
        billing=billing,
        capacity=capacity,
    )
    selected = select_stacks(stacks, which)
    ext = "json" if as_json else "yaml"
    files = [(f"{s.file_stem}.{ext}", to_text(s.template, as_json=as_json)) for s in selected]
    plan = deploy_plan(stacks, selected, ext=ext)
    files.append((DEPLOY_ORDER_FILE, json.dumps(plan, indent=2, ensure_ascii=False) + "\n"))
    return files
