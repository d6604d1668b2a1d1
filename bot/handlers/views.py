"""Modal submissions: a request form, or the reason for a rejection."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

from slack_bolt.async_app import AsyncApp
from slack_sdk.models.blocks import SectionBlock
from slack_sdk.models.views import View

from bot import ids
from bot.deps import Deps
from bot.messages.summary import md
from bot.modals.reject_reason import submitted_reason
from bot.modals.request_form import request_form, submitted_values
from bot.payloads import ViewSubmission
from bot.refusals import refusal_text
from domain.errors import DomainError
from domain.forms import FieldErrors
from domain.lifecycle import Verdict

Ack = Callable[..., Awaitable[Any]]


def _notice(title: str, text: str) -> View:
    """A modal that replaces the form when the submission cannot be taken at all."""
    return View(type="modal", title=title, close="Close", blocks=[SectionBlock(text=md(text))])


def register(app: AsyncApp, deps: Deps) -> None:
    async def on_request_form(ack: Ack, body: dict[str, Any]) -> None:
        """Store the request before acking, so a closed modal always means a stored request."""
        submission = ViewSubmission.parse(body)
        name = submission.meta_str("action")
        action = deps.service.catalog.actions.get(name)
        raw = submitted_values(action, submission.view) if action else {}
        try:
            await deps.service.submit(submission.user_id, name, raw, submission.view_id)
        except FieldErrors as invalid:
            shown = {block.get("block_id") for block in submission.view.get("blocks") or [] if isinstance(block, dict)}
            if action is not None and not set(invalid.errors) <= shown:
                # a field became required after the form was last drawn (its condition is a text typed
                # without Enter, or the redraw was late): draw the form as it should be, to fill in
                await ack(response_action="update", view=request_form(action, raw).to_dict())
                return
            await ack(response_action="errors", errors=invalid.errors)
            return
        except DomainError as refusal:
            await ack(response_action="update", view=_notice("Request not sent", refusal_text(refusal)))
            return
        # A form pushed over the shortcut's picker closes the whole stack: the picker did its job.
        await ack(response_action="clear") if submission.view.get("previous_view_id") else await ack()

    async def on_reject_reason(ack: Ack, body: dict[str, Any]) -> None:
        submission = ViewSubmission.parse(body)
        reason = submitted_reason(submission.view)
        if not reason:
            await ack(response_action="errors", errors={ids.REJECT_REASON_BLOCK: "Please say why."})
            return
        try:
            await deps.service.decide(submission.user_id, submission.meta_str("request"),
                                      submission.meta_int("step"), Verdict.REJECT, reason)
        except DomainError as refusal:
            # A notice, not an inline error: inline errors are plain text, and the refusal names
            # people as mentions (and typing another reason cannot help anyway).
            await ack(response_action="update", view=_notice("Not rejected", refusal_text(refusal)))
            return
        await ack()

    async def on_request_form_closed(ack: Ack, body: dict[str, Any]) -> None:
        closed = ViewSubmission.parse(body)
        await ack()
        deps.tasks.spawn(deps.desk.form_closed(closed.user_id, str(closed.metadata.get("action", "")),
                                               closed.view_id), "audit")

    app.view(ids.REQUEST_FORM)(on_request_form)
    app.view_closed(ids.REQUEST_FORM)(on_request_form_closed)
    app.view(ids.REJECT_REASON)(on_reject_reason)
