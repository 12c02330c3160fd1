"""Fixtures of the store tests: a fresh store folder."""

from __future__ import annotations

from pathlib import Path
from typing import Iterator

import pytest

from store import Store


@pytest.fixture
def store_path(tmp_path: Path) -> Path:
    return tmp_path / "ws" / "store"


@pytest.fixture
def store(store_path: Path) -> Iterator[Store]:
    opened = Store.open(store_path)
    yield opened
    opened.close()
