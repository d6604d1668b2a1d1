"""A clock tests move by hand: timers come due without anyone sleeping through real minutes."""

from __future__ import annotations

from datetime import datetime, timedelta


class TestClock:
    """Stands still until moved; ``now`` is what every unit of work of the app sees."""

    __test__ = False  # not a test class, whatever pytest thinks of its name

    def __init__(self, start: datetime) -> None:
        self.now = start

    def __call__(self) -> datetime:
        return self.now

    def advance(self, **amount: float) -> datetime:
        self.now += timedelta(**amount)
        return self.now

    def set(self, moment: datetime) -> None:
        self.now = moment
