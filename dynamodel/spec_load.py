"""Spec file text to a plain document (dicts, lists, scalars), refusing hostile input clearly.

YAML is read with the YAML 1.2 core schema (PyYAML implements 1.1, where ``010`` is 8,
``1:30`` is 90 and ``2.5e3`` a string), mapping keys are the text written, and three
bounds keep a small file small: nesting depth, nodes added by aliases (a "billion laughs"
file is 2 KB), and what error messages print. ``.json`` files are read by the json module.
Whatever the bytes, the only exception is a DefinitionError.
"""

from __future__ import annotations

import json
import re
import reprlib
from collections.abc import Collection, Iterator, Mapping
from typing import Any, Literal

import yaml
from yaml.nodes import MappingNode, Node, ScalarNode, SequenceNode

from dynamodel.errors import DefinitionError, UnknownFieldError

__all__ = ["ALIAS_BUDGET", "MAX_DEPTH", "decode", "load_document", "short"]

MAX_DEPTH = 64
"""Deepest nesting accepted (a spec needs about 7 levels)."""
ALIAS_BUDGET = 10_000
"""Nodes that aliases may add to a document once expanded."""

Format = Literal["yaml", "json"]

_INT = "tag:yaml.org,2002:int"
_FLOAT = "tag:yaml.org,2002:float"
_MERGE = "tag:yaml.org,2002:merge"

_short = reprlib.Repr()
_short.maxstring = 60
_short.maxother = 60
_short.maxlist = _short.maxtuple = _short.maxdict = _short.maxset = 4
_short.maxlevel = 2


def short(value: object) -> str:
    """A repr cut to a few dozen characters: messages never print a whole document."""
    return _clip(_short.repr(value), 120)


def _error(source: str, message: str, hint: str, line: int | None = None) -> DefinitionError:
    where = f"{source}, line {line}" if line is not None else source
    end = "" if message.endswith((".", ")")) else "."
    return DefinitionError(f"{where}: {message}{end}", hint=hint)


def decode(data: bytes, source: str) -> str:
    """UTF-8 bytes to text (a leading BOM dropped); the offset of the first bad byte otherwise."""
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as exc:
        line = data.count(b"\n", 0, exc.start) + 1
        msg = f"not UTF-8: byte 0x{data[exc.start]:02x} at offset {exc.start} ({exc.reason})"
        raise _error(source, msg, "save the file as UTF-8", line) from None
    return text.removeprefix("\ufeff")


# ---- YAML -------------------------------------------------------------------------------------


class SpecLoader(yaml.SafeLoader):
    """SafeLoader with the YAML 1.2 core schema, text keys, and depth and alias bounds."""

    yaml_implicit_resolvers: dict[Any, list[tuple[str, re.Pattern[str]]]] = {}  # noqa: RUF012 - PyYAML's class-level table

    def __init__(self, stream: str) -> None:
        super().__init__(stream)
        self._depth = 0

    def compose_node(self, parent: Node | None, index: int) -> Node | None:
        # The composer is the only recursive part of PyYAML: bound it before Python's stack.
        self._depth += 1
        try:
            if self._depth > MAX_DEPTH:
                mark = self.peek_event().start_mark  # type: ignore[no-untyped-call]
                raise _error(
                    self.name,
                    f"nested deeper than {MAX_DEPTH} levels",
                    "a spec needs a few levels; flatten it",
                    mark.line + 1,
                )
            return super().compose_node(parent, index)
        finally:
            self._depth -= 1

    def get_single_node(self) -> Node | None:
        node = super().get_single_node()
        if node is not None:
            _check_expansion(node, self.name)
            _check_text_scalars(node, self.name)
        return node


