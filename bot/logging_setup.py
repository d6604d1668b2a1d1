"""Process-wide logging, including a fix for how Slack's SDKs decide to log.

slack_sdk and slack_bolt guard their debug output with ``logger.level <= logging.DEBUG``:
the logger's *own* level, not the effective one. A logger left at NOTSET (0) passes that
test whatever the root level is, so every Web API call formatted its headers and body into
debug text that was then thrown away (py-spy put it at a large share of each call's CPU).
Giving those loggers the configured level explicitly restores what was intended.
"""

from __future__ import annotations

import logging

SLACK_PACKAGES = ("slack_sdk", "slack_bolt")
# Loggers the SDKs create only when a client is first built (after logging is configured):
# the Web API client's (Bolt's per-request clients share it) and response_url's.
CREATED_LATER = ("slack_sdk.web.async_base_client", "slack_sdk.webhook.async_client")


def configure_logging(level: str | int) -> None:
    logging.basicConfig(level=level, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    for name in [*SLACK_PACKAGES, *CREATED_LATER, *logging.root.manager.loggerDict]:
        if name.split(".")[0] in SLACK_PACKAGES:
            slack_logger = logging.getLogger(name)
            if slack_logger.level == logging.NOTSET:
                slack_logger.setLevel(level)
