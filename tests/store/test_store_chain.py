"""The change log's hash chain catches edits, deletions and re-chained tails."""

from __future__ import annotations

import random
from pathlib import Path

import pytest
from store_factories import entry
from store_tamper import rechain_from, reseal_manifest, segment_of, segments, write_segments

from store import Store

ENTRIES = 300  # two segments of 256


@pytest.fixture
def logged(store_path: Path) -> Path:
    store = Store.open(store_path)
    with store.transaction():
        for i in range(ENTRIES):
            store.append_log(entry(summary=f"s{i + 1}", experiment_id=f"exp-{i:06d}"))
    assert store.verify_log().ok
    store.close()
    return store_path


def verify(path: Path, **kw):
    return Store.open(path).verify_log(**kw)


def test_an_empty_log_verifies(store: Store) -> None:
    result = store.verify_log()
    assert (result.ok, result.checked, result.first_bad_seq) == (True, 0, None)


def test_a_flipped_bit_names_the_entry(logged: Path) -> None:
    parts = segments(logged)
    path = segment_of(parts, 37)
    raw = path.read_bytes()
    at = raw.index(b'"summary":"s37"') + len(b'"summary":"s3')
    path.write_bytes(raw[:at] + bytes([raw[at] ^ 0x01]) + raw[at + 1 :])  # "s37" -> "s36"
    result = verify(logged)
    assert not result.ok and result.first_bad_seq == 37 and result.checked == 36
    assert "entry 37: content does not match its hash" in result.reason


def test_any_flipped_bit_is_caught(logged: Path) -> None:
    rng = random.Random(11)
    for path in segments(logged):
        raw = path.read_bytes()
        for _ in range(25):
            at, bit = rng.randrange(len(raw)), 1 << rng.randrange(8)
            path.write_bytes(raw[:at] + bytes([raw[at] ^ bit]) + raw[at + 1 :])
            result = verify(logged)
            assert not result.ok, f"flip of bit {bit} at byte {at} of {path.name} went unnoticed"
            assert result.first_bad_seq is not None
        path.write_bytes(raw)
    assert verify(logged).ok


@pytest.mark.parametrize("gone", [1, 50, 256, 257, ENTRIES])
def test_a_deleted_entry_is_named(logged: Path, gone: int) -> None:
    parts = segments(logged)
    del parts[segment_of(parts, gone)][str(gone)]
    write_segments(parts)
    result = verify(logged)
    assert not result.ok and result.first_bad_seq == gone, result
    assert "missing" in result.reason or "holds" in result.reason


def test_a_rechained_tail_is_caught_by_the_segment_seal(logged: Path) -> None:
    parts = segments(logged)
    parts[segment_of(parts, 100)]["100"]["summary"] = "nothing to see"
    rechain_from(parts, 100)
    write_segments(parts)
    result = verify(logged)
    # the chain itself is consistent; the seal of the first rewritten segment is not,
    # so the report names that segment's first entry
    assert not result.ok and result.first_bad_seq == 1
    assert "re-chained" in result.reason and "entries 1-256" in result.reason


def test_a_rechained_last_entry_is_caught(logged: Path) -> None:
    parts = segments(logged)
    parts[segment_of(parts, ENTRIES)][str(ENTRIES)]["summary"] = "edited"
    rechain_from(parts, ENTRIES)
    write_segments(parts)
    result = verify(logged)
    assert not result.ok and result.first_bad_seq == 257


def test_a_complete_forgery_needs_an_anchor_kept_elsewhere(logged: Path) -> None:
    anchor = {150: Store.open(logged).log(offset=149, limit=1)[0].hash}
    parts = segments(logged)
    parts[segment_of(parts, 100)]["100"]["summary"] = "nothing to see"
    rechain_from(parts, 100)
    write_segments(parts)
    reseal_manifest(logged)
    assert verify(logged).ok  # files and manifest agree: only an outside record can tell
    result = verify(logged, anchors=anchor)
    assert not result.ok and result.first_bad_seq == 150
    assert "anchor" in result.reason


def test_an_anchor_past_the_end_is_reported(logged: Path) -> None:
    result = verify(logged, anchors={ENTRIES + 5: "0" * 64})
    assert not result.ok and result.first_bad_seq == ENTRIES + 5
