"""A known history written through storage with chosen times, and the figures it must give
(worked out by hand in ``test_analytics``)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

from domain.analytics_facts import ESCALATED, SLA_BREACHED
from domain.feedback import FeedbackRecord
from domain.records import AuditEntry, DecisionRecord, NewRequest, Step
from storage.database import Database
from storage.unit_of_work import UnitOfWork

NOW = datetime(2026, 3, 31, 12, 0, tzinfo=UTC)
CATALOG = Path(__file__).parent / "catalog_analytics.yaml"
H = timedelta(hours=1)
D = timedelta(days=1)
LAPTOP_STEPS = (Step("managers", 1, ("managers",)), Step("it", 1, ("it",)))


class History:
    """Writes events at given moments; each unit of work's clock is the moment."""

    def __init__(self, db: Database) -> None:
        self._db = db

    def at(self, moment: datetime) -> UnitOfWork:
        return UnitOfWork(self._db.driver, clock=lambda: moment)

    async def request(self, action: str, requester: str, view: str, created: datetime,
                      decisions: list[tuple[int, str, str, timedelta]], end: tuple[str, int, timedelta] | None) -> int:
        """A request ``created`` at; ``decisions`` (step, approver, verdict, after); ``end``: the
        status, step and time after creation it was left in (None: pending at step 0)."""
        steps = LAPTOP_STEPS if action == "laptop" else ()
        async with self.at(created) as uow:
            record = await uow.requests.add(NewRequest(action, action.title(), requester, steps, False, (),
                                                       "fp", view), "pending", created)
            uow.audit(AuditEntry("modal_opened", "ok", requester, None, {"action": action, "view": view}))
        for step, approver, verdict, after in decisions:
            async with self.at(created + after) as uow:
                await uow.requests.add_decision(DecisionRecord(record.id, step, approver, verdict, None,
                                                               created + after))
        if end is not None:
            status, step, after = end
            async with self.at(created + after) as uow:
                await uow.requests.set_progress(record, status, step, created + after)
        return record.id

    async def audit(self, moment: datetime, kind: str, outcome: str, ref: str | None,
                    details: dict[str, object]) -> None:
        async with self.at(moment) as uow:
            uow.audit(AuditEntry(kind, outcome, "U0X", ref, details))

    async def feedback(self, moment: datetime, request_id: int, action: str, rating: str,
                       comment: str | None) -> None:
        async with self.at(moment) as uow:
            await uow.feedback.add(FeedbackRecord(request_id, action, "U0X", rating, comment, moment))


async def write_history(db: Database, now: datetime = NOW) -> None:
    """Laptop: 5 requests in the period (2 approved, 1 rejected at step 1, 1 waiting at step 2,
    1 cancelled) and one older; 3 more forms opened (1 closed, 1 idle for 3 days, 1 opened 2 h ago);
    3 invalid submissions. Lunch: 3 approved at once."""
    h = History(db)
    t1, t2, t3, t4, t5 = (now - n * D for n in (10, 9, 8, 7, 6))
    await h.request("laptop", "U1", "V0", now - 40 * D, [(0, "U0M1", "approve", H)], ("approved", 2, 2 * H))
    r1 = await h.request("laptop", "U1", "V1", t1, [(0, "U0M1", "approve", H), (1, "U0IT1", "approve", 3 * H)],
                         ("approved", 2, 3 * H))
    r2 = await h.request("laptop", "U2", "V2", t2, [(0, "selfserve", "approve", 0 * H),
                                                    (0, "U0M1", "approve", 2 * H),
                                                    (1, "U0IT1", "approve", 8 * H)], ("approved", 2, 8 * H))
    r3 = await h.request("laptop", "U1", "V3", t3, [(0, "U0M1", "reject", 4 * H)], ("rejected", 0, 4 * H))
    await h.request("laptop", "U3", "V4", t4, [(0, "U0M1", "approve", H / 2), (1, "U0M1", "delegate", H)],
                    ("pending", 1, H / 2))
    await h.request("laptop", "U4", "V5", t5, [], ("cancelled", 0, H))
    for view, opened in (("V6", now - 5 * D), ("V7", now - 3 * D), ("V8", now - 2 * H)):
        await h.audit(opened, "modal_opened", "ok", None, {"action": "laptop", "view": view})
    await h.audit(now - 5 * D + H, "modal_closed", "ok", None, {"action": "laptop", "view": "V6"})
    await h.audit(now - 5 * D, "modal_opened", "failed", None, {"action": "laptop", "error": "expired_trigger_id"})
    for errors in ({"serial": "x"}, {"serial": "x"}, {"serial": "x", "reason": "y"}):
        await h.audit(t1, "form_submitted", "invalid", None, {"action": "laptop", "errors": errors})
    await h.audit(t3 + 5 * H, ESCALATED, "ok", f"REQ-{r3}", {})
    await h.audit(t2 + 9 * H, SLA_BREACHED, "ok", f"REQ-{r2}", {})
    await h.feedback(t1 + 4 * H, r1, "laptop", "up", "quick")
    await h.feedback(t2 + 9 * H, r2, "laptop", "up", None)
    await h.feedback(t3 + 5 * H, r3, "laptop", "down", "why?")
    for n, (requester, created) in enumerate((("U1", now - 5 * D), ("U5", now - D), ("U5", now - D + H))):
        lunch = await h.request("lunch", requester, f"W{n}", created, [], ("approved", 0, 0 * H))
        if n == 0:
            await h.feedback(created + H, lunch, "lunch", "up", None)
