"""Process-wide logging: plain text or one JSON object per line (``LOG_FORMAT=json``), and a fix
for how Slack's SDKs decide to log.

slack_sdk and slack_bolt guard their debug output with ``logger.level <= logging.DEBUG``:
the logger's *own* level, not the effective one. A logger left at NOTSET (0) passes that
test whatever the root level is, so every Web API call formatted its headers and body into
debug text that was then thrown away (py-spy put it at a large share of each call's CPU).
Giving those loggers the configured level explicitly restores what was intended.

A JSON line carries the request id and the Slack user being served (``domain.log_context``),
never a form's values: our own messages name ids only, and the SDKs' messages, which may quote a
payload or a request body, are cut before the first ``{`` (and their debug output is never on).
"""

from __future__ import annotations

import json
import logging
import re
from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Any

from domain.log_context import REQUEST, USER, bind

SLACK_PACKAGES = ("slack_sdk", "slack_bolt")
# Loggers the SDKs create only when a client is first built (after logging is configured):
# the Web API client's (Bolt's per-request clients share it) and response_url's.
CREATED_LATER = ("slack_sdk.web.async_base_client", "slack_sdk.webhook.async_client")
FORMATS = ("text", "json")
_REF = re.compile(r"\bREQ-\d{1,12}\b")


class JsonFormatter(logging.Formatter):
    """One JSON object per record: time, level, logger, message, request, user, exception."""

    def format(self, record: logging.LogRecord) -> str:
        message = record.getMessage()
        if record.name.split(".")[0] in SLACK_PACKAGES:
            message = message.split("{", 1)[0].rstrip()[:300]
        line: dict[str, Any] = {
            "time": datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname, "logger": record.name, "message": message}
        for key, variable in (("request", REQUEST), ("user", USER)):
            if (value := variable.get()) is not None:
                line[key] = value
        if record.exc_info:
            line["exception"] = self.formatException(record.exc_info)
        return json.dumps(line, ensure_ascii=False)


def configure_logging(level: str | int, log_format: str = "text") -> None:
    if log_format == "json":
        handler = logging.StreamHandler()
        handler.setFormatter(JsonFormatter())
        logging.basicConfig(level=level, handlers=[handler], force=True)
    else:
        logging.basicConfig(level=level, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    sdk_level = max(logging.getLevelName(level) if isinstance(level, str) else level, logging.INFO) \
        if log_format == "json" else level
    for name in [*SLACK_PACKAGES, *CREATED_LATER, *logging.root.manager.loggerDict]:
        if name.split(".")[0] in SLACK_PACKAGES:
            slack_logger = logging.getLogger(name)
            if slack_logger.level == logging.NOTSET or log_format == "json":
                slack_logger.setLevel(sdk_level)


def bind_slack_request(body: Mapping[str, Any]) -> None:
    """Name the Slack user and the request (a ``REQ-n`` on the clicked button or in the modal's
    metadata) of a Slack payload for the log lines its handling writes."""
    user = body.get("user")
    user_id = user.get("id") if isinstance(user, Mapping) else body.get("user_id")
    event = body.get("event")
    if user_id is None and isinstance(event, Mapping):
        user_id = event.get("user")
    actions = body.get("actions")
    view = body.get("view")
    where = [str(actions[0].get("value", "")) if isinstance(actions, list) and actions and
             isinstance(actions[0], Mapping) else "",
             str(view.get("private_metadata", "")) if isinstance(view, Mapping) else ""]
    found = next((m.group(0) for text in where if (m := _REF.search(text))), None)
    bind(request=found, user=str(user_id)[:32] if isinstance(user_id, str) else None)
