"""Shared pieces of the fulfilment tests: a catalog pointing at the local receiver, and a flow."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from pathlib import Path
from typing import Any

from tests.harness import Harness

SECRET = "s3cr3t-token-value"
CATALOG = """
settings:
  support_channel: C0SUPPORT
roles:
  it: {{members: [U0IT1]}}
  admins: {{members: [U0ADMIN]}}
  support: {{members: [U0SUP1]}}
actions:
  software-install:
    title: Install software
    fields:
      - {{id: software, label: Software, type: select, options: [Figma, Docker]}}
      - {{id: note, label: Note, type: text, required: false}}
    approvals: [{{role: it}}]
    on_approved:
      - message: >-
          {{{{ form.software }}}} is on its way, {{{{ requester.name }}}} ({{{{ request.id }}}}). {{{{ form.note }}}}
      - webhook:
          url: {base}/api/installs
          headers: {{Authorization: "Bearer ${{SELFSERVE_TEST_TOKEN}}"}}
          json: {{user: "{{{{ requester.email }}}}", package: "{{{{ form.software }}}}", ticket: "{{{{ request.id }}}}",
                 note: "{{{{ form.note }}}}"}}
          timeout: {timeout}
          retries: {retries}
          save_as: install
      - notify: {{channel: C0ITOPS, message: "Installed {{{{ form.software }}}} for {{{{ requester.mention }}}}"}}
    expires_after: 8h
    warn_before: 1h
    on_expired:
      - webhook:
          url: {base}/api/revoke
          json: {{grant: "{{{{ steps.install.id }}}}", ticket: "{{{{ request.id }}}}"}}
"""


def write_catalog(tmp_path: Path, base: str, *, retries: int = 3, timeout: str = "2s",
                  support_channel: bool = True) -> Path:
    """``support_channel`` False: a catalog without one (so no escalations)."""
    path = tmp_path / "catalog.yaml"
    text = CATALOG.format(base=base, retries=retries, timeout=timeout)
    path.write_text(text if support_channel else text.replace("support_channel: C0SUPPORT", "admin_role: admins"))
    return path


def receipt(harness: Harness, user_id: str = "U0EMPLOYEE") -> dict[str, Any]:
    return next(m for m in harness.dms(user_id) if "was submitted" in str(m.get("blocks")))


async def request_and_approve(harness: Harness, values: dict[str, Any] | None = None) -> None:
    """U0EMPLOYEE asks for Figma; U0IT1 approves; every job that is due runs."""
    await harness.submit("U0EMPLOYEE", "software-install", values or {"software": "Figma"})
    await harness.settle()
    [ask] = [m for m in harness.dms("U0IT1") if "Approval needed" in m.get("text", "")]
    assert (await harness.slack.click(ask, "selfserve.approve", user_id="U0IT1")).status == 200
    await harness.settle()


async def eventually(condition: Callable[[], bool], timeout: float = 30.0) -> None:
    """Wait until ``condition`` holds (what another process or the runner's own loop does)."""
    deadline = asyncio.get_running_loop().time() + timeout
    while not condition():
        assert asyncio.get_running_loop().time() < deadline, "timed out"
        await asyncio.sleep(0.05)
