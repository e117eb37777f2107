"""The README stays true: the error codes match the docs, the worked example runs."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path
from typing import Any, get_args

import pytest
from paths import REPO

from dynamodel.errors import ErrorCode

README = (REPO / "README.md").read_text(encoding="utf-8")


def test_error_codes_match_the_readme_headings() -> None:
    section = README.split("## Error codes", 1)[1]
    headings = re.findall(r"^### ([a-z-]+)$", section, flags=re.MULTILINE)
    assert headings == list(get_args(ErrorCode))


def test_each_error_links_to_its_own_readme_heading() -> None:
    """pydantic's habit: the link in a message opens the section on that very error."""
    from dynamodel import errors

    section = README.split("## Error codes", 1)[1]
    anchors = set(re.findall(r"^### ([a-z-]+)$", section, flags=re.MULTILINE))
    classes = [
        cls
        for cls in vars(errors).values()
        if isinstance(cls, type) and issubclass(cls, errors.DynamodelError)
    ]
    assert len(classes) >= 15
    for cls in classes:
        text = str(errors.DynamodelError("x", code=cls.code))
        link = re.search(r"https://\S+#([a-z-]+)\]$", text)
        assert link is not None, text
        assert link.group(1) == cls.code, f"{cls.__name__} links to #{link.group(1)}, not #{cls.code}"
        assert link.group(1) in anchors


def test_readme_starts_with_the_two_commands() -> None:
    first_block = README.split("```sh\n", 1)[1].split("```", 1)[0]
    assert first_block.split("\n")[:2] == ["make demo", "make test"]


def test_worked_example_runs_and_matches_the_shop() -> None:
    code = README.split("## Worked example", 1)[1].split("```python\n", 1)[1].split("```", 1)[0]
    code = code.replace("print(shop.explain())", "")
    namespace: dict[str, object] = {"__name__": "readme_example"}
    exec(compile(code, "README.md", "exec", dont_inherit=True), namespace)
    from access_patterns.shop import shop

    example = namespace["shop"]
    assert example.spec == shop.spec  # type: ignore[attr-defined]


def test_readme_design_excerpt_is_current() -> None:
    from access_patterns.shop import shop
    from dynamodel.design import explain

    text = explain(shop.design)
    excerpt = README.split("(abridged):\n\n```\n", 1)[1].split("```", 1)[0]
    for line in excerpt.splitlines():
        if line.startswith(("Design of", "pattern", "entity")):
            continue
        cells = line.split()
        found = [t for t in text.splitlines() if t.split()[:2] == cells[:2]]
        assert found, line
        assert found[0].split() == cells, line


def test_runtime_example_runs_on_the_embedded_engine(capsys: object) -> None:
    code = (
        README.split("## Running the patterns (runtime)", 1)[1].split("```python\n", 1)[1].split("```", 1)[0]
    )
    namespace: dict[str, object] = {"__name__": "readme_runtime"}
    exec(compile(code, "README.md", "exec", dont_inherit=True), namespace)


def _async_blocks() -> list[str]:
    section = README.split("### Async (asyncio, aiobotocore)", 1)[1].split("\n## ", 1)[0]
    return [block.split("```", 1)[0] for block in section.split("```python\n")[1:]]


def test_async_example_runs_on_the_embedded_engine(capsys: pytest.CaptureFixture[str]) -> None:
    namespace: dict[str, object] = {"__name__": "readme_async"}
    exec(compile(_async_blocks()[0], "README.md", "exec", dont_inherit=True), namespace)
    assert capsys.readouterr().out == ""  # the customer has no orders: the loop printed nothing


def test_fastapi_example_serves_pages_and_404s(monkeypatch: pytest.MonkeyPatch) -> None:
    """The FastAPI example, run with a stand-in for FastAPI (not a dependency) and its lifespan
    opening the embedded engine's async client where production opens AWS's."""
    import asyncio
    import sys
    import types

    import aiobotocore.session

    from access_patterns.shop import Customer, shop
    from dynamodel.engine import EmbeddedEngine

    class HTTPError(Exception):
        def __init__(self, status_code: int, detail: str) -> None:
            super().__init__(detail)
            self.status_code = status_code

    class FastAPI:
        def __init__(self, lifespan: Any) -> None:
            self.lifespan = lifespan
            self.routes: dict[str, Any] = {}

        def get(self, path: str) -> Any:
            def register(handler: Any) -> Any:
                self.routes[path] = handler
                return handler

            return register

    fake = types.ModuleType("fastapi")
    fake.FastAPI = FastAPI  # type: ignore[attr-defined]
    fake.HTTPException = HTTPError  # type: ignore[attr-defined]
    monkeypatch.setitem(sys.modules, "fastapi", fake)
    monkeypatch.setenv("DYNAMODEL_CURSOR_SECRET", "readme-fastapi")
    with EmbeddedEngine() as engine:
        definition: Any = shop.to_create_table("shop-prod")
        engine.client().create_table(**definition)

        class Session:
            def create_client(self, service: str) -> Any:
                assert service == "dynamodb"
                return engine.async_client()

        monkeypatch.setattr(aiobotocore.session, "get_session", Session)
        namespace: dict[str, Any] = {"__name__": "readme_fastapi"}
        exec(compile(_async_blocks()[1], "README.md", "exec", dont_inherit=True), namespace)
        api = namespace["api"]

        async def serve() -> None:
            async with api.lifespan(api):
                table = namespace["tables"]["shop"]
                await table.create(
                    Customer(customer_id="c1", email="a@example.com", name="Ann", order_count=0)
                )
                handler = api.routes["/customers/{customer_id}/orders"]
                assert await handler("c1") == {"orders": [], "cursor": None}
                with pytest.raises(HTTPError) as missing:
                    await handler("nobody")
                assert missing.value.status_code == 404

        asyncio.run(serve())


