"""Core packages never import textual (DESIGN.md, STYLE.md habit 1)."""

import pkgutil
import subprocess
import sys

import pytest

CORE = ("rules", "state_machines", "store", "manager", "maas")


def core_modules() -> list[str]:
    names = []
    for package in CORE:
        module = __import__(package)
        names.append(package)
        for info in pkgutil.walk_packages(module.__path__, prefix=f"{package}."):
            if not info.name.endswith(".__main__"):  # running a __main__ starts the program
                names.append(info.name)
    return names


@pytest.mark.parametrize("package", CORE)
def test_core_package_never_imports_textual(package: str) -> None:
    modules = [m for m in core_modules() if m == package or m.startswith(package + ".")]
    code = (
        "import importlib, sys\n"
        f"for name in {modules!r}:\n"
        "    importlib.import_module(name)\n"
        "leaked = sorted(m for m in sys.modules if m == 'textual' or m.startswith('textual.'))\n"
        "print(','.join(leaked))\n"
    )
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert result.stdout.strip() == "", f"{package} pulled in textual: {result.stdout}"
