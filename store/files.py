"""Durable file writes: fsync before anything points at a file, rename as the commit.

Every file and folder the store creates is private to its owner (0o600 / 0o700),
whatever the umask, because change logs and approvals name people and decisions.
"""

from __future__ import annotations

import contextlib
import errno
import hashlib
import json
import os
from pathlib import Path
from typing import Any, Callable

FILE_MODE = 0o600
DIR_MODE = 0o700
TMP_SUFFIX = ".tmp"


def ensure_dir(path: Path) -> None:
    """The folder, 0o700 even if it was there with another mode (the store's own folders)."""
    path.mkdir(mode=DIR_MODE, parents=True, exist_ok=True)
    if path.stat().st_mode & 0o777 != DIR_MODE:
        os.chmod(path, DIR_MODE)


def make_private_dir(path: Path) -> bool:
    """Create ``path`` 0o700 whatever the umask; True if created now.

    A folder that is already there keeps the mode its owner gave it (a workspace
    someone made for a team, say): only what the tool creates is made private.
    """
    try:
        path.mkdir(mode=DIR_MODE, parents=True)
    except FileExistsError:
        if not path.is_dir():
            raise NotADirectoryError(errno.ENOTDIR, "not a folder", str(path)) from None
        return False
    os.chmod(path, DIR_MODE)  # mkdir's mode is filtered by the umask
    return True


def named(exc: OSError, path: Path) -> OSError:
    """The same error, naming the file (os.write and os.fsync do not)."""
    if exc.filename is None:
        exc.filename = str(path)
    return exc


def fsync_dir(path: Path) -> None:
    fd = os.open(path, os.O_RDONLY | os.O_DIRECTORY)
    try:
        os.fsync(fd)
    except OSError as exc:
        raise named(exc, path)
    finally:
        os.close(fd)


def write_durable(path: Path, data: bytes) -> None:
    """Write ``data`` to ``path`` (created or truncated, mode 0o600) and fsync it.

    Only used for names nothing refers to yet, so a torn write is harmless.
    """
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, FILE_MODE)
    try:
        os.fchmod(fd, FILE_MODE)  # an orphan left by a crash may carry another mode
        view = memoryview(data)
        while view:
            view = view[os.write(fd, view) :]
        os.fsync(fd)
    except OSError as exc:
        raise named(exc, path)
    finally:
        os.close(fd)


def replace_atomic(
    path: Path, data: bytes, before_replace: Callable[[], None] | None = None, *, keep_mode: bool = False
) -> None:
    """Replace ``path`` with ``data``: temp file in the same folder, fsync, rename, fsync the folder.

    A crash at any point leaves either the old or the new content, never a mix. The new
    file is 0o600, or with ``keep_mode`` the mode the old one had (a file its owner
    shares on purpose, such as a rule file, stays shared; a new one is private).
    """
    tmp = path.with_name(f"{path.name}.{os.getpid()}{TMP_SUFFIX}")
    try:
        write_durable(tmp, data)
        if keep_mode:
            try:
                os.chmod(tmp, path.stat().st_mode & 0o777)
            except FileNotFoundError:
                pass
        if before_replace is not None:
            before_replace()
        os.replace(tmp, path)
    except Exception:
        # A failed rewrite leaves the old file and no temp (a rules folder has no sweeper).
        # A process that dies here leaves the temp: the store's next writer sweeps it.
        with contextlib.suppress(OSError):
            tmp.unlink(missing_ok=True)
        raise
    fsync_dir(path.parent)


def digest(data: bytes) -> str:
    """Seal of a file's bytes (128 bits of sha256)."""
    return hashlib.sha256(data).hexdigest()[:32]


def dump_compact(value: Any) -> bytes:
    """The stored form: compact, UTF-8, deterministic for a given dict order."""
    return json.dumps(value, ensure_ascii=False, separators=(",", ":")).encode("utf-8")


def canonical(value: Any) -> bytes:
    """The hashed form: sorted keys, ASCII, no spaces, so equal content hashes equal."""
    return json.dumps(value, ensure_ascii=True, sort_keys=True, separators=(",", ":")).encode("ascii")
