"""The screens of the TUI: one per thing a user comes to do."""