for _tag, _regexp, _first in (
    ("tag:yaml.org,2002:null", r"~|null|Null|NULL|", ["~", "n", "N", ""]),
    ("tag:yaml.org,2002:bool", r"true|True|TRUE|false|False|FALSE", list("tTfF")),
    (_INT, r"[-+]?[0-9]+|0o[0-7]+|0x[0-9a-fA-F]+", [*"-+0123456789"]),
    (
        _FLOAT,
        r"[-+]?(?:\.[0-9]+|[0-9]+(?:\.[0-9]*)?)(?:[eE][-+]?[0-9]+)?|[-+]?\.(?:inf|Inf|INF)|\.(?:nan|NaN|NAN)",
        [*"-+.0123456789"],
    ),
):
    SpecLoader.add_implicit_resolver(_tag, re.compile(rf"^(?:{_regexp})$"), _first)


def _core_int(text: str) -> int:
    """An int as YAML 1.2 reads it (``010`` is ten; 1.1 said eight)."""
    sign, digits = (-1, text[1:]) if text[:1] == "-" else (1, text.removeprefix("+"))
    if digits[:2] in ("0o", "0x"):
        return sign * int(digits[2:], 8 if digits[1] == "o" else 16)
    return sign * int(digits.replace("_", ""), 10)


def _construct_int(loader: SpecLoader, node: ScalarNode) -> int:
    text = str(loader.construct_scalar(node))
    try:
        return _core_int(text)
    except ValueError as exc:
        raise _error(
            loader.name,
            f"{short(text)} is not an integer ({exc})",
            "write a decimal integer",
            node.start_mark.line + 1,
        ) from None


def _construct_mapping(loader: SpecLoader, node: MappingNode) -> Iterator[dict[str, Any]]:
    # A generator, as PyYAML's own: children are built after the parent, without recursion.
    data: dict[str, Any] = {}
    yield data
    for key_node, value_node in node.value:
        line = key_node.start_mark.line + 1
        if key_node.tag == _MERGE or (key_node.value == "<<" and getattr(key_node, "style", 0) is None):
            raise _error(
                loader.name,
                "merge keys ('<<') are not supported",
                "write the keys out, or alias the whole mapping",
                line,
            )
        if not isinstance(key_node, ScalarNode):
            kind = "a list" if isinstance(key_node, SequenceNode) else "a mapping"
            raise _error(loader.name, f"a mapping key is {kind}; keys are names", "write 'name: value'", line)
        key = str(key_node.value)  # names keep the text written: 'NULL' is not None, '010' not 8
        if key in data:
            raise _error(
                loader.name, f"{short(key)} is declared twice in one mapping", "keep one declaration", line
            )
        data[key] = loader.construct_object(value_node)


SpecLoader.add_constructor(_INT, _construct_int)
SpecLoader.add_constructor(yaml.resolver.BaseResolver.DEFAULT_MAPPING_TAG, _construct_mapping)


def _check_expansion(root: Node, source: str) -> None:
    """Refuse recursive aliases, and documents whose aliases expand too far or too deep.

    PyYAML shares an aliased node, so the document stays small in memory, but anything that
    walks or prints it (an error message) sees the expansion.
    """
    size: dict[int, int] = {}
    depth: dict[int, int] = {}
    on_path: set[int] = set()
    distinct = 0
    stack: list[tuple[Node, bool]] = [(root, False)]
    while stack:
        node, done = stack.pop()
        key = id(node)
        children = _children(node)
        if done:
            on_path.discard(key)
            size[key] = 1 + sum(size[id(c)] for c in children)
            depth[key] = 1 + max((depth[id(c)] for c in children), default=0)
            if depth[key] > MAX_DEPTH:
                raise _error(
                    source,
                    f"nested deeper than {MAX_DEPTH} levels (through aliases)",
                    "a spec needs a few levels; flatten it",
                    node.start_mark.line + 1,
                )
            if size[key] - distinct > ALIAS_BUDGET:
                msg = f"aliases expand to more than {ALIAS_BUDGET:,} nodes"
                raise _error(
                    source,
                    msg,
                    "write the values out, or alias fewer and smaller nodes",
                    node.start_mark.line + 1,
                )
            continue
        if key in size:
            continue
        if key in on_path:
            raise _error(
                source,
                "an alias refers to a node that contains itself",
                "remove the recursive alias",
                node.start_mark.line + 1,
            )
        on_path.add(key)
        distinct += 1
        stack.append((node, True))
        stack.extend((c, False) for c in children)


