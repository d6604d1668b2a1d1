"""Everything the HTTP edge checks before Bolt sees a request: signature, size, parse, shape.

Why this exists instead of Bolt's own parsing:

* Bolt decides "interactive payload or plain form" by looking for the *substring* ``payload``
  in the body, so ``/selfserve status payload-service`` was answered 400. We parse by
  Content-Type and treat a form as an interaction only when its single key is ``payload``.
* Bolt's matchers and kwargs builders index into the body (``body["actions"][0]["action_id"]``)
  before any listener runs, so a signed but misshapen payload became a 500. Every kind of
  request we accept is shape-checked here, so an exception after this point is our bug.
* Deeply nested JSON makes ``json.loads`` raise RecursionError; depth is checked without
  recursion first.
"""

from __future__ import annotations

import binascii
import json
import re
from collections.abc import Callable, Mapping
from typing import Any
from urllib.parse import parse_qs, unquote_plus

from slack_sdk.signature import SignatureVerifier

MAX_BODY_BYTES = 1_000_000
MAX_DEPTH = 32
MAX_TIMESTAMP_DIGITS = 12

# One policy for Slack object ids (users, teams, channels, enterprises): upper-case
# alphanumerics, at most 32 characters (the width of our id columns).
SLACK_ID = re.compile(r"[A-Z0-9]{1,32}")
_JSON_STRING = re.compile(r'"[^"\\]*(?:\\.[^"\\]*)*"')
_INTERACTION_FORM = re.compile(r"payload=([^&=]*)")
_NOT_AN_ESCAPE = re.compile(r"%(?![0-9A-Fa-f]{2})")
_BRACKETS_ONLY = {**{code: None for code in range(128)}, ord("["): "[", ord("{"): "[", ord("]"): "]", ord("}"): "]"}


class EdgeRejection(Exception):
    """The request is answered with ``status`` and ``{"error": message}``; Bolt never sees it."""

    def __init__(self, status: int, message: str) -> None:
        super().__init__(message)
        self.status = status
        self.message = message


def _bad(message: str) -> EdgeRejection:
    return EdgeRejection(400, message)


# --- signature -----------------------------------------------------------------------------

def signature_is_valid(secret: str, body: bytes, timestamp: str | None, signature: str | None) -> bool:
    """Slack's v0 signature within five minutes, via slack_sdk's verifier.

    The verifier calls ``int(timestamp)`` itself, which raises on 5,000 digits (Python's
    int max str digits) or on non-ASCII digits, and decodes the body as UTF-8, so its
    input is guarded first. A non-UTF-8 body is nothing Slack sends: it is unauthenticated.
    """
    if not timestamp or not signature or len(timestamp) > MAX_TIMESTAMP_DIGITS:
        return False
    if not (timestamp.isascii() and timestamp.isdigit()) or not signature.isascii():
        return False
    try:
        body.decode("utf-8")
    except UnicodeDecodeError:
        return False
    return SignatureVerifier(secret).is_valid(body=body, timestamp=timestamp, signature=signature)


# --- parsing -------------------------------------------------------------------------------

def check_depth(text: str, limit: int = MAX_DEPTH) -> None:
    """Reject valid JSON nested deeper than ``limit``, without recursion and at C speed: with the
    strings taken out, only brackets are kept (the rest of valid JSON is ASCII), all of one kind
    (valid JSON closes each with its own kind), and each pass removes the innermost pairs, so
    they are gone after as many passes as they nest."""
    rest = _JSON_STRING.sub("", text).translate(_BRACKETS_ONLY)
    for _ in range(limit):
        if not rest:
            return
        rest = rest.replace("[]", "")
    if rest:
        raise _bad("nesting too deep")


def _json_object(text: str) -> dict[str, Any]:
    try:  # the C parser raises RecursionError well before its stack runs out
        value = json.loads(text)
    except (ValueError, RecursionError):
        raise _bad("malformed JSON") from None
    check_depth(text)  # what Bolt and the listeners walk stays shallow
    if not isinstance(value, dict) or not value:
        raise _bad("body is not a JSON object")
    return value


def unquote_form_value(text: str) -> str:
    """``urllib.parse.unquote_plus(text, errors="strict")``, at C speed for what Slack sends.

    urllib decodes percent escapes one by one in Python, which cost an interaction's request more
    than parsing its JSON. Quoted-printable is the same encoding with ``=`` for ``%``, and
    ``binascii`` decodes it in C: literal ``=`` are escaped first, so the only ``=`` left are
    escapes. Text where the two could differ (a ``%`` that starts no escape, line breaks, which
    quoted-printable treats specially, characters beyond ASCII) goes to urllib.
    """
    if not text.isascii() or "\n" in text or "\r" in text or _NOT_AN_ESCAPE.search(text):
        return unquote_plus(text, errors="strict")
    quoted_printable = text.replace("+", " ").replace("=", "=3D").replace("%", "=")
    return binascii.a2b_qp(quoted_printable.encode("ascii")).decode("utf-8")


def _form(text: str) -> dict[str, str]:
    interaction = _INTERACTION_FORM.fullmatch(text)
    if interaction is not None:  # what parse_qs makes of it, decoded faster (every click and submission)
        try:
            return {"payload": unquote_form_value(interaction.group(1))}
        except UnicodeDecodeError:
            raise _bad("malformed form") from None
    try:
        fields = parse_qs(text, keep_blank_values=True, strict_parsing=True, errors="strict")
    except (ValueError, UnicodeDecodeError):
        raise _bad("malformed form") from None
    if not fields or any(len(values) != 1 for values in fields.values()):
        raise _bad("malformed form")
    return {key: values[0] for key, values in fields.items()}


