"""How the app's stacks and their resources are named, so stages never share anything.

* A stack is deployed as ``<app>-<stack>-<Stage>`` with ``:`` and ``_`` written ``-``
  (CloudFormation stack names take letters, digits and ``-`` only): ``shop-table-dev``,
  ``shop-action-notify-shipped-dev``, ``shop-migrate-dev``. A template cannot read its own
  stack's name into a parameter's default, so a stack importing from another is given that
  stack's name as a parameter (``TableStackName``); the graph
  (:mod:`dynamodel.emit.stacks`) resolves those parameters by this convention.
* A parameter naming the stack ``<stack>`` is ``<Stack>StackName`` in CamelCase:
  ``table`` → ``TableStackName``, ``action:notify_shipped`` → ``ActionNotifyShippedStackName``.
* An action's function is ``<app>-${Stage}-<action>``, and its topic, queue, alarm and log
  group carry the same name with a suffix. A Lambda function name has at most 64
  characters: the Stage parameter's ``MaxLength`` is what is left, so CloudFormation refuses
  a longer stage before it creates anything. When app and action names leave fewer than
  :data:`MIN_STAGE_ROOM` characters, both are cut and an 8-character digest of the full pair
  keeps the name unique: ``<app[:18]>-${Stage}-<action cut>-<digest>``.
"""

from __future__ import annotations

import hashlib

from dynamodel.emit._common import JsonDict
from dynamodel.errors import DefinitionError

__all__ = [
    "MAX_FUNCTION_NAME",
    "MAX_STACK_NAME",
    "MIN_STAGE_ROOM",
    "STAGE_PATTERN",
    "file_stem",
    "function_name",
    "logical_prefix",
    "stack_name",
    "stack_parameter",
]

MAX_FUNCTION_NAME = 64
MAX_STACK_NAME = 128
MIN_STAGE_ROOM = 16
"""Characters a stage may always have, e.g. a CI build's ``gh-12345678901-1``."""
STAGE_PATTERN = "^[A-Za-z0-9-]+$"
"""A stage every stack and resource name takes (stack names have no ``_`` or ``.``)."""
_APP_CUT = 18
_DIGEST = 8


def _camel(text: str) -> str:
    return "".join(part[:1].upper() + part[1:] for part in text.replace(":", "_").split("_") if part)


def logical_prefix(action: str) -> str:
    """The logical-id prefix of an action's resources: ``notify_shipped`` → ``NotifyShipped``."""
    return _camel(action)


def stack_parameter(stack: str) -> str:
    """The parameter that names the deployed ``stack``: ``table`` → ``TableStackName``."""
    return f"{_camel(stack)}StackName"


def stack_name(app: str, stack: str, stage: str = "${Stage}") -> str:
    """The deployed name of ``stack``: ``shop``, ``action:notify_shipped`` → ``shop-action-notify-shipped-${Stage}``.

    Raises:
        DefinitionError: the name leaves no room for a stage within 128 characters.
    """
    fixed = f"{app}-{stack}".replace(":", "-").replace("_", "-")
    if len(fixed) + 2 > MAX_STACK_NAME:
        msg = f"Stack '{stack}' of app '{app[:40]}' would be named {fixed[:60]}...-<Stage>, over CloudFormation's {MAX_STACK_NAME} characters."
        raise DefinitionError(
            msg, hint=f"shorten the app name to {MAX_STACK_NAME - 2 - len(stack) - 1} characters or fewer"
        )
    return f"{fixed}-{stage}"


def file_stem(app: str, stack: str) -> str:
    """The file name of a stack's template without its extension: ``shop.action-notify_shipped``."""
    return f"{app}.{stack.replace(':', '-')}"


def function_name(app: str, action: str) -> tuple[JsonDict, int]:
    """An action's function name (an ``Fn::Sub``) and the longest stage it leaves room for."""
    if len(app) + len(action) + 2 + MIN_STAGE_ROOM <= MAX_FUNCTION_NAME:
        head, tail = app, action
    else:
        digest = hashlib.sha256(f"{app}\0{action}".encode()).hexdigest()[:_DIGEST]
        head = app[:_APP_CUT]
        room = MAX_FUNCTION_NAME - MIN_STAGE_ROOM - len(head) - 2 - (_DIGEST + 1)
        tail = f"{action[:room]}-{digest}"
    stage_room = MAX_FUNCTION_NAME - len(head) - len(tail) - 2
    # The stack name must fit the same stage: <app>-action-<action>-<Stage>.
    stack_room = MAX_STACK_NAME - len(stack_name(app, f"action:{action}", stage=""))
    return {"Fn::Sub": f"{head}-${{Stage}}-{tail}"}, min(stage_room, stack_room)
