"""A store opened read-only: it creates, locks and clears nothing, refuses every write before
touching disk, and still sees what a writer commits."""

from __future__ import annotations

from pathlib import Path

import pytest

from store import Store, StoreError
from store.models import Campaign, ChangeLogEntry


def files(folder: Path) -> dict[str, bytes]:
    return {str(p.relative_to(folder)): p.read_bytes() for p in sorted(folder.rglob("*")) if p.is_file()}


def test_a_missing_store_is_refused_and_nothing_is_created(tmp_path: Path) -> None:
    with pytest.raises(StoreError, match="MANIFEST.json is missing.*nothing was created"):
        Store.open(tmp_path / "none", read_only=True)
    assert not (tmp_path / "none").exists()


def test_every_write_is_refused_before_touching_disk(tmp_path: Path) -> None:
    with Store.open(tmp_path / "s") as writer:
        kept = writer.insert(Campaign(name="c", goal_text="g"))
    before = files(tmp_path / "s")
    reader = Store.open(tmp_path / "s", read_only=True)
    attempts = {
        "insert": lambda: reader.insert(Campaign(name="d", goal_text="g")),
        "update": lambda: reader.update(kept.model_copy(update={"name": "x"})),
        "append_log": lambda: reader.append_log(ChangeLogEntry(kind="cycle", summary="s")),
        "transaction": lambda: reader.transaction().__enter__(),
        "engine_lock": lambda: reader.engine_lock().__enter__(),
    }
    for name, attempt in attempts.items():
        with pytest.raises(StoreError, match="open read-only"):
            attempt()
        assert files(tmp_path / "s") == before, name
    assert reader.all(Campaign) == [kept] and not reader.engine_running()


def test_a_reader_sees_later_commits_and_leaves_crash_leftovers_to_the_writer(tmp_path: Path) -> None:
    with Store.open(tmp_path / "s") as writer:
        writer.insert(Campaign(name="c", goal_text="g"))
    leftover = tmp_path / "s" / "data" / "campaigns.00000.g9999999999.json"  # no manifest names it
    leftover.write_bytes(b"{}")
    temp = tmp_path / "s" / "MANIFEST.json.123.tmp"
    temp.write_bytes(b"half")
    reader = Store.open(tmp_path / "s", read_only=True)
    assert leftover.exists() and temp.exists()  # a reader clears nothing
    with Store.open(tmp_path / "s") as writer:  # the next writer does
        assert not leftover.exists() and not temp.exists()
        writer.insert(Campaign(name="later", goal_text="g"))
    assert [c.name for c in reader.all(Campaign)] == ["c", "later"]
