"""Generated PynamoDB models: they import, create the same table, and read items written in dynamodel's layout."""

from __future__ import annotations

import types
from collections.abc import Collection
from datetime import UTC, datetime
from decimal import Decimal
from typing import TYPE_CHECKING, Any

import boto3
import pytest
from pynamodb.indexes import LocalSecondaryIndex
from pynamodb.models import Model
from test_emit_support import CASE_IDS, design_of

from access_patterns.tickets import tickets
from dynamodel import App, Entity, Get, NonEmptyStr, Query
from dynamodel.compile.items import base_key
from dynamodel.design import Design
from dynamodel.emit import render_create_table, render_pynamodb
from dynamodel.emit.pynamodb_models import MODEL_MEMBERS, left_out
from dynamodel.errors import DefinitionError
from dynamodel.spec import AttributeSpec

if TYPE_CHECKING:
    from mypy_boto3_dynamodb.client import DynamoDBClient

TABLE = "emit-pynamodb"


class Post(Entity, identity=("post_no",)):
    """Keyed natively on (author_id S) / (post_no N): one attribute per key part."""

    post_no: int
    author_id: NonEmptyStr
    title: str


POSTS = App(
    "posts",
    [Post],
    patterns=[Get(Post, by="post_no"), Query(Post, by="author_id", sort="post_no")],
    key_style="native",
)


class User(Entity, identity=("user_id",)):
    user_id: str
    name: str


class Note(Entity, identity=("user_id", "note_id"), parent=User):
    """Read in two more orders within its user's partition: two LSIs, one read strongly."""

    user_id: str
    note_id: str
    title: str
    updated_at: datetime


NOTES = App(
    "notes",
    [User, Note],
    patterns=[
        Get(User, by="user_id", name="get_user"),
        Query(Note, by="user_id", sort="note_id", name="notes_by_id"),
        Query(Note, by="user_id", sort="updated_at", order="desc", consistency="strong", name="recent_notes"),
        Query(Note, by="user_id", sort="title", name="notes_by_title"),
    ],
)
LSI_CASE = "local/notes_lsi"


def _case(case: str) -> Design:
    return NOTES.design if case == LSI_CASE else design_of(case)


def _load(design: Design, **options: Any) -> types.ModuleType:
    module = types.ModuleType(f"generated_{design.app.name.replace('-', '_')}")
    exec(compile(render_pynamodb(design, **options), f"{module.__name__}.py", "exec"), module.__dict__)
    return module


def _base(module: types.ModuleType) -> type[Model]:
    (base,) = [v for v in vars(module).values() if isinstance(v, type) and Model in v.__bases__]
    return base


def _keys(design: Design, entity: str, values: dict[str, Any]) -> dict[str, str]:
    item: dict[str, str] = {}
    for keys in design.entity_indexes(entity):
        index = design.index(keys.index)
        if all(values.get(a) == v for a, v in keys.sparse):
            item[index.partition_key] = keys.pk.render(values)
            item[index.sort_key] = keys.sk.render(values)
    return item


def _several_attributes_in_a_part(design: Design) -> set[str]:
    """The GSIs PynamoDB cannot declare (stated here, not asked of the emitter)."""
    return {
        ix.name for ix in design.indexes if len(ix.partition_attributes) > 1 or len(ix.sort_attributes) > 1
    }