def test_testing_example_runs_as_a_users_test_file(tmp_path: Path) -> None:
    """The "Testing your access patterns" block, pasted into a fresh project, passes under pytest."""
    section = README.split("## Testing your access patterns", 1)[1]
    code = section.split("```python\n", 1)[1].split("```", 1)[0]
    (tmp_path / "test_access_patterns.py").write_text(code, encoding="utf-8")
    # CI=true: hypothesis then loads its own "ci" profile, as it does on every CI machine.
    env = {**os.environ, "PYTHONPATH": str(REPO), "CI": "true"}
    run = subprocess.run(
        [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", str(tmp_path)],
        cwd=tmp_path,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert run.returncode == 0, run.stdout[-3000:] + run.stderr[-3000:]
    assert "3 passed" in run.stdout, run.stdout[-3000:]


# Built from pieces so that this file does not match itself.
_OUTSIDE = ("../" + "shared", "shared/" + "cases", "shared/" + "SPEC")


def _tracked_files() -> list[str]:
    if (REPO / ".git").exists():
        listed = subprocess.run(["git", "ls-files", "-z"], cwd=REPO, capture_output=True, check=True)
        return [n for n in listed.stdout.decode("utf-8").split("\0") if n]
    # An exported copy without git: every file but the tool directories.
    skip = {".venv", ".git", ".mypy_cache", ".ruff_cache", ".hypothesis", "__pycache__", "out"}
    return [
        str(p.relative_to(REPO))
        for p in REPO.rglob("*")
        if p.is_file() and not skip & set(p.relative_to(REPO).parts)
    ]


def test_nothing_tracked_reads_outside_the_repository() -> None:
    """A clone with nothing beside it works: no tracked file points at the sibling ``shared`` tree."""
    offenders = []
    for name in _tracked_files():
        path = REPO / name
        if not path.is_file():  # deleted in the working tree, not yet committed
            continue
        text = path.read_bytes().decode("utf-8", errors="replace")
        offenders += [f"{name}: {needle}" for needle in _OUTSIDE if needle in text]
    assert offenders == []


SPEC_FORMAT = (REPO / "docs" / "spec-format.md").read_text(encoding="utf-8")


def test_paths_named_in_the_docs_exist() -> None:
    """Every repository path the README or the spec format page points a reader at is there."""
    texts = {"README.md": README, "docs/spec-format.md": SPEC_FORMAT}
    users_own = {"tests/test_access_patterns.py"}  # the file the README asks users to write
    pattern = r"(?:access_patterns|benchmarks|docs|tests|dynamodel)/[\w./-]*\w"
    missing = [
        f"{doc}: {path}"
        for doc, text in texts.items()
        for path in sorted(set(re.findall(pattern, text)))
        if path not in users_own and not (REPO / path).exists()
    ]
    assert missing == []


def test_the_spec_format_example_is_the_shop() -> None:
    from access_patterns.shop import shop
    from dynamodel.spec_file import parse_spec_text

    example = SPEC_FORMAT.split("```yaml\n", 1)[1].split("```", 1)[0]
    assert parse_spec_text(example) == shop.spec


def test_every_design_json_field_is_documented() -> None:
    """A field the design JSON gains must be described in docs/spec-format.md §2."""
    from test_emit_support import SPECS

    from dynamodel.design import derive
    from dynamodel.design.explain import design_to_dict

    section = SPEC_FORMAT.split("## 2. The design JSON", 1)[1]
    fields: set[str] = set()
    for spec in SPECS.values():
        design = design_to_dict(derive(spec))
        fields |= set(design)
        fields |= {k for p in design["patterns"] for k in p}
        fields |= {k for e in design["entities"].values() for keys in e.values() for k in keys}
        fields |= {k for c in design.get("copy_paths", []) for k in c}
    assert sorted(f for f in fields if f"`{f}`" not in section) == []
