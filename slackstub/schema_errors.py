"""Slack's schema-validation findings: "[ERROR] <message> [json-pointer:<where>]", and the checks they share."""

from __future__ import annotations

from typing import Any


def error(message: str, pointer: str) -> str:
    """One finding as Slack words it in response_metadata.messages."""
    return f"[ERROR] {message} [json-pointer:{pointer}]"


def too_long(value: Any, limit: int, pointer: str) -> list[str]:
    """A finding if `value` is a string over `limit` characters."""
    if isinstance(value, str) and len(value) > limit:
        return [error(f"must be less than {limit} characters", pointer)]
    return []


def too_many(items: list[Any], limit: int, pointer: str) -> list[str]:
    """A finding if the list has more than `limit` items."""
    return [error(f"no more than {limit} items allowed", pointer)] if len(items) > limit else []


def text_object(obj: Any, pointer: str, limit: int, *, mrkdwn: bool = False) -> list[str]:
    """Findings for a required text object: plain_text (or mrkdwn where allowed) of at most `limit` characters."""
    kinds = ("plain_text", "mrkdwn") if mrkdwn else ("plain_text",)
    if not isinstance(obj, dict) or obj.get("type") not in kinds or not isinstance(obj.get("text"), str):
        return [error(f"must be a {' or '.join(kinds)} text object", pointer)]
    return too_long(obj["text"], limit, pointer + "/text")


def plain_text(obj: Any, pointer: str, limit: int) -> list[str]:
    """Findings for a required plain_text object of at most `limit` characters."""
    return text_object(obj, pointer, limit)
