"""selfserve's Slack stand-in: a local Web API (SlackStandIn) and Slack's side of the app (SlackClientSim).

Tests, the benchmark and the playground drive the bot exactly as Slack would: signed HTTP requests to the
app, and a recording Web API for the app's calls back.
"""

from __future__ import annotations

from slackstub.client_sim import SlackClientSim
from slackstub.recorder import RecordedCall
from slackstub.replies import SlackMethodError
from slackstub.signing import signature_headers
from slackstub.sim_response import SimResponse
from slackstub.standin import SlackStandIn

__all__ = [
    "RecordedCall",
    "SimResponse",
    "SlackClientSim",
    "SlackMethodError",
    "SlackStandIn",
    "signature_headers",
]
