"""Reload the catalog when its file changes, the way SIGHUP and `/selfserve admin reload` do.

A poll of the file's stat twice a second rather than an inotify library: it is one file, the cost is one
stat() call, it needs no dependency, and it follows editors that save by writing a new file and renaming
it over the old one (the path's inode changes, which a watch on the old inode would miss).
"""

from __future__ import annotations

import asyncio
import logging
import os
from collections.abc import Awaitable, Callable

logger = logging.getLogger(__name__)

POLL_SECONDS = 0.5

Signature = tuple[int, int, int] | None


def signature(path: str) -> Signature:
    """What changes when the file is saved: modification time, size and inode (None while it is missing)."""
    try:
        status = os.stat(path)
    except OSError:
        return None
    return status.st_mtime_ns, status.st_size, status.st_ino


async def watch(path: str, changed: Callable[[], Awaitable[None]], poll: float = POLL_SECONDS) -> None:
    """Call ``changed`` after each save of ``path`` (once the file has stopped changing for one poll), until
    cancelled. A failure in ``changed`` is logged, and watching goes on."""
    seen = signature(path)
    while True:
        await asyncio.sleep(poll)
        now = signature(path)
        if now == seen:
            continue
        await asyncio.sleep(poll)  # an editor may write in several steps: wait for the last one
        if signature(path) != now:
            continue
        seen = now
        try:
            await changed()
        except Exception:  # the watcher must outlive one bad reload
            logger.exception("reloading %s failed", path)
