"""Members of Slack user groups, for roles that name them (``usergroups: [S…]``).

Looked up through ``fetch`` (the Slack side: usergroups.users.list) and kept for ``max_age``
seconds. Reading is synchronous and never waits on Slack: the catalog reads the last answer.
What must be current is refreshed before it is used: the groups of a step's roles before a
decision on it or routing to it (a click), and every group of a catalog when it comes into
force. A failed lookup keeps the previous answer (logged), so an outage does not empty a role,
and is not tried again for ``retry_after_failure`` seconds (see ``FAILED_RETRY_SECONDS``).
Requests waiting on a lookup give up after ``wait`` seconds and use what is known (a person
must get Slack's answer within 3 s), while the lookup goes on; one lookup per group at a time,
however many clicks need it.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Awaitable, Callable, Iterable

logger = logging.getLogger(__name__)
Fetch = Callable[[str], Awaitable[frozenset[str]]]
MAX_AGE_SECONDS = 300.0
WAIT_SECONDS = 0.5
FAILED_RETRY_SECONDS = 30.0
"""How long a failed lookup stands. Without it every click during an outage or a rate limit asks
Slack again, each waiting its half second for nothing, and keeps a rate-limited method limited
(usergroups.users.list allows about 20 calls a minute); 30 s is short next to the five minutes an
answer is kept, so a role is whole again within a minute of Slack answering again."""


class UserGroups:
    def __init__(self, fetch: Fetch | None, max_age: float = MAX_AGE_SECONDS, wait: float = WAIT_SECONDS,
                 clock: Callable[[], float] = time.monotonic,
                 retry_after_failure: float = FAILED_RETRY_SECONDS) -> None:
        """``fetch`` None: no Slack to ask (every group is empty)."""
        self._fetch = fetch
        self._max_age = max_age
        self._wait = wait
        self._clock = clock
        self._retry_after_failure = retry_after_failure
        self._known: dict[str, tuple[frozenset[str], float]] = {}
        self._failed: dict[str, float] = {}
        """When each group's last lookup failed (until one succeeds)."""
        self._looking: dict[str, asyncio.Task[None]] = {}

    def members(self, group: str) -> frozenset[str]:
        """The group's members as last looked up (empty before the first lookup)."""
        found = self._known.get(group)
        return found[0] if found else frozenset()

    async def refresh(self, groups: Iterable[str]) -> None:
        """Look up again the groups whose answer is older than ``max_age``, concurrently."""
        if self._fetch is None:
            return
        now = self._clock()
        stale = sorted({group for group in groups if self._stale(group, now)})
        if not stale:
            return
        lookups = [self._lookup_of(group) for group in stale]
        await asyncio.wait(lookups, timeout=self._wait)  # late ones go on; this request uses what is known

    def _stale(self, group: str, now: float) -> bool:
        """Due for a lookup: never answered or answered too long ago, and not failed just now."""
        if group in self._failed and now - self._failed[group] < self._retry_after_failure:
            return False
        return group not in self._known or now - self._known[group][1] >= self._max_age

    def _lookup_of(self, group: str) -> asyncio.Task[None]:
        """The lookup of ``group`` under way, or a new one."""
        task = self._looking.get(group)
        if task is None:
            task = self._looking[group] = asyncio.get_running_loop().create_task(self._look_up(group))
            task.add_done_callback(lambda _: self._looking.pop(group, None))
        return task

    async def _look_up(self, group: str) -> None:
        assert self._fetch is not None
        try:
            members = await self._fetch(group)
        except Exception as error:  # Slack away or refusing: keep what we knew
            logger.warning("user group %s could not be looked up (%s); keeping the last answer for %.0f s",
                           group, type(error).__name__, self._retry_after_failure)
            self._failed[group] = self._clock()
            return
        self._failed.pop(group, None)
        self._known[group] = (members, self._clock())
