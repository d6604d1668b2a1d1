"""Every callback_id, action_id and block_id the bot puts into Slack, in one place."""

from __future__ import annotations

import re

COMMAND = "/selfserve"

# Modals
REQUEST_FORM = "selfserve.request_form"
REJECT_REASON = "selfserve.reject_reason"
REJECT_REASON_BLOCK = "reason"
REJECT_REASON_INPUT = "reason"
DELEGATE_FORM = "selfserve.delegate_form"
DELEGATE_TO = "to"
DELEGATE_NOTE = "note"

# Buttons
OPEN_FORM = "selfserve.open_form"
GET_HELP = "selfserve.get_help"  # "None of these? Get help" under suggested actions
APPROVE = "selfserve.approve"
REJECT = "selfserve.reject"
DELEGATE = "selfserve.delegate"
DECISION_BUTTONS = re.compile(r"^selfserve\.(approve|reject)$")
DECISION_BLOCK = "decision"

# Global shortcut "Self-service" (declared in the app manifest, cli/manifest.py)
SHORTCUT = "selfserve.shortcut"

# Following one's requests: Cancel on the receipt and beside one's open requests; the shortcut's
# picker modal, whose Start buttons push the chosen action's form; a modal that only says something
# (the answer to a click that has no message to answer under: in the Home tab or in a modal)
CANCEL = "selfserve.cancel"
PICKER = "selfserve.picker"
PICK_ACTION = "selfserve.pick_action"
NOTICE = "selfserve.notice"

# Feedback on a finished request: the question's buttons (value: the request ref) and the
# optional comment modal opened after an answer
FEEDBACK_UP = "selfserve.feedback_up"
FEEDBACK_DOWN = "selfserve.feedback_down"
FEEDBACK_BUTTONS = re.compile(r"^selfserve\.feedback_(up|down)$")
FEEDBACK_COMMENT = "selfserve.feedback_comment"
FEEDBACK_COMMENT_BLOCK = "comment"
FEEDBACK_COMMENT_INPUT = "comment"

# Fulfilment (bot.handlers.fulfilment): support runs a failed step again; the requester ends their
# time-bound access early or asks for more time (a new request, pre-filled)
RETRY_STEP = "selfserve.fulfilment.retry"
END_ACCESS = "selfserve.access.end"
EXTEND_ACCESS = "selfserve.access.extend"
ACCESS_BLOCK = "access"

# Escalations: "Get help" on every DM to a requester about a request (value REQ-n); the support
# channel message's buttons (value ESC-n) and its user picker (the escalation in its block id);
# the resolution note's modal
GET_HELP_ON_REQUEST = "selfserve.escalate"
CLAIM = "selfserve.escalation.claim"
RESOLVE = "selfserve.escalation.resolve"
REOPEN = "selfserve.escalation.reopen"
REASSIGN = "selfserve.escalation.reassign"
ESCALATION_BLOCK = "selfserve.escalation."
RESOLVE_FORM = "selfserve.resolve_form"
RESOLVE_NOTE = "note"