def parse_body(raw: bytes, content_type: str | None) -> dict[str, Any]:
    """The request body as a dict, decided by Content-Type (never by what the body contains)."""
    if len(raw) > MAX_BODY_BYTES:
        raise EdgeRejection(413, "body too large")
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError:
        raise _bad("body is not UTF-8") from None
    media = (content_type or "").split(";", 1)[0].strip().lower()
    if media == "application/json":
        return _json_object(text)
    if media != "application/x-www-form-urlencoded":
        raise EdgeRejection(415, "unsupported content type")
    form = _form(text)
    if set(form) == {"payload"}:
        return _json_object(form["payload"])
    return form


# --- shape ---------------------------------------------------------------------------------

def _obj(data: Mapping[str, Any], key: str, required: bool = True) -> dict[str, Any]:
    value = data.get(key)
    if isinstance(value, dict):
        return value
    if value is None and not required:
        return {}
    raise _bad(f"{key} must be an object")


def _text(data: Mapping[str, Any], key: str, required: bool = True) -> None:
    value = data.get(key)
    if isinstance(value, str) or (value is None and not required):
        return
    raise _bad(f"{key} must be a string")


def _slack_id(data: Mapping[str, Any], key: str, required: bool = True) -> None:
    value = data.get(key)
    if value is None and not required:
        return
    if not isinstance(value, str) or not SLACK_ID.fullmatch(value):
        raise _bad(f"invalid {key}")


def _envelope(body: Mapping[str, Any]) -> None:
    """Fields Bolt's context builder reads from any payload: objects with well-formed ids."""
    for key in ("team", "enterprise", "channel", "container", "message", "state", "view", "event"):
        _obj(body, key, required=False)
    _slack_id(_obj(body, "team", required=False), "id", required=False)
    _slack_id(_obj(body, "enterprise", required=False), "id", required=False)
    _slack_id(_obj(body, "channel", required=False), "id", required=False)
    _text(_obj(body, "container", required=False), "channel_id", required=False)
    for key in ("team_id", "channel_id", "enterprise_id"):
        _slack_id(body, key, required=False)
    authorizations = body.get("authorizations")
    if authorizations is not None and not (
            isinstance(authorizations, list) and all(isinstance(a, dict) for a in authorizations)):
        raise _bad("authorizations must be a list of objects")


def _user(body: Mapping[str, Any]) -> None:
    user = _obj(body, "user")
    _slack_id(user, "id")
    _slack_id(user, "team_id", required=False)


def _slash_command(body: Mapping[str, Any]) -> None:
    for key in ("command", "text", "trigger_id"):
        _text(body, key)
    _slack_id(body, "user_id")
    _text(body, "response_url", required=False)


def _block_actions(body: Mapping[str, Any]) -> None:
    _user(body)
    _text(body, "trigger_id")
    _text(body, "response_url", required=False)
    actions = body.get("actions")
    if not isinstance(actions, list) or not actions or not all(isinstance(a, dict) for a in actions):
        raise _bad("actions must be a non-empty list of objects")
    for action in actions:
        _text(action, "action_id")
        _text(action, "block_id", required=False)
        _text(action, "value", required=False)


def _view_payload(body: Mapping[str, Any]) -> None:
    _user(body)
    view = _obj(body, "view")
    for key in ("id", "callback_id", "type"):
        _text(view, key)
    _text(view, "private_metadata", required=False)
    _obj(_obj(view, "state", required=False), "values", required=False)


def _block_suggestion(body: Mapping[str, Any]) -> None:
    _user(body)
    _text(body, "action_id")
    _text(body, "block_id", required=False)
    _text(body, "value")


def _shortcut(body: Mapping[str, Any]) -> None:
    _user(body)
    _text(body, "callback_id")
    _text(body, "trigger_id")


def _event_callback(body: Mapping[str, Any]) -> None:
    event = _obj(body, "event")
    _text(event, "type")
    _slack_id(event, "user", required=event.get("type") == "app_home_opened")  # whose Home to read


def _url_verification(body: Mapping[str, Any]) -> None:
    _text(body, "challenge")


_PAYLOAD_CHECKS: dict[str, Callable[[Mapping[str, Any]], None]] = {
    "block_actions": _block_actions,
    "view_submission": _view_payload,
    "view_closed": _view_payload,
    "block_suggestion": _block_suggestion,
    "shortcut": _shortcut,
    "message_action": _shortcut,
    "event_callback": _event_callback,
    "url_verification": _url_verification,
}


def request_kind(body: Mapping[str, Any]) -> str:
    """A short label for logs: the payload type, or ``command`` / ``ssl_check``."""
    if "command" in body:
        return "command"
    if "ssl_check" in body:
        return "ssl_check"
    kind = body.get("type")
    return kind if isinstance(kind, str) else "unknown"


def validate(body: Mapping[str, Any]) -> str:
    """Raise EdgeRejection unless ``body`` is shaped like a request we handle; return its kind."""
    kind = request_kind(body)
    if kind == "ssl_check":
        return kind
    if kind == "command":
        _slash_command(body)
    elif kind in _PAYLOAD_CHECKS:
        _PAYLOAD_CHECKS[kind](body)
    else:
        raise _bad("unsupported payload type")
    _envelope(body)
    return kind
