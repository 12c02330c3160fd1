"""The emulator: N seeded dialogues played through the student for one configuration."""

from __future__ import annotations

import hashlib
import json
import threading
from collections import OrderedDict

from manager.ports import Batch, Progress
from maas.conversation import play
from maas.dialogues import Dialogue, dialogue_rng, write_dialogue
from maas.student import Student
from maas.world import World

MAX_DIALOGUES = 10_000


def check_seed(seed: int) -> int:
    if isinstance(seed, bool) or not isinstance(seed, int) or seed < 0:
        raise ValueError(f"seed: expected a non-negative integer, got {seed!r}")
    return seed


def params_digest(params: dict[str, float]) -> str:
    return hashlib.sha1(json.dumps(params, sort_keys=True).encode()).hexdigest()[:8]


class EmbeddedEmulator:
    """Writes dialogues from the emulator's world (never the golden one) and plays them."""

    CACHE = 512  # written dialogues kept: an A/B pair plays the same dialogues twice

    def __init__(self, student: Student, world: World, workers: int = 1) -> None:
        self.student = student
        self.world = world
        self.workers = workers
        self._written: OrderedDict[tuple[int, int], Dialogue] = OrderedDict()
        self._lock = threading.Lock()

    def dialogues(self, seed: int, n: int, start: int = 0) -> list[Dialogue]:
        """Dialogues ``start`` to ``start + n - 1`` of ``seed`` (dialogue i depends only on seed and i)."""
        out = []
        for i in range(start, start + n):
            with self._lock:
                dialogue = self._written.get((seed, i))
                if dialogue is not None:
                    self._written.move_to_end((seed, i))
            if dialogue is None:
                dialogue = write_dialogue(self.world, dialogue_rng(seed, i), f"d{seed}-{i:03d}")
                with self._lock:
                    self._written[(seed, i)] = dialogue
                    while len(self._written) > self.CACHE:
                        self._written.popitem(last=False)
            out.append(dialogue)
        return out

    def run_batch(self, params: dict[str, float], n: int = 30, seed: int = 0,
                  progress: Progress | None = None, start: int = 0) -> Batch:
        """Dialogues ``start`` .. ``start + n - 1`` of ``seed``.

        A batch emulated in parts (``start`` = the dialogues already run) has, part for part,
        the same dialogues and the same luck as the whole batch: an A/B can grow a look at a time.
        """
        params = self.student.model.check_params(params)
        if isinstance(n, bool) or not isinstance(n, int) or not 1 <= n <= MAX_DIALOGUES:
            raise ValueError(f"n: expected an integer from 1 to {MAX_DIALOGUES}, got {n!r}")
        if isinstance(start, bool) or not isinstance(start, int) or not 0 <= start <= MAX_DIALOGUES - n:
            raise ValueError(f"start: expected an integer from 0 to {MAX_DIALOGUES - n} (n={n}), got {start!r}")
        check_seed(seed)
        dialogues = self.dialogues(seed, n, start)
        events, failed = play(self.student, dialogues, params, seed, progress, self.workers, start=start)
        part = f"-s{start}" if start else ""
        return Batch(id=f"b{seed}{part}-n{n}-{params_digest(params)}", params=params, seed=seed,
                     dialogues=n, events=events, failed_dialogues=failed)
