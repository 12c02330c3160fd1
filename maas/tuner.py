"""The Tuner: parameter versions of the embedded student, persisted in the workspace.

``workspace/maas/params.json`` holds every version and which one is active; it is
rewritten atomically (temporary file, fsync, rename, directory fsync) under a file lock,
so a restart keeps the active version and a crash leaves the old file or the new one.
Every operation is idempotent: preparing the same variant twice returns the same version,
applying or rolling back to the active version changes nothing.
"""

from __future__ import annotations

import json
import os
import tempfile
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

from filelock import FileLock

from manager.ports import FactorSpec, ParamVersion
from maas.student_model import StudentModel

FILE_VERSION = 1


class TunerError(ValueError):
    """A request the Tuner refuses; the message says what and where."""


def _now() -> str:
    return datetime.now(timezone.utc).isoformat(timespec="seconds")


def _version_number(version_id: str) -> int:
    return int(version_id[1:])


class EmbeddedTuner:
    def __init__(self, workspace: Path, model: StudentModel) -> None:
        self.model = model
        self.dir = Path(workspace) / "maas"
        self.path = self.dir / "params.json"
        if not self.dir.is_dir():  # private like the rest of the workspace, whatever the umask
            self.dir.mkdir(mode=0o700, parents=True)
            os.chmod(self.dir, 0o700)
        self._lock = FileLock(str(self.dir / "params.json.lock"), mode=0o600)
        with self._lock:
            if not self.path.exists():
                first = {"id": "v0001", "params": model.defaults(), "parent": None,
                         "note": "shipped defaults", "created_at": _now()}
                self._write({"version": FILE_VERSION, "active": "v0001", "versions": [first],
                             "history": [{"at": _now(), "action": "init", "version": "v0001"}]})
            self._read()  # refuse a broken file now rather than mid-campaign

    # -- storage -----------------------------------------------------------------------
    def _read(self) -> dict[str, Any]:
        try:
            state = json.loads(self.path.read_text(encoding="utf-8"))
        except json.JSONDecodeError as exc:
            raise TunerError(f"{self.path}: line {exc.lineno}, column {exc.colno}: not valid JSON: {exc.msg}") from exc
        if not isinstance(state, dict) or state.get("version") != FILE_VERSION:
            raise TunerError(f"{self.path}: not a parameter-version file of format {FILE_VERSION}")
        ids = [v.get("id") for v in state.get("versions", [])]
        if state.get("active") not in ids:
            raise TunerError(f"{self.path}: active version {state.get('active')!r} is not among the versions")
        for i, v in enumerate(state["versions"]):
            try:
                self.model.check_params(v.get("params"), where=f"{self.path}: versions[{i}] ({v.get('id')}).params")
            except ValueError as exc:
                raise TunerError(str(exc)) from None
        return state

    def _write(self, state: dict[str, Any]) -> None:
        fd, tmp = tempfile.mkstemp(prefix=".params.", suffix=".tmp", dir=self.dir)
        try:
            with os.fdopen(fd, "w", encoding="utf-8") as fh:
                json.dump(state, fh, indent=2, sort_keys=True)
                fh.write("\n")
                fh.flush()
                os.fsync(fh.fileno())
            os.replace(tmp, self.path)
        except BaseException:
            if os.path.exists(tmp):
                os.unlink(tmp)
            raise
        dir_fd = os.open(self.dir, os.O_RDONLY)
        try:
            os.fsync(dir_fd)
        finally:
            os.close(dir_fd)

    @staticmethod
    def _as_version(raw: dict[str, Any]) -> ParamVersion:
        return ParamVersion(id=raw["id"], params=raw["params"], parent=raw.get("parent"), note=raw.get("note", ""))

    @staticmethod
    def _find(state: dict[str, Any], version_id: str, what: str) -> dict[str, Any]:
        for raw in state["versions"]:
            if raw["id"] == version_id:
                return raw
        known = ", ".join(v["id"] for v in state["versions"][-5:])
        raise TunerError(f"{what}: unknown parameter version {version_id!r} (latest: {known})")

    # -- the port ----------------------------------------------------------------------
    def factors(self) -> list[FactorSpec]:
        return self.model.factor_specs()

    def active(self) -> ParamVersion:
        state = self._read()
        return self._as_version(self._find(state, state["active"], "active"))

    def versions(self) -> list[ParamVersion]:
        return [self._as_version(v) for v in self._read()["versions"]]

    def prepare_variant(self, base: str, changes: dict[str, float], note: str = "") -> ParamVersion:
        with self._lock:
            state = self._read()
            parent = self._find(state, base, "prepare_variant base")
            if not isinstance(changes, dict) or not changes:
                raise TunerError("prepare_variant changes: expected a non-empty mapping of factor -> value")
            try:
                params = self.model.check_params({**parent["params"], **changes}, where="prepare_variant changes")
            except ValueError as exc:
                raise TunerError(str(exc)) from None
            for raw in state["versions"]:
                if raw.get("parent") == base and raw["params"] == params:
                    return self._as_version(raw)  # the same variant, prepared before
            number = max(_version_number(v["id"]) for v in state["versions"]) + 1
            raw = {"id": f"v{number:04d}", "params": params, "parent": base, "note": note, "created_at": _now()}
            state["versions"].append(raw)
            state["history"].append({"at": _now(), "action": "prepare", "version": raw["id"]})
            self._write(state)
            return self._as_version(raw)

    def apply(self, version_id: str) -> ParamVersion:
        return self._activate(version_id, "apply")

    def rollback(self, to_version_id: str) -> ParamVersion:
        return self._activate(to_version_id, "rollback")

    def _activate(self, version_id: str, action: str) -> ParamVersion:
        with self._lock:
            state = self._read()
            raw = self._find(state, version_id, action)
            if state["active"] == version_id:
                return self._as_version(raw)  # already active: nothing changes
            if action == "rollback" and _version_number(version_id) > _version_number(state["active"]):
                raise TunerError(f"rollback: {version_id} is newer than the active {state['active']}; use apply")
            state["history"].append({"at": _now(), "action": action, "version": version_id,
                                     "from": state["active"]})
            state["active"] = version_id
            self._write(state)
            return self._as_version(raw)
