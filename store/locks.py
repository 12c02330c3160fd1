"""The writer lock (one commit at a time) and the engine lock (one engine per workspace)."""

from __future__ import annotations

import fcntl
import os
import threading
from contextlib import contextmanager
from pathlib import Path
from typing import Iterator

from filelock import FileLock, Timeout

from store.errors import EngineBusy, StoreError
from store.files import FILE_MODE

WRITER_LOCK = "writer.lock"
ENGINE_LOCK = "engine.lock"
WRITER_TIMEOUT = 30.0
# engine_running() probes the engine lock for a moment; a starting engine waits that out.
ENGINE_GRACE = 0.5


class WriterLock:
    """An exclusive flock on ``writer.lock`` around every transaction; a reader that keeps
    losing the race to a fast writer holds it shared for one read.

    Not filelock's: it polls (every 50 ms by default), so a process that
    commits in a loop re-takes the lock between polls and starves the others.
    Here a contended waiter blocks in the kernel (in a helper thread, so that it
    can give up after ``timeout``) and gets the lock as soon as it is released.
    """

    def __init__(self, store_dir: Path, timeout: float = WRITER_TIMEOUT) -> None:
        self._path = store_dir / WRITER_LOCK
        self._timeout = timeout
        self._fd: int | None = None

    def _open(self) -> int:
        return os.open(self._path, os.O_RDWR | os.O_CREAT | os.O_CLOEXEC, FILE_MODE)

    def try_acquire(self) -> bool:
        fd = self._open()
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            os.close(fd)
            return False
        self._fd = fd
        return True

    def acquire(self) -> None:
        if self.try_acquire():
            return
        self._fd = self._wait(self._open(), fcntl.LOCK_EX)

    @contextmanager
    def shared(self) -> Iterator[None]:
        """Hold the lock shared: no commit runs meanwhile. Needs no write access and creates
        nothing (no lock file yet: no writer has ever committed, nothing to hold off)."""
        try:
            fd = os.open(self._path, os.O_RDONLY | os.O_CLOEXEC)
        except FileNotFoundError:
            yield
            return
        except OSError as exc:
            raise StoreError(f"cannot lock {self._path}: {exc.strerror}") from exc
        fd = self._wait(fd, fcntl.LOCK_SH)
        try:
            yield
        finally:
            os.close(fd)  # closing drops the lock

    def _wait(self, fd: int, operation: int) -> int:
        """``fd`` once flock(``operation``) is granted; StoreError (fd closed) after the timeout."""
        granted = threading.Event()
        guard = threading.Lock()
        state: dict[str, object] = {"abandoned": False, "error": None}

        def wait() -> None:
            try:
                fcntl.flock(fd, operation)
            except OSError as exc:
                state["error"] = exc
            with guard:
                if state["abandoned"]:
                    os.close(fd)  # closing the descriptor drops the lock we got too late
                else:
                    granted.set()

        threading.Thread(target=wait, name="store-writer-lock", daemon=True).start()
        granted.wait(self._timeout)
        with guard:
            if not granted.is_set():
                state["abandoned"] = True
                raise StoreError(
                    f"another process has held the writer lock {self._path} for more than {self._timeout:g} s"
                )
        if state["error"] is not None:
            os.close(fd)
            raise StoreError(f"cannot lock {self._path}: {state['error']}")
        return fd

    def release(self) -> None:
        fd, self._fd = self._fd, None
        if fd is not None:
            fcntl.flock(fd, fcntl.LOCK_UN)
            os.close(fd)


def _write_pid(fd: int) -> None:
    os.ftruncate(fd, 0)
    os.pwrite(fd, f"{os.getpid()}\n".encode(), 0)


class EngineLock:
    def __init__(self, store_dir: Path) -> None:
        self._store_dir = store_dir
        self._path = store_dir / ENGINE_LOCK
        self._held = 0

    @contextmanager
    def hold(self) -> Iterator[None]:
        lock = FileLock(self._path, mode=FILE_MODE, thread_local=False, on_acquired=_write_pid)
        try:
            lock.acquire(timeout=ENGINE_GRACE)
        except Timeout:
            raise EngineBusy(f"engine already running for {self._store_dir} (pid {self.holder()})") from None
        self._held += 1
        try:
            yield
        finally:
            self._held -= 1
            lock.release()

    def running(self) -> bool:
        """Whether an engine holds the lock. Creates nothing and needs no write access.

        The probe is a shared flock on a read-only descriptor: probes never block one
        another (two exclusive probes at once would each take the other for an engine),
        and an engine that starts during one waits it out (ENGINE_GRACE).
        """
        if self._held:
            return True
        try:
            fd = os.open(self._path, os.O_RDONLY | os.O_CLOEXEC)
        except FileNotFoundError:  # no engine ever ran here
            return False
        except OSError as exc:
            raise StoreError(f"cannot read the engine lock {self._path}: {exc.strerror}") from exc
        try:
            fcntl.flock(fd, fcntl.LOCK_SH | fcntl.LOCK_NB)
        except BlockingIOError:
            return True
        finally:
            os.close(fd)  # closing drops the probe's lock
        return False

    def holder(self) -> str:
        try:
            text = self._path.read_text().strip()
        except OSError:
            text = ""
        return text if text.isdigit() else "unknown"
