"""The four scenarios and what each needs before it can be timed.

For the real app every request is genuine: a submission submits a modal the app really
opened, a click presses Approve on a DM the app really posted, one per request, so no
request is a duplicate the app would short-cut. The baseline gets the same shapes, copied
from what the real app produced (it only acks, so repeats cost it nothing extra).
"""

from __future__ import annotations

import asyncio
import itertools
import json
import re
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Any

import aiohttp

from bench.loadgen import closed_loop
from bench.payloads import Shot, ShotMaker
from slackstub import SlackStandIn

SCENARIOS = ("help", "open", "submit", "click")
REQUESTER, APPROVER = "U0HR1", "U0HR2"  # new-employee: HR asks, the other HR member approves step 0
APPROVE = "selfserve.approve"
# Each submitted form carries a mark in its full name ("Ada Lovelace bench-form-17"), which the
# approval DMs show among the answers; that is how a DM is traced back to its submission.
MARK = re.compile(r"bench-form-\d+")
_marks: Iterator[int] = itertools.count(1)
# The fallback text of an approval DM (bot/messages/approval.py) starts with the request's ref.
APPROVAL_TEXT = re.compile(r"Approval needed: (\S+) ")


@dataclass
class Templates:
    """One real modal and one real approval DM, for the baseline's payloads."""

    view: dict[str, Any] | None = None
    dm: dict[str, Any] | None = None
    used_dms: set[str] = field(default_factory=set)


async def _until(check: Callable[[], bool], what: str, timeout: float = 60.0) -> None:
    deadline = time.monotonic() + timeout
    while not check():
        if time.monotonic() > deadline:
            raise TimeoutError(f"timed out waiting for {what}")
        await asyncio.sleep(0.05)


async def _open_views(maker: ShotMaker, stub: SlackStandIn, session: aiohttp.ClientSession, url: str,
                      n: int) -> list[dict[str, Any]]:
    """Open ``n`` request forms through the app and return the views it opened."""
    shots = [maker.slash(REQUESTER, "new-employee") for _ in range(n)]
    keys = {shot.key for shot in shots}
    await closed_loop(session, url, shots, 8)
    found: dict[str, dict[str, Any]] = {}

    def collected() -> bool:
        for call in stub.calls_to("views.open"):
            if call.args.get("trigger_id") in keys and call.ok:
                found[str(call.args["trigger_id"])] = dict(call.response["view"])
        return len(found) >= n

    await _until(collected, f"{n} views.open")
    return list(found.values())


def _fresh_approval_dms(stub: SlackStandIn, used: set[str]) -> list[dict[str, Any]]:
    return [m for m in stub.messages(APPROVER) if m["ts"] not in used and "Approval needed" in m.get("text", "")
            and any(b.get("type") == "actions" for b in m.get("blocks", []))]


async def prepare_app(scenario: str, n: int, maker: ShotMaker, stub: SlackStandIn, session: aiohttp.ClientSession,
                      url: str, templates: Templates) -> list[Shot]:
    """``n`` shots for the real app, doing whatever real traffic each one presupposes."""
    if scenario == "help":
        return [maker.slash(REQUESTER, "help") for _ in range(n)]
    if scenario == "open":
        return [maker.slash(REQUESTER, "new-employee") for _ in range(n)]
    views = await _open_views(maker, stub, session, url, n)
    templates.view = templates.view or views[0]
    submissions = [maker.submission(view, REQUESTER, mark=f"bench-form-{next(_marks)}") for view in views]
    if scenario == "submit":
        return submissions
    await closed_loop(session, url, submissions, 8)
    dms: list[dict[str, Any]] = []

    def delivered() -> bool:
        dms[:] = _fresh_approval_dms(stub, templates.used_dms)
        return len(dms) >= n

    await _until(delivered, f"{n} approval DMs to {APPROVER}")
    dms = dms[:n]
    templates.used_dms.update(m["ts"] for m in dms)
    templates.dm = templates.dm or dms[0]
    return [maker.click(dm, APPROVE, APPROVER, key=_ref(dm)) for dm in dms]


def prepare_baseline(scenario: str, n: int, maker: ShotMaker, templates: Templates) -> list[Shot]:
    """The same request shapes for bare Bolt (its listeners only ack)."""
    if scenario == "help":
        return [maker.slash(REQUESTER, "help") for _ in range(n)]
    if scenario == "open":
        return [maker.slash(REQUESTER, "new-employee") for _ in range(n)]
    if scenario == "submit":
        assert templates.view is not None, "run the app first: the baseline copies its modal"
        return [maker.submission(templates.view, REQUESTER) for _ in range(n)]
    assert templates.dm is not None, "run the app first: the baseline copies its approval DM"
    return [maker.click(templates.dm, APPROVE, APPROVER) for _ in range(n)]


def _ref(dm: dict[str, Any]) -> str:
    """The request an approval DM's Approve button decides (its value is ``REQ-n:step``)."""
    for block in dm.get("blocks", []):
        for element in block.get("elements", []) if block.get("type") == "actions" else []:
            if element.get("action_id") == APPROVE:
                return str(element["value"]).rpartition(":")[0]
    raise ValueError(f"no {APPROVE} button in DM {dm.get('ts')}")


# After-ack delays. ``sent`` maps a shot's key to the time its latency counts from (the time it
# was sent, or its scheduled time in open loop). The sender runs in a child process, the stand-in
# in this one: both read time.monotonic() (CLOCK_MONOTONIC, one clock for the whole machine), so
# RecordedCall.at (stamped on arrival) minus the sending time is a plain subtraction.


def views_open_delays(stub: SlackStandIn, sent: dict[str, float]) -> list[float]:
    """Seconds from sending each slash command to the stand-in receiving its views.open."""
    return [call.at - sent[key] for call in stub.calls_to("views.open")
            if (key := call.args.get("trigger_id")) in sent]


def approver_dm_delays(stub: SlackStandIn, sent: dict[str, float]) -> list[float]:
    """Seconds from sending each submission to the stand-in receiving the first chat.postMessage of
    an approval DM for it (matched by the mark in the form's answers, which the DM's blocks show)."""
    first: dict[str, float] = {}
    for call in stub.calls_to("chat.postMessage"):
        if not call.ok or not str(call.args.get("text", "")).startswith("Approval needed:"):
            continue
        for mark in set(MARK.findall(json.dumps(call.args.get("blocks")))):
            if mark in sent:
                first[mark] = min(first.get(mark, call.at), call.at)
    return [at - sent[mark] for mark, at in first.items()]


def step_update_delays(stub: SlackStandIn, sent: dict[str, float]) -> list[float]:
    """Seconds from sending each click to the stand-in receiving the last chat.update of an approval
    DM of that request that existed before the click (the clicked step's DMs; the next step's DMs
    are posted during the phase, so updates of those are left out), matched by the request ref."""
    posted = {(call.response.get("channel"), call.response.get("ts")) for call in stub.calls_to("chat.postMessage")
              if call.ok}
    last: dict[str, float] = {}
    for call in stub.calls_to("chat.update"):
        match = APPROVAL_TEXT.match(str(call.args.get("text", "")))
        if (not call.ok or match is None or match[1] not in sent
                or (call.args.get("channel"), call.args.get("ts")) in posted):
            continue
        last[match[1]] = max(last.get(match[1], call.at), call.at)
    return [at - sent[ref] for ref, at in last.items()]


AFTER_ACK: dict[str, Callable[[SlackStandIn, dict[str, float]], list[float]]] = {
    "open": views_open_delays, "submit": approver_dm_delays, "click": step_update_delays}
