"""A copy of an immutable attribute is filled at write time and never propagated.

Engine assumed: moto in process (``InProcessEngine``) for the write. Issue 11 item 10 (the
copy part): such a copy needs no propagation and no lookup index (copy path), so it adds
no GSI, no stream and no ``_born``, and the design says so.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime

from dynamodel import App, Copy, Entity, Get
from dynamodel.compile import is_copy_source
from dynamodel.testing.inprocess import InProcessEngine, create_test_table

JOINED = datetime(2025, 1, 2, tzinfo=UTC)


class Author(Entity, identity=("author_id",), immutable=("joined_at",)):
    author_id: str
    name: str
    joined_at: datetime


class Post(Entity, identity=("post_id",)):
    post_id: str
    author_id: str
    author_joined: datetime = Copy(Author.joined_at)


class Note(Entity, identity=("note_id",)):
    note_id: str
    author_id: str
    author_joined: datetime = Copy(Author.joined_at)
    author_name: str = Copy(Author.name)


class Member(Entity, identity=("author_id",)):  # the same source, its attribute mutable
    author_id: str
    name: str
    joined_at: datetime


class Badge(Entity, identity=("badge_id",)):
    badge_id: str
    author_id: str
    member_joined: datetime = Copy(Member.joined_at)


PATTERNS = [Get(Post, by="post_id", name="get_post")]
blog = App("blog", [Author, Post], patterns=PATTERNS)


def test_an_immutable_copy_adds_no_copy_path_no_index_and_no_stream() -> None:
    mutable = App("club", [Member, Badge], patterns=[Get(Badge, by="badge_id", name="get_badge")])
    assert len(mutable.design.copy_paths) == 1
    assert len(mutable.design.indexes) == 1  # the lookup from a member to its badges

    assert blog.design.copy_paths == ()
    assert blog.design.indexes == ()
    assert "StreamSpecification" not in blog.to_create_table("t")
    assert not is_copy_source(blog.design, "Author")  # no _born: nothing orders its states


def test_the_design_says_the_copy_is_filled_at_write_time() -> None:
    text = blog.explain()
    assert "Post.author_joined <- Author.joined_at: filled at write time" in text
    assert "propagation lag" not in text  # a read of the post sees its final copy
    assert not blog.design.plan("get_post").reads_copies
    data = json.loads(blog.to_json())
    assert data["copy_paths"] == []
    assert data["write_time_copies"] == [
        {"source": "Author", "target": "Post", "attributes": {"author_joined": "joined_at"}}
    ]
    # Designs without such copies stay byte-identical: the key appears only when needed.
    mutable = App("club", [Member, Badge], patterns=[Get(Badge, by="badge_id", name="get_badge")])
    assert "write_time_copies" not in json.loads(mutable.to_json())


def test_a_reference_with_both_kinds_propagates_only_the_mutable_copy() -> None:
    app = App("notes", [Author, Note], patterns=[Get(Note, by="note_id", name="get_note")])
    (path,) = app.design.copy_paths
    assert path.attributes == (("author_name", "name"),)


def test_the_copy_is_filled_when_the_post_is_written() -> None:
    table = create_test_table(blog, InProcessEngine().client(), cursor_secret=b"k" * 32)
    try:
        table.create(Author(author_id="a1", name="Ann", joined_at=JOINED))
        post = table.create(Post(post_id="p1", author_id="a1"))
        assert post.author_joined == JOINED
        stored = table.get_post(post_id="p1")
        assert stored is not None
        assert stored.author_joined == JOINED
    finally:
        table.client.delete_table(TableName=table.name)
