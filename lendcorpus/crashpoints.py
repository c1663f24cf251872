"""Named points where a test can kill the process (``LENDCORPUS_CRASH_AT=name[,name...]``).

The kill-matrix test (tests/test_crash.py) runs real builds and SIGKILLs them at these points
as well as after timed delays. Unset, a crash point costs one dictionary lookup.
"""

from __future__ import annotations

import os
import signal


def crash_point(name: str) -> None:
    """SIGKILL this process here when ``$LENDCORPUS_CRASH_AT`` names this point."""
    wanted = os.environ.get("LENDCORPUS_CRASH_AT")
    if wanted and name in wanted.split(","):
        os.kill(os.getpid(), signal.SIGKILL)
