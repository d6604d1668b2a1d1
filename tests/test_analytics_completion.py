"""Time to completion (SQLite and PostgreSQL): an action with ``on_approved`` steps completes when
they are all done (``fulfilment_done``), one without at its approval; worked out by hand."""

from __future__ import annotations

from domain.analytics import Analytics, Report
from domain.analytics_figures import Spread
from domain.catalog import load_catalog
from storage.database import Database
from tests.analytics_history import CATALOG, NOW, D, H, History

HOUR = 3600.0


async def write_fulfilled_history(database: Database) -> None:
    """Lunch (no fulfilment): approved after 1 h. Figma (a fulfilment step): approved after 1 h and
    carried out after 5 h; approved after 1 h and carried out after 3 h, its access expired 2 days
    later (decided_at moved then); approved after 2 h and still being carried out."""
    h = History(database)
    await h.request("lunch", "U1", "W1", NOW - 3 * D, [], ("approved", 0, H))
    plan = [("figma", "U2", NOW - 2 * D, H, 5 * H, "approved"), ("figma", "U3", NOW - 4 * D, H, 3 * H, "expired"),
            ("figma", "U4", NOW - D, 2 * H, None, "approved")]
    for n, (action, requester, created, approved, done, status) in enumerate(plan):
        rid = await h.request(action, requester, f"F{n}", created, [], ("approved", 0, approved))
        await h.audit(created + approved, "fulfilment_started", "ok", f"REQ-{rid}", {"phase": "approved"})
        if done is not None:
            await h.audit(created + done, "fulfilment_done", "ok", f"REQ-{rid}", {"phase": "approved"})
        if status == "expired":
            await h.audit(created + 2 * D, "fulfilment_started", "ok", f"REQ-{rid}", {"phase": "expired"})
            async with h.at(created + 2 * D) as uow:
                record = await uow.requests.get(rid)
                assert record is not None
                await uow.requests.set_progress(record, "expired", 0, created + 2 * D)


async def fulfilled_report(database: Database) -> Report:
    await write_fulfilled_history(database)
    catalog = load_catalog(CATALOG)
    return await Analytics(lambda: catalog, database.reader, clock=lambda: NOW).report(30)


async def test_completion_is_when_fulfilment_finished_or_else_the_approval(database: Database) -> None:
    result = await fulfilled_report(database)
    lunch, figma = result.action("lunch"), result.action("figma")
    assert lunch is not None and figma is not None
    assert lunch.completion == Spread(1, HOUR, HOUR)  # at its approval
    assert figma.completion == Spread(2, 3 * HOUR, 5 * HOUR)  # the one still running has no completion yet
    assert result.total.completion == Spread(3, 3 * HOUR, 5 * HOUR)
    assert (figma.approved, figma.completed, lunch.completed) == (3, 2, 1)  # the funnel counts it approved only
    by_day = {day.day: (day.completed, day.p50) for day in result.daily if day.completed}
    assert by_day == {(NOW - 3 * D).date(): (1, HOUR), (NOW - 2 * D).date(): (1, 5 * HOUR),
                      (NOW - 4 * D).date(): (1, 3 * HOUR)}  # the day fulfilment finished, not the expiry's
