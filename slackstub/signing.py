"""Slack's request signing (v0 HMAC-SHA256), so the app's verifier sees exactly what Slack would send."""

from __future__ import annotations

import hashlib
import hmac
import time

from slack_sdk.signature import SignatureVerifier


def signature_headers(signing_secret: str, body: bytes | str, timestamp: int | str | None = None) -> dict[str, str]:
    """X-Slack-Request-Timestamp and X-Slack-Signature for `body` (timestamp defaults to now)."""
    stamp = str(int(time.time()) if timestamp is None else timestamp)
    raw = body.encode() if isinstance(body, str) else body
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError:
        return {"X-Slack-Request-Timestamp": stamp, "X-Slack-Signature": _sign_bytes(signing_secret, stamp, raw)}
    signature = SignatureVerifier(signing_secret).generate_signature(timestamp=stamp, body=text)
    return {"X-Slack-Request-Timestamp": stamp, "X-Slack-Signature": signature or ""}


def _sign_bytes(signing_secret: str, stamp: str, raw: bytes) -> str:
    """The same v0 scheme over raw bytes: slack_sdk's helper only takes UTF-8, Slack signs whatever it sends."""
    digest = hmac.new(signing_secret.encode(), b"v0:" + stamp.encode() + b":" + raw, hashlib.sha256).hexdigest()
    return f"v0={digest}"
