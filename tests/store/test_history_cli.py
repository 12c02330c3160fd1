"""``maas-manager history list|verify``: output, filters and exit codes."""

from __future__ import annotations

import json
from datetime import datetime, timedelta, timezone
from pathlib import Path

import pytest
from click.testing import CliRunner
from store_factories import entry
from store_tamper import segment_of, segments

from manager.cli import main
from store import Store

T0 = datetime(2025, 1, 30, 22, 0, tzinfo=timezone.utc)


@pytest.fixture
def workspace(tmp_path: Path) -> Path:
    ws = tmp_path / "ws"
    store = Store.open(ws / "store")
    rows = [
        ("campaign.created", "cmp-000001", None, "manual"),
        ("experiment.planned", "cmp-000001", "exp-000001", "auto"),
        ("experiment.applied", "cmp-000001", "exp-000001", "manual"),
        ("experiment.planned", "cmp-000002", "exp-000002", "auto"),
        ("experiment.rolled_back", "cmp-000002", "exp-000002", "auto"),
    ]
    for i, (kind, cmp_id, exp_id, who) in enumerate(rows):
        store.append_log(
            entry(kind, f"{kind} #{i + 1}", at=T0 + timedelta(hours=2 * i), campaign_id=cmp_id,
                  experiment_id=exp_id, initiator=who)
        )
    store.close()
    return ws


def run(ws: Path, *args: str):
    return CliRunner().invoke(main, ["--workspace", str(ws), "history", *args])


def seqs_of(result) -> list[int]:
    return [json.loads(line)["seq"] for line in result.output.splitlines()]


def test_verify_ok_prints_the_head_and_exits_0(workspace: Path) -> None:
    result = run(workspace, "verify")
    assert result.exit_code == 0, result.output
    head = Store.open(workspace / "store").log()[-1].hash
    assert result.output.strip() == f"change log ok: 5 entries verified; head 5:{head}"
    again = run(workspace, "verify", "--anchor", f"5:{head}", "--json")
    assert again.exit_code == 0 and json.loads(again.output)["ok"] is True


def test_verify_names_the_first_bad_entry_and_exits_1(workspace: Path) -> None:
    parts = segments(workspace / "store")
    path = segment_of(parts, 3)
    path.write_bytes(path.read_bytes().replace(b"experiment.applied #3", b"experiment.applied #9"))
    result = run(workspace, "verify")
    assert result.exit_code == 1
    assert result.output.startswith("change log BROKEN at entry 3: entry 3: content does not match its hash")
    assert "entries verified before it: 2" in result.output
    as_json = json.loads(run(workspace, "verify", "--json").output)
    assert (as_json["ok"], as_json["first_bad_seq"], as_json["checked"]) == (False, 3, 2)


def test_verify_with_a_wrong_anchor_exits_1(workspace: Path) -> None:
    result = run(workspace, "verify", "--anchor", f"2:{'ab' * 32}")
    assert result.exit_code == 1 and "entry 2: hash differs from the anchor" in result.output


def test_verify_refuses_a_malformed_anchor_with_exit_2(workspace: Path) -> None:
    result = run(workspace, "verify", "--anchor", "two:abc")
    assert result.exit_code == 2 and "SEQ:HASH" in result.output


def test_no_store_or_a_broken_manifest_exits_2(tmp_path: Path, workspace: Path) -> None:
    missing = run(tmp_path / "nowhere", "verify")
    assert missing.exit_code == 2 and "no store in workspace" in missing.output
    assert not (tmp_path / "nowhere").exists()  # reading never creates a store
    (workspace / "store" / "MANIFEST.json").write_bytes(b'{"format":1,')
    broken = run(workspace, "list")
    assert broken.exit_code == 2 and "MANIFEST.json: not valid JSON" in broken.output


def test_list_prints_one_line_per_entry(workspace: Path) -> None:
    result = run(workspace, "list")
    assert result.exit_code == 0
    lines = result.output.splitlines()
    assert len(lines) == 5
    assert lines[0].split() == ["1", "2025-01-30", "22:00:00Z", "manual", "campaign.created",
                                "campaign.created", "#1", "[cmp-000001]"]


def test_list_filters(workspace: Path) -> None:
    assert seqs_of(run(workspace, "list", "--json")) == [1, 2, 3, 4, 5]
    assert seqs_of(run(workspace, "list", "--json", "--campaign", "cmp-000002")) == [4, 5]
    assert seqs_of(run(workspace, "list", "--json", "--kind", "experiment.planned")) == [2, 4]
    assert seqs_of(run(workspace, "list", "--json", "--initiator", "manual")) == [1, 3]
    assert seqs_of(run(workspace, "list", "--json", "--experiment", "exp-000001")) == [2, 3]
    assert seqs_of(run(workspace, "list", "--json", "--newest-first", "--limit", "2")) == [5, 4]
    # entries at 22:00, 00:00, 02:00, 04:00, 06:00 from Jan 30: a bare --until date includes that day
    assert seqs_of(run(workspace, "list", "--json", "--until", "2025-01-30")) == [1]
    assert seqs_of(run(workspace, "list", "--json", "--since", "2025-01-31")) == [2, 3, 4, 5]
    assert seqs_of(run(workspace, "list", "--json", "--since", "2025-01-31T02:00:00Z",
                       "--until", "2025-01-31T05:00")) == [3, 4]
    assert seqs_of(run(workspace, "list", "--json", "--since", "2025-01-31T01:00:00+02:00")) == [2, 3, 4, 5]


def test_list_json_round_trips_entries(workspace: Path) -> None:
    from store.models import ChangeLogEntry

    lines = run(workspace, "list", "--json").output.splitlines()
    assert [ChangeLogEntry.model_validate_json(line) for line in lines] == Store.open(workspace / "store").log()


def test_list_refuses_bad_dates_with_exit_2(workspace: Path) -> None:
    bad = run(workspace, "list", "--since", "last tuesday")
    assert bad.exit_code == 2 and "'last tuesday' is not an ISO date" in bad.output
    backwards = run(workspace, "list", "--since", "2025-02-01", "--until", "2025-01-01")
    assert backwards.exit_code == 2 and "is not after --since" in backwards.output
