"""One reviewer at the TUI, as its own process: ``tui_reviewer.py WS VERB ARG [REASON]``.

Starts the TUI on WS headless (the engine of another process is running, so this TUI observes
it), does one thing from the keyboard — approve or reject an experiment on the Approvals
screen, or add a goal on the Goal screen — waits for the engine's answer in a notification
and prints it as one JSON line: {"verb", "state", "text"}.

With ``TUI_REVIEWER_READY`` (a folder) and ``TUI_REVIEWER_GO`` (a file) set, it gets as far as
the last key (the prompt open, the goal translated), says so with a file in the folder, and
presses that key only when the go file appears: the harness lines everyone up for the race.
"""

from __future__ import annotations

import asyncio
import json
import os
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tui"))

from tui_pilot import press, settle, wait_for  # noqa: E402

ANSWERED = (": done", ": refused", ": error", ": no answer yet")


async def line_up(pilot) -> None:
    ready, go = os.environ.get("TUI_REVIEWER_READY"), os.environ.get("TUI_REVIEWER_GO")
    if ready and go:
        (Path(ready) / str(os.getpid())).touch()
        await wait_for(pilot, Path(go).exists, 300, "the go file")


def answers(app) -> list[tuple[str, str]]:
    return [(n.title, n.message) for n in app._notifications if n.title.endswith(ANSWERED)]


async def open_experiment(pilot, experiment_id: str) -> None:
    """The Approvals screen's row of ``experiment_id``, opened in the evidence prompt."""
    from tui.modals.approval import ApprovalModal

    app = pilot.app
    await wait_for(pilot, lambda: experiment_id in _table_ids(app), 60, f"{experiment_id} on the Approvals screen")
    for row in range(len(_table_ids(app))):
        await press(pilot, "enter")
        if isinstance(app.screen, ApprovalModal) and app.screen.view.experiment.id == experiment_id:
            return
        await press(pilot, "escape", "down")
    raise AssertionError(f"{experiment_id} could not be opened from the Approvals screen")


def _table_ids(app) -> list[str]:
    from textual.widgets import DataTable

    tables = app.screen.query(DataTable)
    return [str(key.value) for table in tables for key in table.rows] if tables else []


async def act(workspace: Path, verb: str, arg: str, reason: str) -> dict[str, str]:
    from textual.widgets import Input

    from tui.app import make_app

    app = make_app(workspace, screen="approvals" if verb in ("approve", "reject") else "campaigns",
                   cursor_blink=False, poll_interval=0.2, command_wait_s=120)
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        if verb == "approve":
            await open_experiment(pilot, arg)
            await line_up(pilot)
            await press(pilot, "a")
        elif verb == "reject":
            await open_experiment(pilot, arg)
            await press(pilot, "r")
            app.screen.query_one(Input).value = reason
            await line_up(pilot)
            await press(pilot, "enter")
        elif verb == "goal":
            await press(pilot, "g")
            app.screen.query_one("#goal", Input).value = arg
            await settle(pilot)  # the translation is shown before Enter asks to confirm it
            await press(pilot, "enter")
            await line_up(pilot)
            await press(pilot, "y")
        else:
            raise SystemExit(f"unknown verb {verb!r}")
        seen: list[tuple[str, str]] = []  # kept: a notification times out while we settle
        await wait_for(pilot, lambda: bool(seen.extend(answers(app)) or seen), 150, f"the engine's answer to {verb}")
        title, text = seen[0]
        return {"verb": verb, "state": title.rsplit(": ", 1)[1], "text": text}


def main(argv: list[str]) -> int:
    workspace, verb, arg, *rest = argv
    print(json.dumps(asyncio.run(act(Path(workspace), verb, arg, rest[0] if rest else ""))), flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
