"""How the `kpi-rules` program ends on a signal, as Unix tools do.

- Ctrl-C (SIGINT) and SIGTERM unwind the command: files being written are
  removed (see `writers.atomic`), then the program exits 130 or 143
  (128 + the signal's number), never 1, which means "some rows are errors".
- A closed pipe (`kpi-rules evaluate ... | head -1`) ends the program silently
  by SIGPIPE: the shell sees 141, and no traceback or error is printed.

Only `kpi_rules.cli.run` installs these handlers: signals are process-wide
state, and a library call (or a server thread) never touches them.
"""

from __future__ import annotations

import signal
from types import FrameType


class Interrupted(BaseException):
    """A signal asked the program to stop. A BaseException, so no `except Exception`
    swallows it and click does not turn it into "Aborted!" and exit 1."""

    def __init__(self, signum: int) -> None:
        super().__init__(signum)
        self.signum = signum

    @property
    def exit_code(self) -> int:
        return 128 + self.signum


def _stop(signum: int, frame: FrameType | None) -> None:
    # A second Ctrl-C must not break the clean-up the first one started.
    for other in (signal.SIGINT, signal.SIGTERM):
        signal.signal(other, signal.SIG_IGN)
    raise Interrupted(signum)


def install() -> None:
    """Install the program's handlers (main thread only: the `kpi-rules` program)."""
    signal.signal(signal.SIGINT, _stop)
    signal.signal(signal.SIGTERM, _stop)
    if hasattr(signal, "SIGPIPE"):  # not on Windows
        signal.signal(signal.SIGPIPE, signal.SIG_DFL)
