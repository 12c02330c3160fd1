"""Read models: what each screen shows, built from the store off the event loop.

Functions here take a ``store.Store`` (and plain values), run in thread workers,
and return frozen dataclasses; they never import textual.
"""