def _children(node: Node) -> list[Node]:
    if isinstance(node, SequenceNode):
        return list(node.value)
    if isinstance(node, MappingNode):
        return [n for pair in node.value for n in pair]
    return []


def _get(node: Node | None, key: str) -> Node | None:
    if isinstance(node, MappingNode):
        for k, v in node.value:
            if isinstance(k, ScalarNode) and k.value == key:
                return v  # type: ignore[no-any-return]
    return None


def _values(node: Node | None) -> list[Node]:
    if isinstance(node, MappingNode):
        return [v for _, v in node.value]
    if isinstance(node, SequenceNode):
        return list(node.value)
    return []


def _check_text_scalars(root: Node, source: str) -> None:
    """Enum and where values are text: a plain scalar that YAML reads as a number written in
    a form that is not the number's own text (``010``, ``0x1F``, ``+5``, ``1e3``) would change
    silently (YAML 1.1 says ``010`` is 8, YAML 1.2 says 10), so it is refused."""
    scalars: list[tuple[Node, str]] = []
    for entity in _values(_get(root, "entities")):
        for attr in _values(_get(entity, "attributes")):
            scalars += [(v, "an enum value") for v in _values(_get(attr, "enum"))]
    for pattern in _values(_get(root, "patterns")):
        for match in _values(_get(pattern, "where")):
            scalars += [(v, "a where value") for v in (_values(match) or [match])]
    for node, what in scalars:
        if not isinstance(node, ScalarNode) or node.style is not None or node.tag not in (_INT, _FLOAT):
            continue
        text = str(node.value)
        number: object
        try:
            number = _core_int(text) if node.tag == _INT else float(text)
        except ValueError:
            continue  # an explicit !!int tag the constructor refuses with its own message
        if str(number) != text:
            msg = f"{text} reads as the number {number} (YAML 1.1 tools read some such forms otherwise), but {what} is text"
            raise _error(
                source,
                msg,
                f"quote it: '{text}' (or write {number} for the number)",
                node.start_mark.line + 1,
            )


def _load_yaml(text: str, source: str) -> object:
    loader: SpecLoader | None = None
    try:
        loader = SpecLoader(text)  # the reader refuses unprintable characters right here
        loader.name = source
        return loader.get_single_data()
    except DefinitionError:
        raise
    except yaml.reader.ReaderError as exc:
        char = f"U+{exc.character:04X}" if isinstance(exc.character, int) else repr(exc.character)
        msg = f"character {char} at offset {exc.position} is not allowed in YAML"
        raise _error(
            source, msg, "remove control characters (write them as escapes in a quoted string)"
        ) from None
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        where = f"line {mark.line + 1} column {mark.column + 1}: " if mark is not None else ""
        context = f" ({exc.context})" if exc.context else ""
        msg = f"not valid YAML: {where}{_clip(str(exc.problem))}{context}"
        raise _error(source, msg, "check indentation, quotes and brackets") from None
    except yaml.YAMLError as exc:
        msg = f"not valid YAML: {_clip(str(exc))}"
        raise _error(source, msg, "check indentation, quotes and brackets") from None
    except Exception as exc:  # PyYAML's constructors raise whatever a tagged value makes them raise
        msg = f"a value cannot be read: {_clip(str(exc))}"
        raise _error(source, msg, "remove the explicit tag (!!...) or fix the value") from None
    finally:
        if loader is not None:
            loader.dispose()


# ---- JSON -------------------------------------------------------------------------------------


