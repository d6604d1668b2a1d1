"""selfserve preview ACTION: the form exactly as the bot opens it, and a Block Kit Builder link."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any
from urllib.parse import unquote

import pytest

from bot.modals.request_form import request_form_json
from cli.main import main
from cli.preview import BUILDER_URL
from domain.catalog import load_catalog
from tests.conftest import E2E_CATALOG
from tests.harness import Harness

FORMS_CATALOG = Path(__file__).parent / "catalog_forms.yaml"


def preview(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str, str]:
    code = main(["preview", *args])
    captured = capsys.readouterr()
    return code, captured.out, captured.err


def linked_view(err: str) -> dict[str, Any]:
    [line] = [line for line in err.splitlines() if line.startswith("Block Kit Builder: ")]
    link = line.removeprefix("Block Kit Builder: ")
    assert link.startswith(BUILDER_URL) and " " not in link
    view: dict[str, Any] = json.loads(unquote(link.removeprefix(BUILDER_URL)))
    assert next(iter(view)) == "type" and view["type"] == "modal"
    return view


async def test_the_preview_is_the_modal_the_bot_opens(harness: Harness, capsys: pytest.CaptureFixture[str]) -> None:
    code, out, err = preview(capsys, "new-employee", "--catalog", str(E2E_CATALOG))
    assert code == 0
    printed = json.loads(out)
    await harness.open_form("U0HR1", "new-employee")  # through the stand-in, as Slack got it
    [call] = harness.stub.calls_to("views.open")
    sent = call.args["view"]
    assert printed == (sent if isinstance(sent, dict) else json.loads(sent))
    assert linked_view(err) == printed


def test_fields_shown_later_are_left_out_as_in_the_opened_form(capsys: pytest.CaptureFixture[str],
                                                               monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("CATALOG_PATH", str(FORMS_CATALOG))  # the default catalog
    code, out, _ = preview(capsys, "equipment")
    blocks = [block.get("block_id") for block in json.loads(out)["blocks"]]
    assert code == 0 and "model" in blocks and "product" not in blocks  # product: only for software
    assert json.loads(out) == request_form_json(load_catalog(FORMS_CATALOG).actions["equipment"])


def test_an_unknown_action_names_the_near_ones_and_exits_2(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, err = preview(capsys, "new-employe", "--catalog", str(E2E_CATALOG))
    assert (code, out) == (2, "")
    assert err.strip() == f"selfserve: no action 'new-employe' in {E2E_CATALOG}; did you mean 'new-employee'?"
    code, _, err = preview(capsys, "printer", "--catalog", str(E2E_CATALOG))
    assert code == 2 and err.strip() == (f"selfserve: no action 'printer' in {E2E_CATALOG}; its actions are "
                                         "new-employee, access-request, lunch-order, self-service")


def test_a_catalog_with_problems_is_listed_and_exits_1(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    path = tmp_path / "catalog.yaml"
    path.write_text(E2E_CATALOG.read_text().replace("{role: hr}", "{role: hrr}"))
    code, out, err = preview(capsys, "new-employee", "--catalog", str(path))
    assert (code, out) == (1, "") and f"{path}:" in err and "unknown role 'hrr'" in err


def test_each_fulfilment_step_is_shown_as_it_would_be_sent_secrets_masked(capsys: pytest.CaptureFixture[str],
                                                                          monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("IAM_TOKEN", "a-real-iam-token-value")
    code, out, err = preview(capsys, "access-request", "--catalog", "catalog.yaml")
    assert code == 0 and json.loads(out)["type"] == "modal"  # stdout stays the form's JSON only
    steps = err.split("\n", 1)[1]  # after the Builder link
    assert "After the last approval (on_approved" in steps and "When access ends (on_expired" in steps
    assert "POST https://iam.internal.example/api/grants\n" in steps
    assert "Authorization: ••••••" in steps and "a-real-iam-token-value" not in err
    assert '"user": "sam@example.com"' in steps and '"system": "Production database"' in steps  # sample values
    assert "You have Read-only access to Production database now (REQ-42)" in steps
    assert "POST https://iam.internal.example/api/grants/sample-id/revoke" in steps  # steps.grant.id, a sample
    assert "Access ends 8h after the last step is done (the requester is told 30m before)." in steps


def test_an_action_without_fulfilment_shows_only_the_form(capsys: pytest.CaptureFixture[str]) -> None:
    code, _, err = preview(capsys, "new-employee", "--catalog", str(E2E_CATALOG))
    assert code == 0 and len(err.strip().splitlines()) == 1 and err.startswith("Block Kit Builder: ")
