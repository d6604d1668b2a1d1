"""Slack's SDK loggers get an explicit level, so their `logger.level <= DEBUG` guards work."""

from __future__ import annotations

import logging
from collections.abc import Iterator

import pytest
import slack_sdk.web.async_internal_utils  # the module whose guard runs on every Web API call

from bot.logging_setup import configure_logging

GUARDED = slack_sdk.web.async_internal_utils.__name__


@pytest.fixture
def restore_levels() -> Iterator[None]:
    names = [GUARDED, "slack_bolt", "slack_sdk", "slack_sdk.web.async_base_client", "slack_sdk.webhook.async_client"]
    saved = {name: logging.getLogger(name).level for name in names}
    yield
    for name, level in saved.items():
        logging.getLogger(name).setLevel(level)


def test_slack_loggers_take_the_configured_level(restore_levels: None) -> None:
    logging.getLogger(GUARDED).setLevel(logging.NOTSET)
    configure_logging("WARNING")
    assert logging.getLogger(GUARDED).level == logging.WARNING
    assert logging.getLogger("slack_bolt").level == logging.WARNING
    assert not logging.getLogger(GUARDED).level <= logging.DEBUG  # the SDK's guard now skips debug text


def test_a_client_built_afterwards_gets_the_level_too(restore_levels: None) -> None:
    from slack_sdk.web.async_client import AsyncWebClient

    configure_logging("WARNING")
    client = AsyncWebClient(token="xoxb-test")
    assert client.logger.level == logging.WARNING


def test_debug_still_means_debug(restore_levels: None) -> None:
    logging.getLogger(GUARDED).setLevel(logging.NOTSET)
    configure_logging("DEBUG")
    assert logging.getLogger(GUARDED).level == logging.DEBUG