def _pairs(source: str) -> Any:
    def hook(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
        out: dict[str, Any] = {}
        for key, value in pairs:
            if key in out:
                raise _error(source, f"{short(key)} is declared twice in one object", "keep one declaration")
            out[key] = value
        return out

    return hook


def _no_constant(name: str) -> Any:
    msg = f"{name} is not a JSON value"
    raise ValueError(msg)


def _load_json(text: str, source: str) -> object:
    try:
        data = json.loads(text, object_pairs_hook=_pairs(source), parse_constant=_no_constant)
    except DefinitionError:
        raise
    except json.JSONDecodeError as exc:
        msg = f"not valid JSON: line {exc.lineno} column {exc.colno}: {exc.msg}"
        raise _error(
            source, msg, "check commas, quotes and brackets (JSON allows no comments or trailing commas)"
        ) from None
    except RecursionError:
        raise _error(
            source, f"nested deeper than {MAX_DEPTH} levels", "a spec needs a few levels; flatten it"
        ) from None
    except ValueError as exc:  # NaN, Infinity, numbers beyond Python's digit limit
        raise _error(
            source, f"not valid JSON: {_clip(str(exc))}", "write plain numbers and strings"
        ) from None
    _check_depth(data, source)
    return data


def _check_depth(data: object, source: str) -> None:
    stack: list[tuple[object, int]] = [(data, 1)]
    while stack:
        value, level = stack.pop()
        if level > MAX_DEPTH:
            raise _error(
                source, f"nested deeper than {MAX_DEPTH} levels", "a spec needs a few levels; flatten it"
            )
        if isinstance(value, dict):
            stack.extend((v, level + 1) for v in value.values())
        elif isinstance(value, list):
            stack.extend((v, level + 1) for v in value)


def _clip(text: str, limit: int = 400) -> str:
    return text if len(text) <= limit else text[:limit] + " ..."


def _looks_like_json(text: str) -> bool:
    return text.lstrip()[:1] == "{"


def load_document(data: str | bytes, *, source: str = "<spec>", fmt: Format | None = None) -> object:
    """Parse spec text (or UTF-8 bytes) into plain values.

    Args:
        data: the file's content.
        source: the file name, for messages.
        fmt: ``"json"`` parses strictly as JSON; ``"yaml"`` as YAML; None as JSON when the
            text is a JSON object (YAML would refuse its tabs and read ``2.5e3`` as text),
            else as YAML.

    Raises:
        DefinitionError: whatever is wrong, with the line where one is known.
    """
    text = decode(data, source) if isinstance(data, bytes) else data.removeprefix("\ufeff")
    if fmt == "json":
        return _load_json(text, source)
    if fmt is None and _looks_like_json(text):
        try:
            return _load_json(text, source)
        except DefinitionError as exc:
            if "not valid JSON" not in exc.message:
                raise  # JSON, but wrong: say so rather than try YAML
    return _load_yaml(text, source)


def named_entry(
    kind: str, index: int, raw: object, allowed: Collection[str], *, example: str, why_named: str
) -> tuple[Mapping[str, Any], str, str]:
    """A list entry of a spec file that must be a mapping with a ``name`` and only ``allowed`` keys.

    Returns:
        ``(entry, name, label)``, the label naming the entry in messages (``Pattern 'x'``).

    Raises:
        DefinitionError: not a mapping, or no name; UnknownFieldError: a key not allowed.
    """
    if not isinstance(raw, Mapping):
        msg = f"{kind} #{index + 1}: expected a mapping like {example}."
        raise DefinitionError(msg, hint="see docs/spec-format.md §1")
    name = raw.get("name")
    label = f"{kind} '{name}'" if isinstance(name, str) else f"{kind} #{index + 1}"
    if not isinstance(name, str):
        msg = f"{label}: 'name' is missing."
        raise DefinitionError(msg, hint=f"give each {kind.lower()} a unique name; {why_named}")
    unknown = set(raw) - set(allowed)
    if unknown:
        msg = f"{label}: unknown key(s) {sorted(unknown)}."
        raise UnknownFieldError(msg, hint=f"allowed keys: {sorted(allowed)}")
    return raw, name, label
