"""A workspace folder: the store, the rule files and the config of one Manager."""

from __future__ import annotations

import os
from pathlib import Path

DEFAULT_WORKSPACE = "maas-workspace"


def resolve_workspace(path: Path | str | None) -> Path:
    """The workspace folder: the flag, else $MAAS_MANAGER_WORKSPACE, else ./maas-workspace."""
    if path is None:
        path = os.environ.get("MAAS_MANAGER_WORKSPACE") or DEFAULT_WORKSPACE
    return Path(path).expanduser().resolve()


def rules_dir(workspace: Path) -> Path:
    return workspace / "rules"


def store_dir(workspace: Path) -> Path:
    return workspace / "store"
