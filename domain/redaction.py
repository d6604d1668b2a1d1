"""Keeping secrets out of everything a webhook step leaves behind.

What a step records (the request it sent, the answer's first KB, an error) goes to the database,
the audit log, logs and Slack. Resolved ``${VAR}`` values are masked wherever they appear, in
the forms they travel in (as written, URL-encoded, JSON-escaped: a receiver may echo a token
back), and credential headers are masked whatever their value.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping
from typing import Any
from urllib.parse import quote, quote_plus

MASK = "••••••"
CREDENTIAL_HEADERS = frozenset({"authorization", "proxy-authorization", "cookie", "set-cookie", "x-api-key",
                                "api-key", "x-auth-token", "x-access-token", "private-token"})
_SHORTEST = 4
"""Shorter values are not searched for (masking every "1" would garble the text); a secret that
short is no secret. Credential headers are masked regardless."""


def _forms(secret: str) -> set[str]:
    return {secret, quote(secret, safe=""), quote_plus(secret), json.dumps(secret)[1:-1]}


def redact(text: str, secrets: Iterable[str]) -> str:
    """``text`` with every occurrence of each secret replaced by ``MASK`` (longest first)."""
    for form in sorted({f for s in secrets if len(s) >= _SHORTEST for f in _forms(s)}, key=len, reverse=True):
        text = text.replace(form, MASK)
    return text


def redact_headers(headers: Mapping[str, str], secrets: Iterable[str]) -> dict[str, str]:
    """Headers as they may be shown: credentials masked, secrets in other values too."""
    secrets = list(secrets)
    return {name: MASK if name.lower() in CREDENTIAL_HEADERS else redact(value, secrets)
            for name, value in headers.items()}


def redact_data(value: Any, secrets: Iterable[str]) -> Any:
    """A JSON value with secrets masked in every string (keys included)."""
    secrets = list(secrets)
    if isinstance(value, str):
        return redact(value, secrets)
    if isinstance(value, Mapping):
        return {redact(str(key), secrets): redact_data(item, secrets) for key, item in value.items()}
    if isinstance(value, (list, tuple)):
        return [redact_data(item, secrets) for item in value]
    return value
