"""Optional py-spy sampling of a server process while the benchmark drives it.

``--profile DIR`` attaches ``py-spy record`` to each server for its whole run and writes
the collapsed stacks (``DIR/<server>.txt``) plus a summary of where the samples fell:
the functions with the most inclusive and self time, which is what a fix should target.
"""

from __future__ import annotations

import asyncio
import shutil
import signal
import sys
from collections import Counter
from pathlib import Path

TOP = 25
# Leaves where a thread waits rather than works: the event loop polling for I/O, and
# aiosqlite's worker thread blocked on its queue between statements.
IDLE_LEAVES = frozenset({"EpollSelector.select (selectors.py)", "_connection_worker_thread (core.py)"})


class Sampler:
    """``py-spy record --pid`` in the background; ``stop`` flushes and summarises."""

    def __init__(self, process: asyncio.subprocess.Process, output: Path) -> None:
        self._process = process
        self.output = output

    @classmethod
    async def attach(cls, pid: int, output: Path, rate: int = 250) -> Sampler:
        beside = Path(sys.executable).parent / "py-spy"  # the virtualenv's bin is often not on PATH
        exe = str(beside) if beside.exists() else shutil.which("py-spy")
        if exe is None:
            raise RuntimeError("--profile needs py-spy: .venv/bin/pip install py-spy")
        output.parent.mkdir(parents=True, exist_ok=True)
        process = await asyncio.create_subprocess_exec(
            exe, "record", "--pid", str(pid), "--rate", str(rate), "--format", "raw", "--nonblocking",
            "--output", str(output), stdout=asyncio.subprocess.DEVNULL, stderr=asyncio.subprocess.DEVNULL)
        await asyncio.sleep(0.5)  # py-spy needs a moment to attach before the first timed phase
        return cls(process, output)

    async def stop(self) -> str:
        if self._process.returncode is None:
            self._process.send_signal(signal.SIGINT)
            await self._process.wait()
        return summarise(self.output) if self.output.exists() else f"(py-spy wrote nothing to {self.output})"


def _frame_name(frame: str) -> str:
    """``func (path/to/module.py:123)`` → ``func (module.py)``: lines split one function apart."""
    name, _, where = frame.partition(" (")
    return f"{name} ({Path(where.split(':')[0]).name})" if where else name


def _entry_point(frames: list[str]) -> str:
    """The first frame below the event loop's dispatch: which task or callback the work belongs to."""
    for i, frame in enumerate(frames):
        if frame.startswith(("Handle._run ", "Task.__step ", "Thread.run ")) and i + 1 < len(frames):
            return frames[i + 1]
    return frames[-1]


def summarise(collapsed: Path, top: int = TOP) -> str:
    """Busiest functions by inclusive and by self samples, idle loop waits excluded."""
    inclusive: Counter[str] = Counter()
    own: Counter[str] = Counter()
    entries: Counter[str] = Counter()
    total = 0
    for line in collapsed.read_text().splitlines():
        stack, _, count_text = line.rpartition(" ")
        if not stack or not count_text.isdigit():
            continue
        frames = [_frame_name(f) for f in stack.split(";")]
        if frames[-1] in IDLE_LEAVES:
            continue
        count = int(count_text)
        total += count
        for frame in set(frames):
            inclusive[frame] += count
        own[frames[-1]] += count
        entries[_entry_point(frames)] += count
    if not total:
        return f"{collapsed}: no busy samples"

    def rows(counter: Counter[str]) -> list[str]:
        return [f"  {100 * n / total:5.1f}%  {frame}" for frame, n in counter.most_common(top)]

    return "\n".join([f"{collapsed}: {total} busy samples", "by entry point:", *rows(entries), "inclusive:",
                      *rows(inclusive), "self:", *rows(own)])
