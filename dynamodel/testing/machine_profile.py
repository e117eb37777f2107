"""How many test cases a machine runs: :func:`machine_settings`, small under the fast profiles.

Split from :mod:`~dynamodel.testing.machine`, which re-exports these names.
"""

from __future__ import annotations

from typing import Any

from hypothesis import HealthCheck, Phase, settings

__all__ = ["FAST_EXAMPLES", "FAST_PROFILES", "FAST_STEPS", "ActiveProfileSettings", "machine_settings"]

FAST_EXAMPLES = 15
FAST_STEPS = 30
# hypothesis loads "ci" by itself wherever $CI is set: a CI run stays fast unless asked.
FAST_PROFILES = ("default", "fast", "ci")


class ActiveProfileSettings:
    """``TestCase.settings`` read when the test runs, not when the class is made.

    A test module defines ``TestShop = app_machine(shop).TestCase`` before pytest has
    loaded the profile (``HYPOTHESIS_PROFILE``, or the plugin's ``pytest_configure``).
    """

    def __get__(self, obj: object, owner: type | None = None) -> settings:
        return machine_settings()


def machine_settings(
    *, max_examples: int = FAST_EXAMPLES, stateful_step_count: int = FAST_STEPS, **overrides: Any
) -> settings:
    """Settings for a machine: small under the fast, default or ci profile, the profile's otherwise.

    Under ``HYPOTHESIS_PROFILE=thorough`` (or any profile other than ``fast``/``default``/``ci``;
    hypothesis loads ``ci`` by itself where ``$CI`` is set)
    the active profile decides examples and steps; otherwise at most ``max_examples``
    test cases of ``stateful_step_count`` steps run, so ``make test`` stays fast.
    """
    base = settings.default
    assert base is not None
    quiet = {
        "deadline": None,
        "suppress_health_check": [*base.suppress_health_check, HealthCheck.too_slow],
        # Every replay runs on a real engine (milliseconds per request): the explain phase
        # re-runs the failure dozens of times, and shrinking a second distinct failure
        # doubles the wait, for little more than the first minimal replay tells.
        "phases": [p for p in base.phases if p != Phase.explain],
        "report_multiple_bugs": False,
    }
    if settings.get_current_profile_name() not in FAST_PROFILES:
        return settings(base, **{**quiet, **overrides})
    return settings(
        base,
        **{
            **quiet,
            "max_examples": min(max_examples, base.max_examples),
            "stateful_step_count": stateful_step_count,
            **overrides,
        },
    )
