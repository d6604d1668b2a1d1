"""Which ``selfserve run`` this is: the real bot (Slack settings are set) or the local playground (none are).

Only a setup with no Slack setting at all is a playground: a token without its secret is a mistake in
a real deployment, and must stop the start naming what is missing, not quietly become a demo.
"""

from __future__ import annotations

from collections.abc import Mapping

SLACK_SETTINGS = ("SLACK_BOT_TOKEN", "SLACK_SIGNING_SECRET", "SLACK_APP_TOKEN")


def wants_playground(environ: Mapping[str, str]) -> bool:
    """True when none of the Slack settings is set (an empty value counts as unset, as settings treat it)."""
    return not any((environ.get(name) or "").strip() for name in SLACK_SETTINGS)