def _assert_same_table(client: DynamoDBClient, design: Design, without: Collection[str] = ()) -> None:
    """The table on moto is render_create_table's (its LSIs too), less the GSIs in ``without``
    and the key attributes only they use."""
    described = client.describe_table(TableName=TABLE)["Table"]
    wanted = render_create_table(design, TABLE)
    gsis = [g for g in wanted.get("GlobalSecondaryIndexes", []) if g["IndexName"] not in without]
    lsis = wanted.get("LocalSecondaryIndexes", [])
    used = {
        k["AttributeName"]
        for k in [*wanted["KeySchema"], *(k for g in [*gsis, *lsis] for k in g["KeySchema"])]
    }
    assert described["KeySchema"] == wanted["KeySchema"]
    assert sorted(
        (d["AttributeName"], d["AttributeType"]) for d in described["AttributeDefinitions"]
    ) == sorted(
        (d["AttributeName"], d["AttributeType"])
        for d in wanted["AttributeDefinitions"]
        if d["AttributeName"] in used
    )
    got = {
        g["IndexName"]: (g["KeySchema"], g["Projection"]) for g in described.get("GlobalSecondaryIndexes", [])
    }
    assert got == {g["IndexName"]: (g["KeySchema"], g["Projection"]) for g in gsis}
    local = {
        i["IndexName"]: (i["KeySchema"], i["Projection"]) for i in described.get("LocalSecondaryIndexes", [])
    }
    assert local == {i["IndexName"]: (i["KeySchema"], i["Projection"]) for i in lsis}
    assert described["BillingModeSummary"]["BillingMode"] == "PAY_PER_REQUEST"
    assert described.get("StreamSpecification") == wanted.get("StreamSpecification")


def _pk(design: Design, entity: str, index: str, values: dict[str, Any]) -> str:
    keys = design.keys_for(entity, index)
    assert keys is not None
    return keys.pk.render(values)


def test_model_members_list_matches_the_installed_pynamodb() -> None:
    public = {name for name in dir(Model) if not name.startswith("_")}
    assert public <= MODEL_MEMBERS


def test_header_says_generated_and_how_to_regenerate() -> None:
    source = render_pynamodb(design_of("spec/shop"))
    assert source.startswith("# generated by dynamodel — do not edit; regenerate with `dynamodel emit")
    assert "--format pynamodb`" in source.splitlines()[0]


@pytest.mark.parametrize("case", [*CASE_IDS, LSI_CASE])
def test_models_import_and_create_the_same_table(moto_client: DynamoDBClient, case: str) -> None:
    design = _case(case)
    module = _load(design, table_name=TABLE)
    for ent in design.app.entities:
        cls = next(
            v
            for v in vars(module).values()
            if isinstance(v, type) and issubclass(v, Model) and v.__name__.rstrip("_") == ent.name
        )
        stored = {attr.attr_name for attr in cls.get_attributes().values()}
        assert {a.name for a in ent.attributes} <= stored
        assert "_type" in stored
    # The indexes PynamoDB cannot declare are left out, and the module says which.
    missing = _several_attributes_in_a_part(design)
    assert {ix.name for ix in left_out(design)} == missing
    assert all(f"\n    {name}: (" in (module.__doc__ or "") for name in missing), module.__doc__
    _base(module).create_table(wait=True)
    _assert_same_table(moto_client, design, without=missing)
    ttl = moto_client.describe_time_to_live(TableName=TABLE)["TimeToLiveDescription"]
    assert (ttl["TimeToLiveStatus"] == "ENABLED") == design.needs_ttl  # an entity ttl, or action markers


