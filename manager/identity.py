"""Who is acting: the OS account of this process, never an environment variable."""

from __future__ import annotations

import os
import pwd


def os_account() -> str:
    """The login name of the effective user; USER and LOGNAME are ignored on purpose."""
    uid = os.geteuid()
    try:
        return pwd.getpwuid(uid).pw_name
    except KeyError:  # a uid with no passwd entry (some containers)
        return f"uid:{uid}"
