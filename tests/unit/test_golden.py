"""The emitted definitions of every example app match the reviewed snapshots in tests/golden/ byte for byte.

A failure shows a short diff; if the change is intended, regenerate with ``make golden`` and
review the changed snapshots in the diff before committing them.
"""

from __future__ import annotations

import pytest
from example_apps import ExampleApp, example_apps
from golden_snapshots import FILES, GOLDEN, REGENERATE, render, short_diff, stored

APPS = example_apps()


def test_every_example_app_has_snapshots_and_no_other_app_does() -> None:
    assert sorted(stored()) == sorted(e.app.name for e in APPS), f"regenerate with: {REGENERATE}"


@pytest.mark.parametrize("example", APPS, ids=[e.app.name for e in APPS])
def test_emitted_definitions_match_the_snapshots(example: ExampleApp) -> None:
    emitted = render(example)
    on_disk = stored().get(example.app.name, {})
    assert set(emitted) <= set(FILES.values())
    problems = [f"{name}: missing in tests/golden" for name in sorted(set(emitted) - set(on_disk))]
    problems += [f"{name}: no longer emitted" for name in sorted(set(on_disk) - set(emitted))]
    problems += [
        short_diff(on_disk[name], emitted[name], f"{example.app.name}/{name}")
        for name in sorted(set(emitted) & set(on_disk))
        if on_disk[name].encode("utf-8") != emitted[name].encode("utf-8")
    ]
    if problems:
        pytest.fail(
            "\n".join(problems) + f"\nIf the change is intended, regenerate with: {REGENERATE}\n"
            f"and review the changed files under {GOLDEN.relative_to(GOLDEN.parents[1])} in the diff.",
            pytrace=False,
        )
