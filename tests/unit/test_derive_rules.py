"""Derivation rules (README, "How the design is derived"), one behaviour per test."""

from __future__ import annotations

import pytest

from dynamodel.design import derive
from dynamodel.errors import CollectionConflictError, UnsatisfiablePatternError
from dynamodel.spec import AppSpec
from dynamodel.spec_file import parse_spec_text

BASE = """
app: t
entities:
  Page:
    identity: []
    attributes: {title: str}
  Author:
    identity: [author_id]
    attributes: {author_id: str, country: str, status: {enum: [ACTIVE, GONE]}, joined: date, nick: {type: str, optional: true}}
  Post:
    identity: [post_id]
    parent: Author
    attributes: {post_id: str, author_id: str, posted: datetime, topic: str, hot: bool}
patterns:
"""


def app(*patterns: str) -> AppSpec:
    return parse_spec_text(BASE + "".join(f"  - {p}\n" for p in patterns))


def test_singleton_is_one_getitem() -> None:
    d = derive(app("{name: front, get: Page}"))
    plan = d.plan("front")
    assert (plan.operation, plan.index, plan.consistency) == ("GetItem", "table", "eventual")
    keys = d.keys_for("Page")
    assert keys is not None
    assert keys.pk.render({}) == "PAGE#"


def test_get_by_identity_is_a_getitem_strong_only_when_asked() -> None:
    d = derive(
        app(
            "{name: g, get: Author, by: [author_id]}",
            "{name: s, get: Author, by: [author_id], consistency: strong}",
        )
    )
    assert (d.plan("g").operation, d.plan("g").index, d.plan("g").consistency) == (
        "GetItem",
        "table",
        "eventual",
    )
    assert (d.plan("s").operation, d.plan("s").consistency) == ("GetItem", "strong")


def test_child_joins_parent_partition_on_the_base_table() -> None:
    d = derive(app("{name: a, query: [Author, Post], by: [author_id], sort: posted, order: desc}"))
    plan = d.plan("a")
    # posted is mutable, so the sorted collection cannot be the base table's
    assert plan.index == "GSI1"
    assert len(d.indexes) == 1
    posts = d.keys_for("Post", "GSI1")
    authors = d.keys_for("Author", "GSI1")
    assert posts is not None
    assert authors is not None
    assert posts.pk.pattern() == authors.pk.pattern()
    # read backwards, the author block must come first: its tag sorts after the posts'
    assert authors.tag + "#" > posts.tag + "#"


def test_unsorted_collection_uses_the_base_table_with_ancestor_key() -> None:
    d = derive(app("{name: a, query: [Author, Post], by: [author_id]}"))
    assert d.plan("a").index == "table"
    assert not d.indexes
    post = d.keys_for("Post")
    assert post is not None
    assert post.pk.attrs() == ("author_id",)
    assert post.sk.attrs() == ("post_id",)


def test_where_makes_a_sparse_index() -> None:
    d = derive(app("{name: active, query: Author, where: {status: ACTIVE}, sort: joined}"))
    keys = d.keys_for("Author", d.plan("active").index)
    assert keys is not None
    assert keys.sparse == (("status", "ACTIVE"),)
    assert "sparse_index" in d.techniques


def test_optional_key_attribute_is_never_used_by_a_pattern_that_does_not_name_it() -> None:
    d = derive(
        app(
            "{name: by_nick, query: Author, by: [country], sort: nick}",
            "{name: by_country, query: Author, by: [country]}",
        )
    )
    nick_keys = d.keys_for("Author", d.plan("by_nick").index)
    assert nick_keys is not None
    assert nick_keys.optional_attrs == ("nick",)
    assert d.plan("by_country").index != d.plan("by_nick").index


def test_hot_low_cardinality_partition_is_write_sharded() -> None:
    d = derive(app("{name: hot, query: Post, by: [hot], sort: posted, rate: {writes_per_s: 4200}}"))
    plan = d.plan("hot")
    assert plan.shards == 5
    assert plan.requests == 5
    assert "write_sharding" in d.techniques


