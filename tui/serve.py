"""The TUI in a web browser, through textual-serve, listening on localhost only.

    pip install textual-serve
    python -m tui.serve -w ./maas-workspace            # then open http://localhost:8000
    ssh -L 8000:localhost:8000 you@server              # from another machine: a tunnel, never an open port

Every browser tab runs its own ``maas-manager`` process on the workspace: the first
one runs the engine, later ones attach as observers.
"""

from __future__ import annotations

import argparse
import shlex
import sys
from pathlib import Path

HOST = "localhost"  # not configurable on purpose: the TUI can approve changes


def command(workspace: Path, read_only: bool) -> str:
    argv = [sys.executable, "-c", "from manager.cli import main; main()", "-w", str(workspace)]
    if read_only:
        argv.append("--read-only")
    return shlex.join(argv)


def main(argv: list[str] | None = None) -> None:
    from manager.workspace import resolve_workspace

    parser = argparse.ArgumentParser(prog="python -m tui.serve", description=__doc__.split("\n\n")[0])
    parser.add_argument("-w", "--workspace", default=None, help="workspace folder (default: as maas-manager)")
    parser.add_argument("--port", type=int, default=8000)
    parser.add_argument("--read-only", action="store_true", help="every tab may look, none may change anything")
    args = parser.parse_args(argv)
    try:
        from textual_serve.server import Server
    except ImportError:
        raise SystemExit("textual-serve is not installed: pip install textual-serve") from None
    workspace = resolve_workspace(args.workspace)
    Server(command(workspace, args.read_only), host=HOST, port=args.port, title="maas-manager").serve()


if __name__ == "__main__":
    main()
