"""A GitHub-like code hosting backend (The DynamoDB Book, ch. 21), declared in Python.

The same application as ``benchmarks/cases/specs/dynamodb-book-ch21-github-backend.yaml``: accounts
(users and organizations) own repositories; repositories have issues, pull requests, stars and
forks; issues and pull requests have comments; anything can receive reactions.

Not expressed, in this module as in the spec file:

- The expert makes account names unique across users *and* organizations (both items share one
  ``ACCOUNT#<name>`` key). Uniqueness in dynamodel is per entity, so this is left to the caller.
- Creating a repo, a user or an organization and adding a comment are plain conditional puts;
  they need no declared pattern. Conditions (``attribute_not_exists``) are not declarations.
- The source keeps a map of eight reaction counts on each target; a counter here is one
  ``reaction_count`` per target, because ``increments`` updates one numeric attribute.

In Python, counters in ``increments`` are written ``field_ref(Repo, "star_count")``: the
spelling ``{Repo.star_count: 1}`` also works at run time, but a type checker reads
``Repo.star_count`` as an ``int`` (see the pydantic mypy plugin) and rejects it as a key.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any, Literal

from dynamodel import App, Entity, Get, Query, Write, field_ref

Status = Literal["OPEN", "CLOSED"]


class Repo(Entity, identity=("owner", "repo_name")):
    """A code repository, named within the account (user or organization) that owns it.

    Its counters are kept in the same transaction as the items they count; the issue and pull
    request numbers come from one shared sequence, ``issues_and_pull_request_count``.
    """

    owner: str
    repo_name: str
    description: str
    is_private: bool
    star_count: int
    fork_count: int
    issues_and_pull_request_count: int
    created_at: datetime
    updated_at: datetime


class Issue(Entity, identity=("owner", "repo_name", "issue_number"), parent=Repo):
    """A numbered issue filed against a repository, open or closed."""

    owner: str
    repo_name: str
    issue_number: int
    title: str
    body: str
    status: Status
    creator: str
    reaction_count: int
    created_at: datetime


class PullRequest(Entity, identity=("owner", "repo_name", "pull_request_number"), parent=Repo):
    """A proposed change to a repository; numbered from the same sequence as issues."""

    owner: str
    repo_name: str
    pull_request_number: int
    title: str
    body: str
    status: Status
    creator: str
    reaction_count: int
    created_at: datetime


class IssueComment(Entity, identity=("owner", "repo_name", "issue_number", "comment_id"), parent=Issue):
    """A comment in an issue's discussion; ``comment_id`` is a KSUID, so it sorts by time."""

    owner: str
    repo_name: str
    issue_number: int
    comment_id: str
    body: str
    commentor: str
    reaction_count: int


class PRComment(
    Entity, identity=("owner", "repo_name", "pull_request_number", "comment_id"), parent=PullRequest
):
    """A comment in a pull request's discussion; ``comment_id`` is a KSUID."""

    owner: str
    repo_name: str
    pull_request_number: int
    comment_id: str
    body: str
    commentor: str
    reaction_count: int


class Reaction(Entity, identity=("target_type", "owner", "repo_name", "target_id", "username")):
    """The reactions (thumbs up, heart, ...) one user has given one issue, pull request or comment.

    ``target_id`` is the issue or pull request number, or the comment id; ``reactions`` is the
    set of reaction types the user chose.
    """

    target_type: Literal["ISSUE", "PR", "ISSUECOMMENT", "PRCOMMENT"]
    owner: str
    repo_name: str
    target_id: str
    username: str
    reactions: list[str]


class Star(Entity, identity=("owner", "repo_name", "username"), parent=Repo):
    """A user starring a repository (the stargazers of a repo)."""

    owner: str
    repo_name: str
    username: str
    starred_at: datetime


class Fork(Entity, identity=("fork_owner", "repo_name"), parent=Repo):
    """A copy of a repository under another account, listed under the original.

    ``owner`` and ``repo_name`` name the original repository; the fork keeps the repository's
    name under ``fork_owner``. (The expert stores a fork as a second Repo item; here the relation
    to the original is an entity of its own.)
    """

    fork_owner: str
    owner: str
    repo_name: str
    description: str
    created_at: datetime
    updated_at: datetime


