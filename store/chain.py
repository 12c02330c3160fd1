"""The change log's hash chain and its verification.

Each entry's ``hash`` is sha256 over the canonical JSON of the entry without
``hash`` (so it covers ``seq`` and ``prev_hash``); ``prev_hash`` is the previous
entry's hash (64 zeros for the first). An edit breaks the entry's hash, a
deletion breaks the sequence or the next ``prev_hash``.

Someone who edits an entry and re-hashes every later one keeps the chain
consistent. That is caught by the seals: the manifest keeps the head hash and
a digest of every segment file's bytes (older rows in the log's index file,
whose digest the manifest keeps), so the forger has to rewrite those too. A forger who rewrites everything can only be caught against a
head recorded elsewhere: ``verify`` prints ``seq:hash`` and accepts such
anchors back.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Callable, Iterable

from store.files import canonical, digest
from store.manifest import GENESIS, LOG_KIND, Manifest, part_file_name


def entry_hash(doc: dict[str, Any]) -> str:
    body = {k: v for k, v in doc.items() if k != "hash"}
    return hashlib.sha256(canonical(body)).hexdigest()


@dataclass(frozen=True)
class LogVerification:
    ok: bool
    checked: int
    first_bad_seq: int | None
    reason: str
    head: str = GENESIS  # hash of the last entry that verified

    def as_dict(self) -> dict[str, Any]:
        return {
            "ok": self.ok,
            "checked": self.checked,
            "first_bad_seq": self.first_bad_seq,
            "reason": self.reason,
            "head": self.head,
        }


class _Broken(Exception):
    def __init__(self, seq: int, reason: str) -> None:
        super().__init__(reason)
        self.seq = seq
        self.reason = reason


def verify_chain(
    manifest: Manifest,
    data_dir: Path,
    read: Callable[[Path], bytes],
    anchors: dict[int, str] | None = None,
) -> LogVerification:
    """Walk every segment in order; stop at the first entry that does not match."""
    state = {"seq": 1, "prev": GENESIS, "checked": 0}
    anchors = dict(anchors or {})
    try:
        for key in manifest.keys(LOG_KIND):
            _verify_segment(manifest, data_dir, key, read, state, anchors)
        if state["seq"] != manifest.log_next_seq:
            raise _Broken(
                state["seq"],
                f"entry {state['seq']} is missing: the manifest says the log holds "
                f"{manifest.log_next_seq - 1} entries, the segments hold {state['seq'] - 1}",
            )
        if state["prev"] != manifest.log_head:
            raise _Broken(state["seq"] - 1, "the last entry's hash differs from the head kept in the manifest")
        for seq in sorted(anchors):
            raise _Broken(seq, f"anchor {seq} is beyond the end of the log ({state['seq'] - 1} entries)")
    except _Broken as broken:
        return LogVerification(False, state["checked"], broken.seq, broken.reason, state["prev"])
    n = state["checked"]
    return LogVerification(True, n, None, f"{n} entries verified", state["prev"])


def _verify_segment(
    manifest: Manifest,
    data_dir: Path,
    key: str,
    read: Callable[[Path], bytes],
    state: dict[str, Any],
    anchors: dict[int, str],
) -> None:
    meta = manifest.parts[LOG_KIND][key]
    path = data_dir / part_file_name(LOG_KIND, key, meta.version)
    first = int(key) * manifest.segment_size + 1
    try:
        raw = read(path)
    except FileNotFoundError:
        raise _Broken(state["seq"], f"segment file {path} is missing") from None
    sealed = digest(raw) == meta.digest
    try:
        docs = json.loads(raw)[LOG_KIND]
        rows = sorted(((int(doc_id), doc) for doc_id, doc in docs.items()), key=lambda row: row[0])
    except (ValueError, KeyError, TypeError, AttributeError) as exc:
        raise _Broken(state["seq"], f"segment file {path} is unreadable ({type(exc).__name__}: {exc})") from None
    for doc_id, doc in rows:
        _verify_entry(doc_id, doc, path, state, anchors)
    if len(rows) != meta.count:
        raise _Broken(state["seq"], f"segment file {path} holds {len(rows)} entries, the manifest says {meta.count}")
    if not sealed:
        last = state["seq"] - 1
        state["checked"] = first - 1
        raise _Broken(
            first,
            f"segment file {path} does not match its seal in the manifest although its chain is "
            f"consistent: entries {first}-{last} were rewritten and re-chained",
        )


def _verify_entry(
    doc_id: int, doc: Any, path: Path, state: dict[str, Any], anchors: dict[int, str]
) -> None:
    expected = state["seq"]
    seq = doc.get("seq") if isinstance(doc, dict) else None
    if seq != doc_id:
        raise _Broken(expected, f"{path}: document {doc_id} holds seq {seq!r}")
    if seq > expected:
        raise _Broken(expected, f"entry {expected} is missing (entry {seq} follows entry {expected - 1})")
    if seq < expected:
        raise _Broken(seq, f"entry {seq} appears twice")
    if doc.get("prev_hash") != state["prev"]:
        raise _Broken(seq, f"entry {seq}: prev_hash does not match the hash of entry {seq - 1}")
    if doc.get("hash") != entry_hash(doc):
        raise _Broken(seq, f"entry {seq}: content does not match its hash (edited after it was written)")
    if seq in anchors and anchors.pop(seq) != doc["hash"]:
        raise _Broken(seq, f"entry {seq}: hash differs from the anchor recorded for it")
    state["prev"] = doc["hash"]
    state["seq"] = seq + 1
    state["checked"] += 1


def parse_anchors(texts: Iterable[str]) -> dict[int, str]:
    """``SEQ:HASH`` strings (as ``history verify`` prints them) to a dict."""
    anchors: dict[int, str] = {}
    for text in texts:
        seq, sep, value = text.partition(":")
        if not sep or not seq.isdigit() or len(value) != 64:
            raise ValueError(f"anchor {text!r} must be SEQ:HASH with a 64-character hash")
        anchors[int(seq)] = value.lower()
    return anchors
