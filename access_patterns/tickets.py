"""A multi-tenant support-ticket app (the app of issue 11, as a new user modelled it).

Tenants have users (an email is unique within a tenant) and tickets; a ticket has a reporter,
an optional assignee (both named references to a User, whose name the ticket copies) and
comments sorted by when they were posted, and keeps a count of them.

A comment's ``posted_at`` never changes (``immutable``), so comments sit in their ticket's
partition sorted by it, with no GSI: 3 GSIs, where the same app without that declaration needs
4 (`dynamodel design access_patterns.tickets:tickets` says what each one serves; two of them
also find the tickets whose reporter's or assignee's name must follow a rename).
"""

from __future__ import annotations

from datetime import datetime
from typing import Literal

from dynamodel import App, Copy, Entity, Get, NonEmptyStr, Query, Write


class Tenant(Entity, identity=("tenant_id",)):
    """A customer organisation of the support desk."""

    tenant_id: NonEmptyStr
    name: str


class User(Entity, identity=("user_id",), parent=Tenant):
    """A user of one tenant; ``user_by_email`` makes the email unique within the tenant."""

    user_id: NonEmptyStr
    tenant_id: NonEmptyStr
    email: NonEmptyStr
    name: str


class Ticket(Entity, identity=("ticket_id",), parent=Tenant):
    """A support ticket, reported by one user and perhaps assigned to another."""

    ticket_id: NonEmptyStr
    tenant_id: NonEmptyStr
    title: str
    status: Literal["OPEN", "PENDING", "SOLVED", "CLOSED"]
    reporter_id: NonEmptyStr
    assignee_id: NonEmptyStr | None = None
    created_at: datetime
    comment_count: int
    # Two named references to User: one entity copies from one source twice.
    reporter_name: str = Copy(User.name, via={"user_id": "reporter_id"})
    assignee_name: str | None = Copy(User.name, via={"user_id": "assignee_id"}, optional=True)


class Comment(Entity, identity=("ticket_id", "comment_id"), parent=Ticket, immutable=("posted_at",)):
    """A comment on a ticket; ``comment_count`` on the ticket follows adds and deletes."""

    ticket_id: NonEmptyStr
    comment_id: NonEmptyStr
    author_id: NonEmptyStr
    posted_at: datetime
    body: str


tickets = App(
    "tickets",
    [Tenant, User, Ticket, Comment],
    patterns=[
        Get(Tenant, by="tenant_id", name="get_tenant"),
        Get(User, by="user_id", name="get_user"),
        Get(User, by=["tenant_id", "email"], unique=True, name="user_by_email"),
        Query(User, by="tenant_id", sort="name", name="users_of_tenant"),
        Get(Ticket, by="ticket_id", name="get_ticket"),
        Query(
            Ticket, by="tenant_id", sort="created_at", order="desc", range="between", name="tickets_of_tenant"
        ),
        Query(Ticket, by="assignee_id", sort="created_at", order="desc", name="tickets_assigned_to"),
        Query(Comment, by="ticket_id", sort="posted_at", range="between", name="comments_of_ticket"),
        Query(Comment, by="ticket_id", sort="posted_at", range="lte", name="comments_until"),
        Query(Ticket, by="tenant_id", sort="created_at", range="gte", name="tickets_since"),
        Query(
            Comment,
            by="ticket_id",
            sort="posted_at",
            order="desc",
            include=[Ticket],
            name="ticket_with_latest_comments",
        ),
        Write(Comment, increments={Ticket.comment_count: 1}, name="add_comment"),
        Write(deletes=[Comment], increments={Ticket.comment_count: -1}, name="delete_comment"),
    ],
)
