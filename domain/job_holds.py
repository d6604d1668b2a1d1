"""Per-kind pauses after a rate limit: when the outside system says "not before T" for one job,
the other due jobs of its kind would only be refused too (and spend its patience), so this
process claims and runs none of them until T.

Per process, in memory: another replica learns of the limit from its own first refusal. That
costs one refused call per replica, not one per job, and needs no shared state.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence


class Holds:
    def __init__(self, clock: Callable[[], float] = time.monotonic) -> None:
        self._clock = clock
        self._until: dict[str, float] = {}

    def hold(self, kind: str, seconds: float) -> None:
        """Run no job of ``kind`` for ``seconds`` (an earlier, longer hold stands)."""
        until = self._clock() + seconds
        self._until[kind] = max(until, self._until.get(kind, until))

    def remaining(self, kind: str) -> float:
        """Seconds until jobs of ``kind`` may run again (0: now)."""
        until = self._until.get(kind)
        if until is None:
            return 0.0
        left = until - self._clock()
        if left <= 0:
            del self._until[kind]
            return 0.0
        return left

    def free(self, kinds: Sequence[str]) -> tuple[str, ...]:
        """Those of ``kinds`` not held now."""
        return tuple(kind for kind in kinds if not self.remaining(kind))

    def next_end(self) -> float | None:
        """Seconds until the first hold ends (None: nothing is held)."""
        left = [self.remaining(kind) for kind in list(self._until)]
        return min((seconds for seconds in left if seconds), default=None)
