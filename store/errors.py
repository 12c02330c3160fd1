"""What can go wrong in the store, each with a message that names the file or record."""

from __future__ import annotations


class StoreError(Exception):
    """Bad use of the store or a write that could not be done."""


class StoreCorrupt(StoreError):
    """A file of the store is torn, edited or missing; the message names it."""


class NotFound(StoreError, KeyError):
    """No record with that id."""

    def __str__(self) -> str:  # KeyError would quote the message
        return str(self.args[0]) if self.args else ""


class EngineBusy(StoreError):
    """Another process holds the engine lock of this workspace."""
