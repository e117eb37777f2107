"""Immutable attributes may sit in base-table keys (rule 2), so a list sorted by a date that
never changes is served from its parent's partition without a GSI.

Each shape is derived twice, with and without ``immutable``, so the test shows what the
declaration buys; designs without immutable attributes are unchanged (test_published_cases and
test_examples pin them).
"""

from __future__ import annotations

import json

import pytest

from dynamodel.compile import base_key, key_attrs
from dynamodel.design import derive, design_to_dict, design_to_json, explain
from dynamodel.design.model import TABLE, Design
from dynamodel.errors import RequestError
from dynamodel.spec import AppSpec
from dynamodel.spec_file import parse_spec_text

TICKETS = """
app: tickets
entities:
  Tenant:
    identity: [tenant_id]
    attributes: {tenant_id: str, name: str}
  User:
    identity: [user_id]
    parent: Tenant
    attributes: {user_id: str, tenant_id: str, email: str, name: str}
  Ticket:
    identity: [ticket_id]
    parent: Tenant
    attributes:
      ticket_id: str
      tenant_id: str
      title: str
      status: {enum: [OPEN, PENDING, SOLVED, CLOSED]}
      assignee_id: {type: str, optional: true}
      created_at: datetime
      comment_count: int
  Comment:
    identity: [ticket_id, comment_id]
    parent: Ticket
    IMMUTABLE
    attributes: {ticket_id: str, comment_id: str, author_id: str, posted_at: datetime, body: str}
patterns:
  - {name: get_tenant, get: Tenant, by: [tenant_id]}
  - {name: get_user, get: User, by: [user_id]}
  - {name: user_by_email, get: User, by: [tenant_id, email], unique: true}
  - {name: users_of_tenant, query: User, by: [tenant_id], sort: name}
  - {name: get_ticket, get: Ticket, by: [ticket_id]}
  - {name: tickets_of_tenant, query: Ticket, by: [tenant_id], sort: created_at, order: desc, range: between}
  - {name: tickets_assigned_to, query: Ticket, by: [assignee_id], sort: created_at, order: desc}
  - {name: comments_of_ticket, query: Comment, by: [ticket_id], sort: posted_at, range: gte}
  - {name: ticket_with_latest_comments, query: [Ticket, Comment], by: [ticket_id], sort: posted_at, order: desc}
  - {name: add_comment, write: [Comment], increments: {Ticket.comment_count: 1}}
"""

AUCTIONS = """
app: auctions
entities:
  Auction:
    identity: [auction_id]
    attributes: {auction_id: str, title: str, closes_at: datetime}
  Member:
    identity: [member_id]
    attributes: {member_id: str, name: str}
  Bid:
    identity: [auction_id, bid_id]
    parent: Auction
    IMMUTABLE_BID
    attributes: {auction_id: str, bid_id: str, bidder_id: str, amount: decimal, placed_at: datetime}
  Purchase:
    identity: [member_id, purchase_id]
    parent: Member
    IMMUTABLE_PURCHASE
    attributes: {member_id: str, purchase_id: str, auction_id: str, price: decimal, purchased_at: datetime}
patterns:
  - {name: get_auction, get: Auction, by: [auction_id]}
  - {name: get_member, get: Member, by: [member_id]}
  - {name: bids_of_auction, query: Bid, by: [auction_id], sort: placed_at, order: desc, rate: {writes_per_s: 300}}
  - {name: bids_of_bidder, query: Bid, by: [bidder_id], sort: placed_at, order: desc}
  - {name: purchases_of_member, query: Purchase, by: [member_id], sort: purchased_at, order: desc, range: between}
"""

# The IMDb model of the DynamoDB migration lab: a movie's partition holds its cast and crew
# (sort key prefixed by category) and its regional titles (prefixed by region); one GSI finds
# a person's credits.
MOVIES = """
app: movies
entities:
  Movie:
    identity: [movie_id]
    attributes: {movie_id: str, title: str, start_year: int}
  Credit:
    identity: [movie_id, ordering]
    parent: Movie
    IMMUTABLE_CREDIT
    attributes: {movie_id: str, ordering: int, person_id: str, category: str, characters: str, start_year: int}
  RegionalTitle:
    identity: [movie_id, ordering]
    parent: Movie
    IMMUTABLE_REGION
    attributes: {movie_id: str, ordering: int, region: str, language: str, title: str}
patterns:
  - {name: get_movie, get: Movie, by: [movie_id]}
  - {name: cast_and_crew, query: Credit, by: [movie_id]}
  - {name: credits_in_category, query: Credit, by: [movie_id, category]}
  - {name: regional_titles, query: RegionalTitle, by: [movie_id]}
  - {name: title_in_region, query: RegionalTitle, by: [movie_id, region]}
  - {name: movies_of_person, query: Credit, by: [person_id], sort: start_year, order: desc}
"""


def spec(text: str, **immutable: str) -> AppSpec:
    """The spec with each IMMUTABLE placeholder replaced by `immutable: [...]` (or removed)."""
    for line in [ln.strip() for ln in text.splitlines() if ln.strip().startswith("IMMUTABLE")]:
        key = line.removeprefix("IMMUTABLE").lstrip("_").lower() or "comment"
        value = immutable.get(key)
        text = text.replace(line, f"immutable: [{value}]" if value else "")
    return parse_spec_text(text)