def test_pynamodb_reads_items_written_in_the_design_layout(moto_client: DynamoDBClient) -> None:
    design = design_of("spec/shop")
    module = _load(design, table_name=TABLE)
    module.ShopItem.create_table(wait=True)
    table = boto3.resource("dynamodb", region_name="us-east-1").Table(TABLE)
    placed = datetime(2024, 1, 2, 3, 4, 5, tzinfo=UTC)
    customer: dict[str, Any] = {
        "customer_id": "c1",
        "email": "a@example.com",
        "name": "Ada",
        "order_count": 1,
    }
    order: dict[str, Any] = {
        "order_id": "o1",
        "customer_id": "c1",
        "status": "OPEN",
        "placed_at": placed,
        "total": Decimal("12.50"),
        "customer_name": "Ada",
        "_shard": 0,
    }
    line: dict[str, Any] = {"order_id": "o1", "line_no": 1, "sku": "SKU-1", "qty": 2}
    for entity, values in (("Customer", customer), ("Order", order), ("OrderLine", line)):
        # dynamodel's runtime stores datetimes as ISO-8601 UTC strings with microseconds and 'Z'.
        stored = {
            k: v.strftime("%Y-%m-%dT%H:%M:%S.%fZ") if isinstance(v, datetime) else v
            for k, v in values.items()
        }
        stored.pop("_shard", None)
        table.put_item(Item={**_keys(design, entity, values), **stored, "_type": entity})

    got = module.Customer.get("CUSTOMER#c1#", "CUSTOMER#")
    assert (got.customer_id, got.email, got.name, got.order_count) == ("c1", "a@example.com", "Ada", 1)

    (by_customer,) = module.Order.gsi1.query(_pk(design, "Order", "GSI1", order))
    assert isinstance(by_customer, module.Order)
    assert (by_customer.order_id, by_customer.status, by_customer.total) == ("o1", "OPEN", 12.5)
    assert by_customer.placed_at == "2024-01-02T03:04:05.000000Z"
    assert by_customer.customer_name == "Ada"

    # The base model is polymorphic: one query on GSI1 returns the customer and its order.
    mixed = list(module.ShopItem.gsi1.query("CUSTOMER#c1#"))
    assert sorted(type(item).__name__ for item in mixed) == ["Customer", "Order"]

    lines = list(module.OrderLine.query("ORDER#o1#", module.OrderLine.SK.startswith("ORDER_LINE#")))
    assert [(x.line_no, x.sku, x.qty) for x in lines] == [(1, "SKU-1", 2)]
    (open_order,) = module.Order.gsi2.query(_pk(design, "Order", "GSI2", order))
    assert open_order.order_id == "o1"


def test_every_attribute_type_round_trips(moto_client: DynamoDBClient) -> None:
    design = design_of("local/kitchen_sink")
    module = _load(design, table_name=TABLE)
    thing = module.Thing
    # Names that would shadow PynamoDB or generated members get a trailing underscore.
    assert {"count_", "query_", "class_", "gsi1_", "expires_at"} <= set(thing.get_attributes())
    module.KitchenSinkItem.create_table(wait=True)
    values: dict[str, Any] = {
        "thing_id": "t1",
        "kind": "A",
        "seen_at": datetime(2024, 1, 2, 3, 4, 5, tzinfo=UTC),
    }
    item: dict[str, Any] = {
        **_keys(design, "Thing", values),
        **values,
        "seen_at": "2024-01-02T03:04:05.000000Z",
        "_type": "Thing",
        "count": 3,
        "query": "q",
        "class": "it",
        "gsi1": "g",
        "price": Decimal("9.99"),
        "ratio": Decimal("0.5"),
        "active": True,
        "born_on": "2000-02-29",
        "blob": b"\x00\xff",
        "tags": ["x", Decimal(1)],
        "extra": {"k": "v"},
        "expires_at": 1_700_000_000,
        "_expires_at": 1_700_000_000,
    }
    boto3.resource("dynamodb", region_name="us-east-1").Table(TABLE).put_item(Item=item)
    table_keys = design.keys_for("Thing")
    assert table_keys is not None
    got = thing.get(table_keys.pk.render(values), table_keys.sk.render(values))
    assert (got.count_, got.query_, got.class_, got.gsi1_) == (3, "q", "it", "g")
    assert (got.price, got.ratio, got.active, got.born_on) == (9.99, 0.5, True, "2000-02-29")
    assert (got.blob, got.tags, got.extra.as_dict(), got.kind) == (b"\x00\xff", ["x", 1], {"k": "v"}, "A")
    assert got.expires_at == 1_700_000_000
    assert got._expires_at == datetime.fromtimestamp(1_700_000_000, tz=UTC)
    assert got._type is thing  # the discriminator reads back as the class
    assert got.seen_at == "2024-01-02T03:04:05.000000Z"


