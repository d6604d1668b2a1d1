"""``domain.gauges`` on a database (SQLite and PostgreSQL): webhook attempts count webhook steps only."""

from __future__ import annotations

from domain.gauges import read_gauges
from storage.database import Database
from tests.analytics_history import NOW, History


async def test_webhook_attempts_count_only_webhook_steps(database: Database) -> None:
    h = History(database)
    step: dict[str, object] = {"phase": "approved", "step": 0, "attempt": 1, "idempotency_key": "k"}
    events: tuple[tuple[str, str, dict[str, object]], ...] = (
        ("fulfilment_step_done", "ok", {**step, "step_kind": "webhook", "status": 200}),
        ("fulfilment_step_done", "ok", {**step, "step_kind": "message"}),
        ("fulfilment_step_done", "ok", {**step, "step_kind": "notify"}),
        ("fulfilment_step_done", "ok", {**step, "status": 201}),  # written before step_kind: a webhook's answer
        ("fulfilment_step_done", "ok", dict(step)),  # written before step_kind, no HTTP status: not counted
        ("fulfilment_attempt_failed", "retry", {**step, "step_kind": "webhook", "error": "timeout"}),
        ("fulfilment_attempt_failed", "retry", {**step, "step_kind": "message", "error": "ratelimited"}),
        ("fulfilment_failed", "failed", {**step, "step_kind": "notify", "error": "no such group"}),
        ("fulfilment_failed", "failed", {**step, "step_kind": "webhook", "error": "HTTP 400"}),
        ("fulfilment_done", "ok", {"phase": "approved"}),
    )
    for kind, outcome, details in events:
        await h.audit(NOW, kind, outcome, "REQ-1", details)
    gauges = await read_gauges(database.reader)
    assert gauges.webhook_attempts == {"ok": 2, "retry": 1, "failed": 1}