class User(Entity, identity=("username",)):
    """A person's account; ``owner`` repeats the username so repos can be grouped under it.

    ``organizations`` embeds the organizations the user belongs to (name to role): a bounded
    list, read with the user.
    """

    username: str
    name: str
    owner: str
    organizations: dict[str, str]
    payment_plan: dict[str, Any]


class Organization(Entity, identity=("organization_name",)):
    """An organization's account; ``owner`` repeats its name so repos can be grouped under it."""

    organization_name: str
    owner: str
    payment_plan: dict[str, Any]


class Membership(Entity, identity=("organization_name", "username"), parent=Organization):
    """A user's membership of an organization, with the user's role in it."""

    organization_name: str
    username: str
    role: str


REPO = ["owner", "repo_name"]

github = App(
    "github",
    [Repo, Issue, PullRequest, IssueComment, PRComment, Reaction, Star, Fork, User, Organization, Membership],
    patterns=[
        Get(Repo, by=REPO, name="ap1_get_repo"),
        Get(Issue, by=[*REPO, "issue_number"], name="ap3_get_issue"),
        Write(
            Issue, increments={field_ref(Repo, "issues_and_pull_request_count"): 1}, name="ap4_create_issue"
        ),
        # The expert filters the issues by status (open/closed) after the key condition.
        Query(
            Issue,
            by=REPO,
            sort="issue_number",
            order="desc",
            include=[Repo],
            allow_filter=True,
            name="ap5_repo_with_issues",
        ),
        Get(PullRequest, by=[*REPO, "pull_request_number"], name="ap6_get_pull_request"),
        Write(
            PullRequest,
            increments={field_ref(Repo, "issues_and_pull_request_count"): 1},
            name="ap7_create_pull_request",
        ),
        Query(
            PullRequest,
            by=REPO,
            sort="pull_request_number",
            order="desc",
            include=[Repo],
            name="ap8_repo_with_pull_requests",
        ),
        Write(Fork, increments={field_ref(Repo, "fork_count"): 1}, name="ap9_fork_repo"),
        Query(Fork, by=REPO, sort="fork_owner", order="asc", include=[Repo], name="ap10_repo_with_forks"),
        Query(IssueComment, by=[*REPO, "issue_number"], sort="comment_id", name="ap12_comments_of_issue"),
        Query(
            PRComment,
            by=[*REPO, "pull_request_number"],
            sort="comment_id",
            name="ap14_comments_of_pull_request",
        ),
        # One reaction write per kind of target, each bumping that target's counter.
        Write(Reaction, increments={field_ref(Issue, "reaction_count"): 1}, name="ap15_react_to_issue"),
        Write(
            Reaction,
            increments={field_ref(PullRequest, "reaction_count"): 1},
            name="ap15_react_to_pull_request",
        ),
        Write(
            Reaction,
            increments={field_ref(IssueComment, "reaction_count"): 1},
            name="ap15_react_to_issue_comment",
        ),
        Write(
            Reaction, increments={field_ref(PRComment, "reaction_count"): 1}, name="ap15_react_to_pr_comment"
        ),
        Write(Star, increments={field_ref(Repo, "star_count"): 1}, name="ap16_star_repo"),
        Query(Star, by=REPO, sort="username", order="asc", include=[Repo], name="ap17_repo_with_stargazers"),
        # Also rewrites the user's embedded organizations map, in the same transaction.
        Write(Membership, User, name="ap20_add_member_to_organization"),
        Query(
            Membership, by="organization_name", include=[Organization], name="ap21_organization_with_members"
        ),
        # The organizations of a user are embedded in the User item.
        Get(User, by="username", name="ap22_organizations_of_user"),
        Query(Repo, by="owner", sort="updated_at", order="desc", include=[User], name="ap23_user_with_repos"),
        Query(
            Repo,
            by="owner",
            sort="updated_at",
            order="desc",
            include=[Organization],
            name="ap24_organization_with_repos",
        ),
    ],
)
