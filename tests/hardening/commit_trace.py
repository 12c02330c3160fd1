"""Run the maas-manager CLI and write one JSON line per store commit to a trace file.

    python commit_trace.py TRACE -- -w WS run --until-idle --cycles 1 -q

The crash harness runs this once per workspace as its reference: line N says what the
store held after the Nth commit of the process (generation, change-log length), which is
the Nth point at which ``MAAS_MANAGER_CRASH_AT_COMMIT`` can end the same run.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path


def install(trace: Path) -> None:
    from store import Store

    original = Store.__init__

    def traced_init(self: Store, path: Path, **options: object) -> None:
        original(self, path, **options)

        def hook(step: str) -> None:
            if step == "manifest-replaced":
                manifest = self._manifest
                line = {"generation": manifest.generation, "log": manifest.log_next_seq - 1}
                with trace.open("a", encoding="utf-8") as out:
                    out.write(json.dumps(line) + "\n")

        self._commit_hook = hook

    Store.__init__ = traced_init  # type: ignore[method-assign]


def main(argv: list[str]) -> None:
    trace, sep, *cli_args = argv
    if sep != "--":
        raise SystemExit("usage: commit_trace.py TRACE -- CLI ARGS...")
    Path(trace).write_text("", encoding="utf-8")
    install(Path(trace))
    from manager.cli import main as cli

    cli(cli_args, prog_name="maas-manager")


if __name__ == "__main__":
    main(sys.argv[1:])
