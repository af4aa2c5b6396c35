"""One line of progress on stderr while something slow runs (online probes, triage, discover): the step
running and the time left in the budget. Shown only when stderr is a terminal, never in a pipe, a file
or CI logs; it erases itself before the report is printed.

Code that does slow work calls `note("step", deadline)`; it costs nothing when no progress is shown.
"""

from __future__ import annotations

import os
import sys
import threading
import time
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from typing import TextIO

_SPINNER = "⠋⠙⠹⠸⠼⠴⠦⠧⠇⠏"
_active: Progress | None = None


def enabled_for(stream: TextIO, env: Mapping[str, str]) -> bool:
    """A terminal that can redraw a line (not TERM=dumb)."""
    try:
        return stream.isatty() and env.get("TERM") != "dumb"
    except (AttributeError, ValueError, OSError):
        return False


class Progress:
    """Redraws `⠹ 3.2 s left of 5 s · step` on the stream every tick, after a short delay (fast runs stay
    quiet)."""

    def __init__(self, stream: TextIO, *, delay: float = 0.5, tick: float = 0.1) -> None:
        self.stream = stream
        self.delay = delay
        self.tick = tick
        self.step = ""
        self.deadline: float | None = None
        self.budget: float | None = None
        self.started = time.monotonic()
        self.drawn = False
        self._stop = threading.Event()
        self._lock = threading.Lock()
        self._thread = threading.Thread(target=self._run, name="sso-doctor-progress", daemon=True)

    def note(self, step: str, deadline: float | None = None, budget: float | None = None) -> None:
        with self._lock:
            self.step = step
            if deadline is not None:
                self.deadline = deadline
            if budget is not None:
                self.budget = budget

    def line(self, now: float) -> str:
        with self._lock:
            step, deadline, budget = self.step, self.deadline, self.budget
        spin = _SPINNER[int((now - self.started) / self.tick) % len(_SPINNER)]
        # the time first: a narrow terminal cuts the end of the line, never the clock
        if deadline is not None:
            left = max(0.0, deadline - now)
            clock = f"{left:.1f} s left" if left < 10 else f"{left:.0f} s left"
            clock += f" of {budget:g} s" if budget else ""
        else:
            clock = f"{now - self.started:.0f} s"
        return f"{spin} {clock} · {step or 'working'}"

    def _run(self) -> None:
        if self._stop.wait(self.delay):
            return
        try:
            columns = os.get_terminal_size(self.stream.fileno()).columns
        except (OSError, ValueError, AttributeError):
            columns = 0
        width = columns - 1 if columns >= 20 else 79  # a terminal that reports no size: assume 80
        while not self._stop.is_set():
            self._write("\r\x1b[2K" + self.line(time.monotonic())[:width])
            self.drawn = True
            self._stop.wait(self.tick)

    def _write(self, text: str) -> None:
        try:
            self.stream.write(text)
            self.stream.flush()
        except (OSError, ValueError):
            self._stop.set()

    def start(self) -> None:
        self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        if self._thread.is_alive():
            self._thread.join(1.0)
        if self.drawn:
            self._write("\r\x1b[2K")


def note(step: str, deadline: float | None = None, budget: float | None = None) -> None:
    """Tell the progress line what is running now (and until when); a no-op when none is shown."""
    p = _active
    if p is not None:
        p.note(step, deadline, budget)


@contextmanager
def shown(stream: TextIO | None = None, env: Mapping[str, str] | None = None, *, delay: float = 0.5
          ) -> Iterator[Progress | None]:
    """Show progress on `stream` (stderr) for the duration, if it is a terminal."""
    global _active
    stream = stream or sys.stderr
    if not enabled_for(stream, os.environ if env is None else env) or _active is not None:
        yield None
        return
    p = Progress(stream, delay=delay)
    _active = p
    p.start()
    try:
        yield p
    finally:
        _active = None
        p.stop()
