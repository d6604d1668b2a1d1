"""Helpers every subcommand shares: settings errors as one line, and the exit codes."""

from __future__ import annotations

import os
import sys

from bot.config import DEFAULT_DATABASE_URL, ConfigError, database_url

EXIT_OK, EXIT_PROBLEM, EXIT_CONFIG = 0, 1, 2


def fail_config(error: ConfigError) -> int:
    """One line naming the setting, exit code 2."""
    print(f"selfserve: configuration error: {error}", file=sys.stderr)
    return EXIT_CONFIG


def env_database_url() -> str:
    """DATABASE_URL for commands that need only the database (raises ConfigError)."""
    return database_url(os.environ.get("DATABASE_URL", DEFAULT_DATABASE_URL))
