"""Widgets of the TUI, each about one thing the Manager shows."""