def gsis_of(design: Design, entity: str) -> list[str]:
    return [k.index for k in design.entity_indexes(entity) if k.index != TABLE]


def test_ticket_comments_sorted_by_posted_at_live_in_the_tickets_partition() -> None:
    before = derive(spec(TICKETS))
    after = derive(spec(TICKETS, comment="posted_at"))
    assert (len(before.indexes), len(after.indexes)) == (3, 2)
    assert after.optimal
    comment = after.keys_for("Comment")
    ticket = after.keys_for("Ticket")
    assert comment is not None
    assert ticket is not None
    assert comment.pk.pattern() == ticket.pk.pattern() == "TICKET#{ticket_id}#"
    assert comment.sk.pattern() == "COMMENT#{posted_at}#{comment_id}#"
    for name in ("comments_of_ticket", "ticket_with_latest_comments"):
        assert after.plan(name).index == TABLE, name
    assert gsis_of(after, "Comment") == []


def test_auction_dates_in_the_base_sort_key_save_an_index_write_per_bid() -> None:
    before = derive(spec(AUCTIONS))
    after = derive(spec(AUCTIONS, bid="placed_at", purchase="purchased_at"))
    assert (len(before.indexes), len(after.indexes)) == (2, 1)
    assert (len(gsis_of(before, "Bid")), len(gsis_of(after, "Bid"))) == (2, 1)
    assert gsis_of(after, "Purchase") == []
    bid = after.keys_for("Bid")
    assert bid is not None
    assert bid.sk.pattern() == "BID#{placed_at}#{bid_id}#"
    assert after.plan("bids_of_auction").index == TABLE
    assert after.plan("purchases_of_member").index == TABLE


def test_movie_credits_reach_the_experts_single_gsi() -> None:
    before = derive(spec(MOVIES))
    after = derive(spec(MOVIES, credit="category", region="region"))
    assert (len(before.indexes), before.optimal) == (2, True)
    assert (len(after.indexes), after.optimal) == (1, True)
    credit = after.keys_for("Credit")
    regional = after.keys_for("RegionalTitle")
    assert credit is not None
    assert regional is not None
    assert credit.sk.pattern() == "CREDIT#{category}#{ordering}#"
    assert regional.sk.pattern() == "REGIONAL_TITLE#{region}#{ordering}#"
    for name in ("cast_and_crew", "credits_in_category", "regional_titles", "title_in_region"):
        assert after.plan(name).index == TABLE, name


def test_an_immutable_attribute_in_the_base_key_is_part_of_the_items_key() -> None:
    design = derive(spec(TICKETS, comment="posted_at"))
    assert key_attrs(design, "Comment") == ("ticket_id", "posted_at", "comment_id")
    with pytest.raises(RequestError, match="posted_at") as info:
        base_key(design, "Comment", {"ticket_id": "t", "comment_id": "c"})
    assert "provide a value for 'posted_at'" in (info.value.hint or ""), info.value.hint


FOUND = """
app: found
entities:
  Tenant:
    identity: [tenant_id]
    attributes: {tenant_id: str, name: str}
  Ticket:
    identity: [ticket_id]
    parent: Tenant
    immutable: [created_at]
    attributes: {ticket_id: str, tenant_id: str, created_at: datetime, comment_count: int, title: str}
  Comment:
    identity: [ticket_id, comment_id]
    attributes: {ticket_id: str, comment_id: str, body: str, TITLE}
patterns:
  - {name: tickets_of_tenant, query: Ticket, by: [tenant_id], sort: created_at}
  - WRITE
"""


@pytest.mark.parametrize(
    ("title", "write"),
    [
        ("title: str", "{name: add_comment, write: [Comment], increments: {Ticket.comment_count: 1}}"),
        ("ticket_title: {copy: Ticket.title}", "{name: add_comment, write: [Comment]}"),
    ],
    ids=["increment-target", "copy-source"],
)
def test_items_others_find_by_identity_keep_identity_only_base_keys(title: str, write: str) -> None:
    # A comment carries only the ticket's identity: the ticket it increments or copies from
    # must be found by it, so created_at stays out of the ticket's base key (and costs a GSI).
    design = derive(parse_spec_text(FOUND.replace("TITLE", title).replace("WRITE", write)))
    ticket = design.keys_for("Ticket")
    assert ticket is not None
    assert "created_at" not in ticket.pk.attrs() + ticket.sk.attrs()
    assert design.plan("tickets_of_tenant").index != TABLE
    alone = derive(parse_spec_text(FOUND.replace("TITLE", "title: str").replace("  - WRITE\n", "")))
    assert alone.plan("tickets_of_tenant").index == TABLE


def test_explain_and_json_say_what_minimal_is_relative_to() -> None:
    design = derive(spec(TICKETS, comment="posted_at"))
    scope = design_to_dict(design)["minimal_among"]
    assert "immutable" in scope
    assert "one item per entity" in scope
    assert f"(minimal: proven among {scope})" in explain(design)
    # the old keys are all still there
    assert json.loads(design_to_json(design))["optimal"] is True
