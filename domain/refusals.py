"""How every refusal is audited: one event shape, whoever refuses.

A refused click, command, submission or hand-over is written as ``kind`` with outcome
``refused``: the request it named (normalised, ``REQ-7``, or none when it named no request
id) and, in the details, what was asked, the refusal's code and the facts it carried. One
function, so an auditor can query refusals by request and by code across every handler.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from domain.errors import DomainError
from domain.records import AuditEntry, parse_request_ref, request_ref


def refusal_entry(actor: str, kind: str, refusal: DomainError, details: Mapping[str, Any]) -> AuditEntry:
    """The audit event for ``refusal`` of what ``actor`` asked (``details``; ``request`` names
    the request, as typed)."""
    request_id = parse_request_ref(str(details.get("request", "")))
    facts = {key: value for key, value in vars(refusal).items() if key != "ref"}
    return AuditEntry(kind, "refused", actor, None if request_id is None else request_ref(request_id),
                      {**details, "refused": refusal.code, **facts})
