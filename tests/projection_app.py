"""A help desk whose queue listings name their fields: its GSI projects INCLUDE (tests share it)."""

from __future__ import annotations

from typing import Literal

from dynamodel import App, Entity, Get, Query


class Ticket(Entity, identity=("tenant_id", "ticket_id"), sizes={"body": 3000}):
    tenant_id: str
    ticket_id: str
    status: Literal["OPEN", "CLOSED"]
    title: str
    body: str
    assignee: str | None = None


def helpdesk(*, fields: tuple[str, ...] = ("title",)) -> App:
    """The app; ``fields=()`` gives the same app with the listing reading every attribute."""
    return App(
        "helpdesk",
        [Ticket],
        [
            Get(Ticket, by=("tenant_id", "ticket_id"), name="get_ticket"),
            Query(Ticket, by="status", sort="ticket_id", name="queue", fields=list(fields)),
        ],
    )
