"""Read a child process's output line by line with a deadline: a blocking readline() on a pipe
waits forever when the child hangs or never prints the line, and the whole suite with it."""

from __future__ import annotations

import queue
import threading
from typing import IO


class Lines:
    def __init__(self, stream: IO[str]) -> None:
        self._lines: queue.Queue[str] = queue.Queue()
        self._thread = threading.Thread(target=self._pump, args=(stream,), daemon=True)
        self._thread.start()

    def _pump(self, stream: IO[str]) -> None:
        for line in stream:
            self._lines.put(line)
        self._lines.put("")  # end of output, as readline() says it

    def next(self, timeout: float = 15) -> str:
        """The next line (with its newline), "" at the end of the output; fails after `timeout`."""
        try:
            return self._lines.get(timeout=timeout)
        except queue.Empty:
            raise AssertionError(f"no line from the child process in {timeout} s") from None