def test_high_cardinality_partition_is_not_sharded() -> None:
    plan = derive(
        app("{name: hot, query: Post, by: [topic], sort: posted, rate: {writes_per_s: 4200}}")
    ).plan("hot")
    assert plan.shards == 1


def test_patterns_with_nested_equality_share_one_index() -> None:
    d = derive(
        app(
            "{name: a, query: Post, by: [topic]}",
            "{name: b, query: Post, by: [topic, hot]}",
            "{name: c, query: Post, by: [topic, hot], sort: posted, range: between}",
        )
    )
    assert {d.plan(n).index for n in "abc"} == {"GSI1"}
    assert len(d.indexes) == 1


def test_conflicting_sorts_need_two_indexes_and_entities_share_them() -> None:
    d = derive(
        app(
            "{name: a, query: Post, by: [topic], sort: posted}",
            "{name: b, query: Post, by: [topic], sort: post_id}",
            "{name: c, query: Author, by: [country]}",
        )
    )
    assert d.plan("a").index != d.plan("b").index
    assert len(d.indexes) == 2


def test_strong_consistency_off_identity_is_refused_with_a_fix() -> None:
    with pytest.raises(UnsatisfiablePatternError) as info:
        derive(app("{name: s, query: Post, by: [topic], consistency: strong}"))
    assert "'s'" in str(info.value)
    assert info.value.hint is not None
    assert "strong" in info.value.hint


def test_range_on_a_collection_is_refused() -> None:
    with pytest.raises(UnsatisfiablePatternError, match="range"):
        derive(app("{name: r, query: [Author, Post], by: [author_id], sort: posted, range: between}"))


def test_sorted_members_whose_sort_types_differ_are_a_collection_conflict() -> None:
    text = BASE.replace("attributes: {title: str}", "attributes: {title: str, author_id: str, posted: date}")
    text = text.replace("identity: []", "identity: [title]")
    with pytest.raises(CollectionConflictError, match="posted"):
        derive(parse_spec_text(text + "  - {name: r, query: [Page, Post], by: [author_id], sort: posted}\n"))


def test_allow_scan_turns_an_unservable_pattern_into_a_scan() -> None:
    plan = derive(app("{name: s, query: Post, by: [topic], consistency: strong, allow_scan: true}")).plan("s")
    assert (plan.operation, plan.uses_scan) == ("Scan", True)


def test_unique_get_adds_a_guard_and_makes_writes_transactional() -> None:
    d = derive(
        app(
            "{name: by_nick, get: Author, by: [country], unique: true}",
            "{name: w, write: [Author]}",
        )
    )
    assert [g.attrs for g in d.guards] == [("country",)]
    assert d.plan("w").operation == "TransactWriteItems"


def test_many_to_many_gets_an_inverted_index() -> None:
    text = """
app: m
entities:
  Membership:
    identity: [group_id, user_id]
    attributes: {group_id: str, user_id: str}
patterns:
  - {name: members, query: Membership, by: [group_id]}
  - {name: groups_of_user, query: Membership, by: [user_id]}
"""
    d = derive(parse_spec_text(text))
    assert "inverted_index" in d.techniques
    assert len(d.indexes) == 1


def test_a_unique_get_that_includes_the_identity_adds_no_guard() -> None:
    # (author_id) identifies one author already: a guard item on (author_id, country) would add a
    # write to every put and guard nothing.
    d = derive(
        app(
            "{name: one, get: Author, by: [author_id, country], unique: true}",
            "{name: same, get: Author, by: [author_id], unique: true}",
            "{name: w, write: [Author]}",
        )
    )
    assert d.guards == ()
    assert d.plan("w").operation == "PutItem"
    assert "transactional_uniqueness" not in d.techniques
