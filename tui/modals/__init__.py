"""Modal prompts: each binds its own keys and dismisses with the answer."""
