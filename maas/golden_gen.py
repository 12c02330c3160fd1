"""Write the golden set: ``python -m maas.golden_gen [--check]``.

Run once; the file it writes (``maas/data/golden.json``) is shipped and never regenerated
in normal use. It is written from ``data/golden_world.yaml`` only, whose personas, values
and templates the emulator never uses. ``--check`` verifies that the shipped file is
exactly what this script writes, so nobody edits the golden set by hand.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

from maas.datafiles import DATA_DIR
from maas.dialogues import write_dialogues
from maas.golden import GOLDEN_PATH, GoldenSet
from maas.world import load_world

GOLDEN_WORLD = DATA_DIR / "golden_world.yaml"
GOLDEN_SEED = 20251126
GOLDEN_DIALOGUES = 60


def golden_set(n: int = GOLDEN_DIALOGUES, seed: int = GOLDEN_SEED) -> GoldenSet:
    world = load_world(GOLDEN_WORLD)
    return GoldenSet(version=1, seed=seed, source=GOLDEN_WORLD.name,
                     dialogues=write_dialogues(world, seed, n, prefix="g"))


def render(golden: GoldenSet) -> str:
    """JSON with one dialogue per line, so that a change shows up as a readable diff."""
    data = golden.model_dump(mode="json", exclude_defaults=True, exclude_none=True)
    dialogues = data.pop("dialogues")
    head = json.dumps(data, sort_keys=True)[:-1]
    lines = ",\n".join(json.dumps(d, sort_keys=True, separators=(",", ":")) for d in dialogues)
    return f'{head}, "dialogues": [\n{lines}\n]}}\n'


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=GOLDEN_PATH)
    parser.add_argument("--check", action="store_true", help="compare instead of writing")
    args = parser.parse_args(argv)
    text = render(golden_set())
    if args.check:
        same = args.out.exists() and args.out.read_text(encoding="utf-8") == text
        print(f"{args.out}: {'matches' if same else 'DIFFERS from'} what golden_gen writes")
        return 0 if same else 1
    args.out.write_text(text, encoding="utf-8")
    print(f"wrote {args.out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
