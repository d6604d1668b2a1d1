"""Settings from the environment, checked before anything starts.

A bad setting stops the start with one line that names it (exit code 2), rather than a
traceback minutes later when the first request arrives.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass
from urllib.parse import urlparse

from sqlalchemy.engine import make_url
from sqlalchemy.exc import ArgumentError

DEFAULT_API_URL = "https://slack.com/api/"
DEFAULT_DATABASE_URL = "sqlite+aiosqlite:///selfserve.db"
SUPPORTED_DRIVERS = ("sqlite+aiosqlite", "postgresql+asyncpg")
LOG_LEVELS = ("DEBUG", "INFO", "WARNING", "ERROR", "CRITICAL")


class ConfigError(Exception):
    """One bad setting: ``name`` is the environment variable, ``problem`` what is wrong."""

    def __init__(self, name: str, problem: str) -> None:
        super().__init__(f"{name}: {problem}")
        self.name = name


@dataclass(frozen=True)
class Settings:
    slack_bot_token: str
    slack_signing_secret: str
    slack_api_url: str
    database_url: str
    catalog_path: str
    port: int
    host: str
    log_level: str = "INFO"


def load_settings(env: Mapping[str, str] = os.environ) -> Settings:
    """Read and validate every setting; raises ConfigError for the first bad one."""
    return Settings(
        slack_bot_token=_bot_token(env.get("SLACK_BOT_TOKEN", "")),
        slack_signing_secret=_required(env, "SLACK_SIGNING_SECRET"),
        slack_api_url=_api_url(env.get("SLACK_API_URL", DEFAULT_API_URL)),
        database_url=database_url(env.get("DATABASE_URL", DEFAULT_DATABASE_URL)),
        catalog_path=env.get("CATALOG_PATH", "./catalog.yaml") or "./catalog.yaml",
        port=_port(env.get("PORT", "3000")),
        host=env.get("HOST", "0.0.0.0") or "0.0.0.0",
        log_level=_log_level(env.get("LOG_LEVEL", "INFO")),
    )


def _required(env: Mapping[str, str], name: str) -> str:
    value = env.get(name, "").strip()
    if not value:
        raise ConfigError(name, "is not set")
    return value


def _bot_token(value: str) -> str:
    value = value.strip()
    if not value:
        raise ConfigError("SLACK_BOT_TOKEN", "is not set (the bot token starts with xoxb-)")
    if not value.startswith("xoxb-"):
        raise ConfigError("SLACK_BOT_TOKEN", "must be a bot token starting with xoxb-")
    return value


def _api_url(value: str) -> str:
    parsed = urlparse(value.strip())
    if parsed.scheme not in ("http", "https") or not parsed.netloc:
        raise ConfigError("SLACK_API_URL", f"must be an http(s) URL, got {value!r}")
    return value.strip().rstrip("/") + "/"


def database_url(value: str) -> str:
    """Normalise the URL operators usually have (``postgres://``) to the async driver we use."""
    value = value.strip()
    for prefix in ("postgres://", "postgresql://"):
        if value.startswith(prefix):
            value = "postgresql+asyncpg://" + value[len(prefix):]
    try:
        url = make_url(value)
    except ArgumentError:
        raise ConfigError("DATABASE_URL", f"is not a database URL: {value!r}") from None
    if url.drivername not in SUPPORTED_DRIVERS:
        raise ConfigError("DATABASE_URL", f"driver {url.drivername!r} is not supported "
                          f"(use one of: {', '.join(SUPPORTED_DRIVERS)})")
    return value


def _port(value: str) -> int:
    if not value.strip().isascii() or not value.strip().isdecimal() or not 1 <= int(value) <= 65535:
        raise ConfigError("PORT", f"must be a number from 1 to 65535, got {value!r}")
    return int(value)


def _log_level(value: str) -> str:
    level = (value.strip() or "INFO").upper()
    if level not in LOG_LEVELS:
        raise ConfigError("LOG_LEVEL", f"must be one of {', '.join(LOG_LEVELS)}, got {value!r}")
    return level
