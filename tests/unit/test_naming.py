"""One spelling of an entity name in Python names (issue 12, item 5)."""

from __future__ import annotations

import pytest

from dynamodel import Entity, Get, Write
from dynamodel.naming import snake_case
from dynamodel.runtime.write_patterns import target_keyword


class PRComment(Entity, identity=("comment_id",)):
    comment_id: str
    likes: int


@pytest.mark.parametrize(
    ("name", "snake"),
    [
        ("Order", "order"),
        ("OrderLine", "order_line"),
        ("PRComment", "pr_comment"),
        ("HTTPServer2", "http_server2"),
        ("Item2Tag", "item2_tag"),
        ("ABC", "abc"),
    ],
)
def test_snake_case(name: str, snake: str) -> None:
    assert snake_case(name) == snake


def test_default_names_and_keywords_spell_an_acronym_entity_alike() -> None:
    assert Get(PRComment, by="comment_id").name == "get_pr_comment_by_comment_id"
    assert Write(deletes=[PRComment]).name == "delete_pr_comment"
    assert target_keyword("PRComment") == "pr_comment_key"
