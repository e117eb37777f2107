"""A type defined here, outside dynamodel, works everywhere once registered.

``ipv4`` stores an ``ipaddress.IPv4Address`` as its dotted text (S) and keys it as eight hex
digits, which sort as the addresses do. The fixture registers it for one test and
unregisters it afterwards, so no other test sees it.
"""

from __future__ import annotations

import ipaddress
import json
from collections.abc import Iterator, Mapping, Sequence
from typing import Any, ClassVar, cast

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from dynamodel import App, Entity, Get, Query
from dynamodel.attribute_types import NAMES, AttributeType, AttributeValue, WireEncoder, register, unregister
from dynamodel.codec import deserialize, entity_to_item, item_to_values, serialize
from dynamodel.errors import DefinitionError, KeyEncodingError
from dynamodel.keys import KeyTemplate, Lit, Ref, ValueKind, decode_value, encode_value, range_bounds
from dynamodel.propagate.cli import parse_identity
from dynamodel.spec import AttributeSpec, AttrType
from dynamodel.spec_file import parse_spec
from dynamodel.testing.inprocess import InProcessEngine, create_test_table
from dynamodel.testing.strategies import for_attribute, value_pools

IPv4 = ipaddress.IPv4Address


def _ser_ip(value: IPv4) -> AttributeValue:
    return {"S": str(value)}


class IPv4Type(AttributeType):
    """IPv4 addresses: dotted text on the wire, zero-padded hex in keys."""

    name: ClassVar[str] = "ipv4"
    python_types: ClassVar[tuple[type, ...]] = (IPv4,)
    dynamodb_type: ClassVar[str] = "S"
    expected: ClassVar[str] = "an IPv4Address"
    keyable = pooled = True

    def encode_key(self, value: object) -> str:
        if not isinstance(value, IPv4):
            msg = f"an ipv4 key value must be an IPv4Address, got {value!r}"
            raise KeyEncodingError(msg, hint="pass ipaddress.IPv4Address(...)")
        return f"{int(value):08x}"

    def decode_key(self, text: str) -> object:
        if len(text) != 8 or text.strip("0123456789abcdef"):
            msg = f"{text!r} is not an encoded ipv4"
            raise KeyEncodingError(msg, hint="the key was not written by this template")
        return IPv4(int(text, 16))

    def to_wire(self, value: object, /) -> AttributeValue | None:
        return _ser_ip(value) if isinstance(value, IPv4) else None

    def from_wire(self, av: AttributeValue, /) -> object:
        return IPv4(av["S"])

    def wire_encoders(self) -> Mapping[type, WireEncoder]:
        return {IPv4: _ser_ip}

    def strategy(self, values: tuple[str, ...], tags: Sequence[str]) -> st.SearchStrategy[Any]:
        return st.ip_addresses(v=4)

    def pool(self, values: tuple[str, ...], tags: Sequence[str]) -> tuple[object, ...]:
        return (IPv4("0.0.0.9"), IPv4("0.0.0.10"), IPv4("10.0.0.1"), IPv4("255.255.255.255"))

    def sample(self, attr: str, values: tuple[str, ...], n: int) -> object:
        return IPv4(f"10.0.0.{n}")

    def parse(self, text: str) -> object:
        return IPv4(text)  # AddressValueError is a ValueError


class _IPv4WithOwnAttribute(IPv4Type):
    pynamodb_module: ClassVar[str] = "netattrs"

    @property
    def pynamodb_attribute(self) -> str:
        return "IPv4Attribute"


IPV4 = cast("ValueKind", "ipv4")  # a registered kind; the Literal lists only the built-in ones


@pytest.fixture
def ipv4() -> Iterator[IPv4Type]:
    attr_type = register(IPv4Type())
    try:
        yield attr_type
    finally:
        unregister("ipv4")
    assert "ipv4" not in NAMES


def _app() -> App:
    # Declared inside the test: the class statement needs the type registered.
    class Server(Entity, identity=("server_id",)):
        server_id: str
        ip: IPv4
        rack: str

    return App(
        "net",
        [Server],
        patterns=[
            Get(Server, by="server_id", name="get_server"),
            Get(Server, by="ip", unique=True, name="server_by_ip"),
            Query(Server, by="rack", sort="ip", range="between", name="servers_in_rack"),
        ],
    )


def test_registration_is_checked_and_undone(ipv4: IPv4Type) -> None:
    assert "ipv4" in NAMES
    with pytest.raises(DefinitionError, match="registered already"):
        register(IPv4Type())


def test_unregistered_types_keep_their_errors() -> None:
    with pytest.raises(KeyEncodingError, match="unknown key kind 'ipv4'") as info:
        encode_value("ipv4", IPv4("10.0.0.1"))
    assert "use one of str, int, decimal" in (info.value.hint or "")
    with pytest.raises(DefinitionError, match="cannot store"):

        class Host(Entity, identity=("ip",)):
            ip: IPv4


