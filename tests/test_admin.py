"""/selfserve admin reload and roles, and SIGHUP: a good edit goes live with a summary, a bad one
changes nothing and says why; only the admin role may."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from sqlalchemy.ext.asyncio import AsyncEngine

from domain.catalog import load_catalog
from domain.catalog_keeper import CatalogKeeper
from tests.conftest import E2E_CATALOG
from tests.harness import Harness

ADMINS = "  admins: {members: [U0ADMIN]}\n"


@pytest.fixture
async def reloadable(engine: AsyncEngine, tmp_path: Path) -> AsyncIterator[Harness]:
    path = tmp_path / "catalog.yaml"
    text = E2E_CATALOG.read_text()
    path.write_text(text.replace("roles:\n", "roles:\n" + ADMINS, 1))
    harness = Harness(engine, path)
    harness.keeper = CatalogKeeper(load_catalog(path), str(path))
    async with harness:
        harness.stub.add_user("U0ADMIN", name="admin", real_name="The Admin")
        yield harness


async def say(harness: Harness, user_id: str, text: str) -> str:
    response = await harness.slack.slash_command(user_id=user_id, command="/selfserve", text=text)
    return str(response.json()["text"])


async def test_an_admin_reloads_an_edit_and_sees_what_changed(reloadable: Harness) -> None:
    path = reloadable.catalog_path
    edited = path.read_text().replace("hr: {members: [U0HR1, U0HR2]}", "hr: {members: [U0HR1, U0HR2, U0HR9]}")
    path.write_text(edited.replace("actions:\n", "actions:\n  badge:\n    title: Badge\n"
                                   "    fields: [{id: why, label: Why, type: text}]\n", 1))
    text = await say(reloadable, "U0ADMIN", "admin reload")
    assert text == "Catalog reloaded. What changed:\n• Actions added: `badge`\n• Roles changed: `hr`"
    assert "<@U0HR9>" in await say(reloadable, "U0ADMIN", "admin roles")
    await reloadable.slack.slash_command(user_id="U0EMPLOYEE", command="/selfserve", text="badge")
    await reloadable.stub.wait_for("views.open")  # the new action is live
    await reloadable.settle()
    [event] = [e for e in await reloadable.audit_events() if e.kind == "catalog_reloaded"]
    assert json.loads(event.details)["actions_added"] == ["badge"] and event.actor == "U0ADMIN"


async def test_a_broken_edit_is_refused_and_the_old_catalog_stays(reloadable: Harness) -> None:
    reloadable.catalog_path.write_text(reloadable.catalog_path.read_text().replace("type: email", "type: emial"))
    text = await say(reloadable, "U0ADMIN", "admin reload")
    assert "1 problem(s); the old catalog stays in force" in text and "unknown type 'emial'" in text
    assert "Waiting" not in text
    await reloadable.slack.slash_command(user_id="U0HR1", command="/selfserve", text="new-employee")
    await reloadable.stub.wait_for("views.open")  # still served from the old catalog
    await reloadable.settle()
    assert [e.outcome for e in await reloadable.audit_events() if e.kind == "catalog_reloaded"] == ["refused"]


async def test_only_admins_may(reloadable: Harness) -> None:
    for what in ("admin reload", "admin roles"):
        assert await say(reloadable, "U0HR1", what) == "Only members of the *admins* role can do that."
    await reloadable.settle()
    refused = [e for e in await reloadable.audit_events() if e.outcome == "refused"]
    assert {e.kind for e in refused} == {"catalog_reloaded", "roles_listed"}
    assert "`/selfserve admin reload`" in await say(reloadable, "U0ADMIN", "admin")
