"""Tools to tamper with a store's change log the way an editor or an attacker would."""

from __future__ import annotations

import hashlib
import json
from pathlib import Path
from typing import Any

from store.files import canonical, digest
from store.manifest import LOG_KIND

Segments = dict[Path, dict[str, dict[str, Any]]]


def segments(store_path: Path) -> Segments:
    out = {}
    for path in sorted((store_path / "data").glob(f"{LOG_KIND}.*.json")):
        if ".index." in path.name:
            continue
        out[path] = json.loads(path.read_bytes())[LOG_KIND]
    return out


def write_segments(parts: Segments) -> None:
    for path, docs in parts.items():
        path.write_bytes(json.dumps({LOG_KIND: docs}, ensure_ascii=False, separators=(",", ":")).encode())


def segment_of(parts: Segments, seq: int) -> Path:
    return next(path for path, docs in parts.items() if str(seq) in docs)


def rehash(doc: dict[str, Any]) -> str:
    body = {k: v for k, v in doc.items() if k != "hash"}
    return hashlib.sha256(canonical(body)).hexdigest()


def rechain_from(parts: Segments, seq: int) -> None:
    """Recompute prev_hash and hash of ``seq`` and every later entry (what a careful forger does)."""
    ordered = sorted(((int(k), doc) for docs in parts.values() for k, doc in docs.items()), key=lambda r: r[0])
    prev = None
    for n, doc in ordered:
        if n >= seq:
            doc["prev_hash"] = prev
            doc["hash"] = rehash(doc)
        prev = doc["hash"]


def reseal_manifest(store_path: Path) -> None:
    """Rewrite the seals (segment digests, index digest) and the head to match the files: a complete forgery."""
    path = store_path / "MANIFEST.json"
    manifest = json.loads(path.read_bytes())
    table = manifest["tables"][LOG_KIND]
    index_path = None
    if table["index"] is not None:
        index_path = store_path / "data" / f"{LOG_KIND}.index.g{table['index'][0]:010d}.json"
        index = json.loads(index_path.read_bytes())
    for segment in (store_path / "data").glob(f"{LOG_KIND}.*.json"):
        key = segment.name.split(".")[1]
        if key == "index":
            continue
        rows = table["rows"] if key in table["rows"] else index["rows"]
        rows[key][2] = digest(segment.read_bytes())
    if index_path is not None:
        index_path.write_bytes(json.dumps(index, separators=(",", ":")).encode())
        table["index"][1] = digest(index_path.read_bytes())
    parts = segments(store_path)
    last = max(int(k) for docs in parts.values() for k in docs)
    manifest["log"]["head"] = parts[segment_of(parts, last)][str(last)]["hash"]
    path.write_bytes(json.dumps(manifest, separators=(",", ":")).encode())