def test_table_name_comes_from_the_environment_by_default(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("DYNAMODEL_TABLE_NAME", "from-env")
    assert _base(_load(design_of("spec/shop"))).Meta.table_name == "from-env"
    monkeypatch.delenv("DYNAMODEL_TABLE_NAME")
    assert _base(_load(design_of("spec/shop"))).Meta.table_name == "shop-dev"


def test_provisioned_models_carry_capacity() -> None:
    base = _base(_load(design_of("spec/shop"), billing="PROVISIONED", capacity={"table": (3, 4)}))
    assert (base.Meta.billing_mode, base.Meta.read_capacity_units, base.Meta.write_capacity_units) == (
        "PROVISIONED",
        3,
        4,
    )


def test_an_attribute_named_like_a_key_attribute_is_refused() -> None:
    design = design_of("spec/shop")
    customer = design.app.entity("Customer")
    clash = type(customer)(
        **{**customer.__dict__, "attributes": (*customer.attributes, AttributeSpec("GSI1PK", "str"))}
    )
    app = type(design.app)(design.app.name, (clash, *design.app.entities[1:]), design.app.patterns)
    with pytest.raises(DefinitionError, match="GSI1PK") as info:
        render_pynamodb(type(design)(**{**design.__dict__, "app": app}))
    assert "rename 'GSI1PK'" in (info.value.hint or ""), info.value.hint


def test_a_native_index_of_one_attribute_per_part_is_a_pynamodb_index(moto_client: DynamoDBClient) -> None:
    design = POSTS.design
    (gsi,) = design.indexes
    assert (gsi.partition_attributes, gsi.sort_attributes) == ((("author_id", "S"),), (("post_no", "N"),))
    module = _load(design, table_name=TABLE)
    assert "Post on GSI1: (author_id) / (post_no), native" in (module.__doc__ or "")
    assert "Not in these models" not in (module.__doc__ or "")
    # No rendered keys exist for a native index, so the base model declares none.
    assert set(module.PostsItem.get_attributes()) == {"PK", "SK", "_type"}
    module.PostsItem.create_table(wait=True)
    _assert_same_table(moto_client, design)

    runtime = POSTS.connect(TABLE, moto_client, cursor_secret=b"pynamodb-native-test-secret")
    for no, author in ((2, "a1"), (1, "a1"), (3, "a2")):
        runtime.put(Post(post_no=no, author_id=author, title=f"post {no}"))
    by_author = list(module.Post.gsi1.query("a1"))
    assert all(isinstance(p, module.Post) for p in by_author)
    assert [(p.post_no, p.author_id, p.title) for p in by_author] == [
        (1, "a1", "post 1"),
        (2, "a1", "post 2"),
    ]
    (later,) = module.Post.gsi1.query("a1", module._GSI1Index.post_no > 1)
    assert later.post_no == 2


@pytest.mark.parametrize(
    ("app", "kept", "missing"),
    [
        (tickets, {"GSI1", "GSI2"}, {"GSI3": "(tenant_id) / (created_at, ticket_id)"}),
        (
            tickets.with_key_style("native"),
            {"GSI2", "GSI4"},
            {
                "GSI1": "(tenant_id, email) / (user_id)",
                "GSI3": "(assignee_id) / (created_at, ticket_id)",
                "GSI5": "(tenant_id) / (created_at, ticket_id)",
            },
        ),
    ],
    ids=["auto", "native"],
)
def test_an_index_of_several_attributes_in_a_part_is_left_out_and_named(
    moto_client: DynamoDBClient, app: App, kept: set[str], missing: dict[str, str]
) -> None:
    source = render_pynamodb(app.design, table_name=TABLE)
    module = _load(app.design, table_name=TABLE)
    doc = module.__doc__ or ""
    for name, keys in missing.items():
        assert f"Ticket on {name}: {keys}, native" in doc or f"User on {name}: {keys}, native" in doc
        assert f"\n    {name}: {keys}\n" in doc
        assert f"# {name} is left out: PynamoDB cannot declare a key part of several attributes." in source
        assert f"# Its keys: {keys}." in source
        assert (
            f"# Create the table from the CloudFormation or boto3 output; query {name} through dynamodel."
            in source
        )
        assert not hasattr(module, f"_{name}Index")
        assert not hasattr(module.TicketsItem, name.lower())
    assert "create the table from `dynamodel emit --format cloudformation`" in doc
    assert {name for name in kept if hasattr(module.TicketsItem, name.lower())} == kept
    # The base model holds no key attribute of a native index: those are the entities' own.
    natives = {n for ix in app.design.indexes if ix.native for n, _ in ix.key_definitions()}
    assert not natives & {a.attr_name for a in module.TicketsItem.get_attributes().values()}
    module.TicketsItem.create_table(wait=True)
    _assert_same_table(moto_client, app.design, without=set(missing))


def test_an_lsi_is_a_pynamodb_local_index_on_the_items_own_partition(moto_client: DynamoDBClient) -> None:
    design = NOTES.design
    assert (design.plan("notes_by_title").index, design.plan("recent_notes").index) == ("LSI1", "LSI2")
    assert not design.indexes
    module = _load(design, table_name=TABLE)
    assert isinstance(module.NotesItem.lsi1, LocalSecondaryIndex)
    assert isinstance(module.NotesItem.lsi2, LocalSecondaryIndex)
    # The LSI's hash key is the table's PK; the base model holds only its sort key, nullable.
    hash_key, range_key = (module._LSI1Index.Meta.attributes[n] for n in ("PK", "LSI1SK"))
    assert (hash_key.attr_name, hash_key.is_hash_key, range_key.is_range_key) == ("PK", True, True)
    declared = module.NotesItem.get_attributes()
    assert {"LSI1SK", "LSI2SK"} <= set(declared)
    assert declared["LSI1SK"].null
    module.NotesItem.create_table(wait=True)
    _assert_same_table(moto_client, design)

    runtime = NOTES.connect(TABLE, moto_client, cursor_secret=b"pynamodb-lsi-test-secret")
    runtime.put(User(user_id="u1", name="Ada"))
    for no, title, day in (("n1", "cherry", 3), ("n2", "apple", 1), ("n3", "banana", 2)):
        runtime.put(
            Note(user_id="u1", note_id=no, title=title, updated_at=datetime(2024, 1, day, tzinfo=UTC))
        )
    runtime.put(
        Note(user_id="u2", note_id="n9", title="aardvark", updated_at=datetime(2024, 2, 1, tzinfo=UTC))
    )
    # The LSI partition is the item's own PK, as the runtime renders it.
    pk = base_key(design, "Note", {"user_id": "u1", "note_id": "n1"})["PK"]["S"]
    by_title = list(module.Note.lsi1.query(pk))
    assert all(isinstance(n, module.Note) for n in by_title)
    assert [(n.note_id, n.title) for n in by_title] == [("n2", "apple"), ("n3", "banana"), ("n1", "cherry")]
    recent = module.Note.lsi2.query(pk, consistent_read=True, scan_index_forward=False)
    assert [n.note_id for n in recent] == ["n1", "n3", "n2"]
    (banana,) = module.Note.lsi1.query(pk, module._LSI1Index.LSI1SK.startswith("NOTE#banana#"))
    assert (banana.note_id, banana.updated_at) == ("n3", "2024-01-02T00:00:00.000000Z")
    # Through the polymorphic base model, the LSI's items still read back as their entity class.
    assert {type(n).__name__ for n in module.NotesItem.lsi1.query(pk)} == {"Note"}


def test_an_lsi_takes_no_capacity_of_its_own(moto_client: DynamoDBClient) -> None:
    module = _load(NOTES.design, table_name=TABLE, billing="PROVISIONED", capacity={"table": (3, 4)})
    assert not hasattr(module._LSI1Index.Meta, "read_capacity_units")
    module.NotesItem.create_table(wait=True)
    described = moto_client.describe_table(TableName=TABLE)["Table"]
    assert described["ProvisionedThroughput"]["ReadCapacityUnits"] == 3
    assert sorted(i["IndexName"] for i in described["LocalSecondaryIndexes"]) == ["LSI1", "LSI2"]
