"""A workspace folder: the store, the rule files and the config of one Manager.

    workspace/
      workspace.yaml   which MaaS to steer (import path) and engine settings
      rules/           the policy owner's rule files (a copy of the defaults at first)
      store/           the TinyDB store (records, change log)
      maas/            the embedded MaaS's own state (its tuner's versions)
      reports/         Markdown reports
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import TYPE_CHECKING, Any

from pydantic import BaseModel, ConfigDict, Field, ValidationError
from ruamel.yaml import YAML
from ruamel.yaml.error import YAMLError

if TYPE_CHECKING:
    from store import Store

DEFAULT_WORKSPACE = "maas-workspace"
CONFIG_NAME = "workspace.yaml"


class WorkspaceError(RuntimeError):
    """The workspace folder or its config is missing or invalid."""


def resolve_workspace(path: Path | str | None) -> Path:
    """The workspace folder: the flag, else $MAAS_MANAGER_WORKSPACE, else ./maas-workspace."""
    if path is None:
        path = os.environ.get("MAAS_MANAGER_WORKSPACE") or DEFAULT_WORKSPACE
    return Path(path).expanduser().resolve()


def rules_dir(workspace: Path) -> Path:
    return workspace / "rules"


def store_dir(workspace: Path) -> Path:
    return workspace / "store"


def reports_dir(workspace: Path) -> Path:
    return workspace / "reports"


class MaaSConfig(BaseModel):
    model_config = ConfigDict(extra="forbid")
    factory: str = Field("maas.embedded:build", description="module:function that builds the MaaS")
    options: dict[str, Any] = Field(default_factory=dict)


class EngineConfig(BaseModel):
    model_config = ConfigDict(extra="forbid")
    seed: int = Field(7, description="seed of the emulation batches, for reproducible runs")
    adapter_timeout_s: float = Field(120.0, gt=0, description="a port call that takes longer fails")
    poll_interval_s: float = Field(0.5, gt=0, description="how often commands from other processes are read")


class WorkspaceConfig(BaseModel):
    model_config = ConfigDict(extra="forbid")
    maas: MaaSConfig = Field(default_factory=MaaSConfig)
    engine: EngineConfig = Field(default_factory=EngineConfig)


def load_config(workspace: Path) -> WorkspaceConfig:
    """Read workspace.yaml; a missing file means the defaults, a broken one an error naming it."""
    path = workspace / CONFIG_NAME
    if not path.exists():
        return WorkspaceConfig()
    yaml = YAML(typ="safe", pure=True)
    try:
        data = yaml.load(path.read_text(encoding="utf-8")) or {}
    except (YAMLError, UnicodeDecodeError) as exc:
        raise WorkspaceError(f"{path}: not valid YAML: {exc}") from exc
    if not isinstance(data, dict):
        raise WorkspaceError(f"{path}: expected a mapping at the top level")
    try:
        return WorkspaceConfig.model_validate(data)
    except ValidationError as exc:
        problems = "; ".join(
            f"{'.'.join(str(p) for p in err['loc'])}: {err['msg']}" for err in exc.errors()
        )
        raise WorkspaceError(f"{path}: {problems}") from exc


CONFIG_TEMPLATE = """\
# maas-manager workspace: which MaaS the Manager steers and how the engine runs.
maas:
  # module:function returning manager.ports.MaaS (teacher, emulator, tuner)
  factory: {factory}
  options: {{}}
engine:
  seed: {seed}               # seed of the emulation batches
  adapter_timeout_s: 120     # a teacher/emulator/tuner call that takes longer fails
  poll_interval_s: 0.5       # how often commands from other processes are read
"""


def write_config(workspace: Path, factory: str = "maas.embedded:build", seed: int = 7) -> Path:
    from store.files import replace_atomic

    path = workspace / CONFIG_NAME
    # whole or not at all; a new file 0o600, a rewritten one keeps the mode its owner chose
    replace_atomic(path, CONFIG_TEMPLATE.format(factory=factory, seed=seed).encode("utf-8"), keep_mode=True)
    return path


def is_workspace(workspace: Path) -> bool:
    return (workspace / CONFIG_NAME).exists()


def open_store(workspace: Path, *, read_only: bool = False) -> "Store":
    """The workspace's store; a set-up workspace whose store is gone is an error, not a fresh start.

    ``workspace.yaml`` is written last when a workspace is created, so a workspace that has it
    had a store: starting an empty one there would silently lose its history and approvals.
    """
    from store import Store
    from store.manifest import MANIFEST_NAME

    path = store_dir(workspace)
    if is_workspace(workspace) and not (path / MANIFEST_NAME).is_file():
        raise WorkspaceError(
            f"{path / MANIFEST_NAME} is missing: the store of this workspace is gone or moved "
            f"({'the folder is empty' if path.is_dir() and not any(path.iterdir()) else 'no store there'}). "
            "Nothing was created in its place: restore the folder from a backup, or remove "
            f"{workspace / CONFIG_NAME} to set the workspace up afresh")
    return Store.open(path, read_only=read_only)