def test_keys_encode_decode_and_keep_order(ipv4: IPv4Type) -> None:
    low, high = IPv4("9.255.255.255"), IPv4("10.0.0.0")  # "9..." > "10..." as text
    assert encode_value("ipv4", low) == "09ffffff"
    assert decode_value("ipv4", encode_value("ipv4", high)) == high
    template = KeyTemplate((Lit("SERVER"), Ref("ip", IPV4)))
    assert template.render({"ip": low}) < template.render({"ip": high})
    assert template.parse(template.render({"ip": high})) == {"ip": high}
    bounds = range_bounds("SERVER#", "between", "ipv4", [low, high])
    assert isinstance(bounds, tuple)
    lo, hi = bounds
    assert lo <= template.render({"ip": low}) <= template.render({"ip": high}) <= hi
    with pytest.raises(KeyEncodingError, match="begins_with needs a str or enum"):
        range_bounds("SERVER#", "begins_with", "ipv4", [low])


@settings(max_examples=50, deadline=None)
@given(data=st.data())
def test_strategy_values_round_trip(data: st.DataObject) -> None:
    register(IPv4Type())  # a fixture would be shared by every example
    try:
        attr = AttributeSpec("ip", cast("AttrType", "ipv4"))
        a, b = data.draw(for_attribute(attr, pool=3)), data.draw(for_attribute(attr))
        assert isinstance(a, IPv4)
        assert deserialize(serialize(a)) == str(a)
        assert decode_value("ipv4", encode_value("ipv4", a)) == a
        assert (a < b) == (encode_value("ipv4", a) < encode_value("ipv4", b))
    finally:
        unregister("ipv4")


def test_codec_round_trip(ipv4: IPv4Type) -> None:
    spec = _app().spec.entity("Server")
    values = {"server_id": "s1", "ip": IPv4("192.168.0.7"), "rack": "r1"}
    item = entity_to_item(spec, values)
    assert item["ip"] == {"S": "192.168.0.7"}
    assert item_to_values(spec, item) == values
    assert serialize([IPv4("1.2.3.4")]) == {"L": [{"S": "1.2.3.4"}]}


def test_spec_file_and_tools_accept_it(ipv4: IPv4Type) -> None:
    app = _app()
    doc = {
        "app": "net",
        "entities": {"Host": {"identity": ["ip"], "attributes": {"ip": "ipv4"}}},
        "patterns": [{"name": "get_host", "get": "Host", "by": ["ip"]}],
    }
    assert parse_spec(doc).entity("Host").attribute("ip") == AttributeSpec("ip", cast("AttrType", "ipv4"))
    assert parse_identity(app.design, "Server", ["server_id=s1"]) == {"server_id": "s1"}
    pools = value_pools(app.spec)
    assert pools[("ip", "ipv4")][0] == IPv4("0.0.0.9")
    assert "0a000001#" in app.report()  # explain's sample 10.0.0.1, keyed as hex


def test_emitters_use_its_dynamodb_type(ipv4: IPv4Type) -> None:
    app = _app()
    source = app.to_pynamodb()
    assert 'ip = _attributes.UnicodeAttribute(attr_name="ip")' in source
    template = json.loads(app.to_cloudformation(as_json=True))
    table = next(r for r in template["Resources"].values() if r["Type"] == "AWS::DynamoDB::Table")
    # Only key attributes are declared, and every key is a string, whatever it encodes.
    assert {d["AttributeType"] for d in table["Properties"]["AttributeDefinitions"]} == {"S"}

    # A type whose PynamoDB attribute lives elsewhere: the generated module imports it.
    unregister("ipv4")
    register(_IPv4WithOwnAttribute())
    source = app.to_pynamodb()
    assert "from netattrs import IPv4Attribute as _IPv4Attribute\n" in source
    assert 'ip = _IPv4Attribute(attr_name="ip")' in source


def test_runtime_creates_gets_and_queries_by_it(ipv4: IPv4Type) -> None:
    app = _app()
    server = app.models["Server"]
    table = create_test_table(app, InProcessEngine().client())
    addresses = ["10.0.0.2", "9.0.0.1", "10.0.0.10", "192.168.1.1"]
    for n, ip in enumerate(addresses):
        table.create(server.model_validate({"server_id": f"s{n}", "ip": IPv4(ip), "rack": "r1"}))
    got = table.server_by_ip(ip=IPv4("10.0.0.10"))
    assert got is not None
    assert got.server_id == "s2"
    assert got.ip == IPv4("10.0.0.10")
    page = table.servers_in_rack(rack="r1", lo=IPv4("9.0.0.0"), hi=IPv4("10.0.0.10"))
    assert [s.ip for s in page.items] == [IPv4("9.0.0.1"), IPv4("10.0.0.2"), IPv4("10.0.0.10")]
