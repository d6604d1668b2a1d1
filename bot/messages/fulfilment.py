"""What people see of fulfilment: each step's progress on the receipt, the plain-words failure
notice, the Retry button support finds on a failure's escalation, the admins' alert (no support
channel) and the access notices."""

from __future__ import annotations

import re
from collections.abc import Sequence
from datetime import datetime

from slack_sdk.models.blocks import ActionsBlock, Block, ButtonElement, ConfirmObject, ContextBlock, SectionBlock

from bot import ids
from bot.messages import Message
from bot.messages.summary import md
from bot.mrkdwn import escape, truncate, user
from domain.fulfilment_records import APPROVED, DONE, FAILED, RUNNING, PlanRecord, StepRecord
from domain.records import RequestRecord

_CHANNEL = re.compile(r"&lt;#(C[A-Z0-9]{2,20})&gt;")
ICONS = {"pending": ":white_circle:", RUNNING: ":arrows_counterclockwise:", DONE: ":white_check_mark:",
         FAILED: ":x:"}


def when(moment: datetime) -> str:
    """A time as Slack shows it in each reader's own zone (the fallback is UTC)."""
    fallback = moment.strftime("%Y-%m-%d %H:%M UTC")
    return f"<!date^{int(moment.timestamp())}^{{date_short_pretty}} at {{time}}|{fallback}>"


def step_line(step: StepRecord) -> str:
    """One step: its icon, its name, and how it stands (attempts, the HTTP status)."""
    words = {"pending": "pending", RUNNING: "running", DONE: "done", FAILED: "failed"}.get(step.status, step.status)
    if step.attempts > 1 or (step.status == "pending" and step.attempts):
        words += f", attempt {step.attempts}"
    status = (step.detail or {}).get("status")
    if status is not None:
        words += f", HTTP {status}"
    return f"{ICONS.get(step.status, '')} {_label(step.label)} — _{words}_"


def _label(label: str) -> str:
    """The step's name escaped, but a channel mention (a notify step's own name) kept a link."""
    return _CHANNEL.sub(r"<#\1>", escape(label))


def attempt_line(step: StepRecord) -> str | None:
    """``status`` and the Home tab say more: when the step last moved, and its last attempt's error."""
    error = (step.detail or {}).get("error")
    moment = step.finished_at or step.updated_at
    if step.status == "pending" and not step.attempts:
        return None
    said = f": {escape(truncate(str(error), 200))}" if error and step.status != DONE else ""
    how = {DONE: "done", FAILED: "failed"}.get(step.status, "last attempt")
    return f"      _{how} {when(moment)}{said}_"


def progress_blocks(steps: Sequence[StepRecord], plan: PlanRecord | None, *, detailed: bool = False) -> list[Block]:
    """The fulfilment part of a receipt: each phase's steps, then the access window; ``detailed``
    adds each step's last attempt (when, and its error) for ``status`` and the Home tab."""
    blocks: list[Block] = []
    for phase, title in ((APPROVED, "Carrying it out"), ("expired", "Ending access")):
        lines = [line for step in steps if step.phase == phase
                 for line in (step_line(step), attempt_line(step) if detailed else None) if line]
        if lines:
            blocks.append(SectionBlock(text=md(truncate(f"*{title}*\n" + "\n".join(lines), 3000))))
    if plan is not None and plan.expires_at is not None:
        if plan.ended_at is None:
            blocks.append(SectionBlock(text=md(f":hourglass_flowing_sand: Access until {when(plan.expires_at)}.")))
        else:
            by = f" by {user(plan.ended_by)}" if plan.ended_by else ""
            blocks.append(ContextBlock(elements=[md(f"Access ended {when(plan.ended_at)}{by}.")]))
    return blocks


def access_buttons(request: RequestRecord) -> ActionsBlock:
    """End access now (confirmed first) and Extend (a new request, through the approvals again)."""
    return ActionsBlock(block_id=f"{ids.ACCESS_BLOCK}.{request.id}", elements=[
        ButtonElement(text="End access now", action_id=ids.END_ACCESS, value=request.ref, style="danger",
                      confirm=ConfirmObject(title="End access now?", confirm="End it", deny="Keep it",
                                            text="Your access is removed now; you can ask again any time.")),
        ButtonElement(text="Extend…", action_id=ids.EXTEND_ACCESS, value=request.ref),
    ])


def failed_notice(request: RequestRecord, step: StepRecord) -> Message:
    """For the requester: what could not be done, in plain words; the detail went to support."""
    text = (f":warning: Your request *{escape(request.ref)}* ({escape(request.action_title)}) was approved, but "
            f"*{escape(step.label)}* could not be done. Support has been told and will retry it; you don't "
            "need to ask again.")
    return Message(text=truncate(text, 3000), blocks=(SectionBlock(text=md(text)),))


def retry_blocks(request: RequestRecord, steps: Sequence[StepRecord]) -> list[Block]:
    """A Retry button for each failed step (support role and admins; ``bot.handlers.fulfilment``)."""
    return [ActionsBlock(block_id=f"retry.{request.id}.{step.phase}.{step.index}", elements=[ButtonElement(
        text=f"Retry step {step.index + 1}", action_id=ids.RETRY_STEP,
        value=f"{request.ref}:{step.phase}:{step.index}", style="primary")])
        for step in steps if step.status == FAILED]


def support_alert(request: RequestRecord, step: StepRecord, call: str | None) -> Message:
    """For admins when there is no support channel: which step failed, how (status, answer,
    error: secrets masked), and Retry."""
    detail = step.detail or {}
    lines = [f":rotating_light: Fulfilment of *{escape(request.ref)}* ({escape(request.action_title)}) for "
             f"{user(request.requester_id)} failed at step {step.index + 1}: *{escape(step.label)}* "
             f"after {step.attempts} attempt{'s' if step.attempts != 1 else ''}."]
    if call:
        lines.append(f"Call: `{escape(truncate(call, 300))}`")
    for key, label in (("status", "HTTP status"), ("error", "Error"), ("idempotency_key", "Idempotency-Key")):
        if detail.get(key) is not None:
            lines.append(f"{label}: `{escape(truncate(str(detail[key]), 500))}`")
    if detail.get("response"):
        lines.append(f"Response:\n```{escape(truncate(str(detail['response']), 1000))}```")
    text = "\n".join(lines)
    blocks: list[Block] = [SectionBlock(text=md(truncate(text, 3000)))]
    if step.status == FAILED:
        blocks.extend(retry_blocks(request, [step]))
    else:
        blocks.append(ContextBlock(elements=[md(f"Retried: now _{escape(step.status)}_.")]))
    return Message(text=truncate(f"Fulfilment of {escape(request.ref)} failed", 3000), blocks=tuple(blocks))


def access_warning(request: RequestRecord, until: datetime) -> Message:
    text = (f":hourglass: Your access from *{escape(request.ref)}* ({escape(request.action_title)}) ends "
            f"{when(until)}. Need longer? *Extend…* asks again, through the usual approvals.")
    return Message(text=truncate(text, 3000), blocks=(SectionBlock(text=md(text)), access_buttons(request)))


def access_ended(request: RequestRecord, plan: PlanRecord | None) -> Message:
    by = f" by {user(plan.ended_by)}" if plan is not None and plan.ended_by else ""
    text = (f":lock: Your access from *{escape(request.ref)}* ({escape(request.action_title)}) has ended{by}. "
            "The request and its history stay for the record.")
    return Message(text=truncate(text, 3000), blocks=(SectionBlock(text=md(text)),))
