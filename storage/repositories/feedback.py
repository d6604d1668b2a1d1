"""Answers to the feedback question, and who turned the question off."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import bindparam, delete, select, update

from domain.feedback import FeedbackRecord
from storage.driver import Transaction, first
from storage.driver.statement import Statement, Upsert, insert_into
from storage.models import FeedbackOptOutRow, FeedbackRow, table_of

FEEDBACK = table_of(FeedbackRow)
OPT_OUT = table_of(FeedbackOptOutRow)
GET = Statement(select(FEEDBACK).where(FEEDBACK.c.request_id == bindparam("rid")))
ADD = insert_into(FEEDBACK, ["request_id", "action_id", "requester_id", "rating", "comment", "created_at"])
COMMENT = Statement(update(FEEDBACK).where(FEEDBACK.c.request_id == bindparam("rid")).values(
    comment=bindparam("comment")))
OPTED_OUT = Statement(select(OPT_OUT.c.user_id).where(OPT_OUT.c.user_id == bindparam("user")))
OPT_OUT_SET = Upsert(OPT_OUT, ["user_id"], ["user_id", "created_at"])
OPT_IN = Statement(delete(OPT_OUT).where(OPT_OUT.c.user_id == bindparam("user")))


class FeedbackRepository:
    def __init__(self, db: Transaction) -> None:
        self._db = db

    async def get(self, request_id: int) -> FeedbackRecord | None:
        row = await first(self._db, GET, {"rid": request_id})
        return None if row is None else FeedbackRecord(row.request_id, row.action_id, row.requester_id, row.rating,
                                                       row.comment, row.created_at)

    async def add(self, record: FeedbackRecord) -> None:
        await self._db.run(ADD, {"request_id": record.request_id, "action_id": record.action_id,
                                 "requester_id": record.requester_id, "rating": record.rating,
                                 "comment": record.comment, "created_at": record.created_at})

    async def set_comment(self, request_id: int, comment: str) -> None:
        await self._db.run(COMMENT, {"rid": request_id, "comment": comment})

    async def opted_out(self, user_id: str) -> bool:
        return await first(self._db, OPTED_OUT, {"user": user_id}) is not None

    async def set_opted_out(self, user_id: str, off: bool, now: datetime) -> None:
        if off:
            await self._db.run(OPT_OUT_SET, {"user_id": user_id, "created_at": now})
        else:
            await self._db.run(OPT_IN, {"user": user_id})
