"""Pictures of every screen and modal, at 80×24 and 120×40, on a seeded store.

Pinned: no engine, a fixed reviewer name and clock, no cursor blink; the store's
records carry fixed times. Review the report before any ``--snapshot-update``.
A few pictures run by default; ``pytest -m slow tests/tui`` takes all of them.
"""

from __future__ import annotations

import pytest
from tui_pilot import press, settle, type_text

GOAL = "recall по preferences +10%"

# picture -> (the screen the app opens on, the keys that reach the picture from there)
CASES: dict[str, tuple[str, tuple[str, ...]]] = {
    "campaigns": ("campaigns", ()),
    "campaign_with_markup_goal": ("campaigns", ("down", "down")),
    "approvals": ("approvals", ()),
    "approval_prompt": ("approvals", ("enter",)),
    "experiments": ("experiments", ()),
    "experiment": ("experiments", ("down", "enter")),
    "rollback_confirmation": ("experiments", ("down", "down", "down", "enter", "b")),
    "history": ("history", ()),
    "log_entry": ("history", ("down",) * 6 + ("enter",)),
    "rules": ("rules", ()),
    "meta_prompt": ("prompt", ()),
    "help": ("campaigns", ("question_mark",)),
    "new_goal": ("campaigns", ("g",)),
    "goal_confirmation": ("campaigns", ("g",)),
}
# pictures taken by the default run (about 2 s each on two cores); every other one is marked slow
SMALL_BY_DEFAULT = {"campaigns", "approval_prompt", "history", "rules", "new_goal"}
LARGE_BY_DEFAULT = {"campaigns", "approval_prompt"}


def picture(case: str, size: tuple[int, int], make, snap_compare, **options) -> bool:
    screen, keys = CASES[case]

    async def drive(pilot) -> None:
        await settle(pilot)
        if case != "campaigns":
            pilot.app.clear_notifications()  # the start-up notice is pictured once, on the main screen
        await press(pilot, *keys)
        if case in ("new_goal", "goal_confirmation"):
            await type_text(pilot, GOAL)
            await pilot.pause(0.35)  # the translation waits for typing to pause
            await settle(pilot)
            if case == "goal_confirmation":
                await press(pilot, "enter")
        await settle(pilot)

    return snap_compare(make(screen=screen, **options), terminal_size=size, run_before=drive)


@pytest.mark.parametrize("case", [
    pytest.param(c, marks=() if c in SMALL_BY_DEFAULT else pytest.mark.slow) for c in CASES])
def test_screen_80x24(case: str, make, snap_compare) -> None:
    assert picture(case, (80, 24), make, snap_compare)


@pytest.mark.parametrize("case", [
    pytest.param(c, marks=() if c in LARGE_BY_DEFAULT else pytest.mark.slow) for c in CASES])
def test_screen_120x40(case: str, make, snap_compare) -> None:
    assert picture(case, (120, 40), make, snap_compare)


@pytest.mark.slow
def test_read_only_campaigns(make, snap_compare) -> None:
    """No pause, abandon or goal keys in the footer of a read-only session."""
    assert picture("campaign_with_markup_goal", (80, 24), make, snap_compare, read_only=True)
