from __future__ import annotations

import pytest


class Saves(list):
    """A ``save`` that records what it was given (copies, so later changes do not leak in)."""

    def __call__(self, record):
        self.append(record.model_copy(deep=True))


@pytest.fixture
def saves() -> Saves:
    return Saves()
