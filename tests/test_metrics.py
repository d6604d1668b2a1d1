"""``GET /metrics``, parsed with prometheus_client's own parser after known traffic through the stand-in."""

from __future__ import annotations

import aiohttp
from prometheus_client.parser import text_string_to_metric_families

from tests.harness import Harness
from tests.test_e2e_approval_flow import GOOD, approval_dm


async def scrape(harness: Harness) -> dict[tuple[str, tuple[tuple[str, str], ...]], float]:
    async with aiohttp.ClientSession() as session, session.get(harness.base_url + "/metrics") as response:
        assert response.status == 200 and response.headers["Content-Type"].startswith("text/plain; version=0.0.4")
        text = await response.text()
    return {(sample.name, tuple(sorted(sample.labels.items()))): sample.value
            for family in text_string_to_metric_families(text) for sample in family.samples}


def labelled(samples: dict[tuple[str, tuple[tuple[str, str], ...]], float], name: str,
             **labels: str) -> float:
    """The sum of ``name``'s samples whose labels include ``labels`` (so over every process)."""
    return sum(value for (sample, found), value in samples.items()
               if sample == name and set(labels.items()) <= set(found))


async def test_metrics_count_requests_acks_api_calls_and_the_queue(harness: Harness) -> None:
    await harness.submit("U0HR1", "new-employee", GOOD)
    await harness.submit("U0EMPLOYEE", "lunch-order", {"dish": "Ramen"})
    await harness.settle()
    await harness.slack.click(await approval_dm(harness, "U0HR2"), "selfserve.approve", user_id="U0HR2")
    harness.stub.fail_next("views.open", "expired_trigger_id", status=None, retry_after=0, times=1)
    await harness.slack.slash_command(user_id="U0EMPLOYEE", command="/selfserve", text="lunch-order")
    await harness.settle()
    samples = await scrape(harness)
    assert labelled(samples, "selfserve_requests", action="new-employee", state="pending") == 1
    assert labelled(samples, "selfserve_requests", action="lunch-order", state="approved") == 1
    assert not labelled(samples, "selfserve_requests", state="rejected")
    process = next(dict(found)["process"] for (name, found) in samples if name == "selfserve_ack_seconds_count")
    assert ":" in process  # host:pid, so that processes can be told apart and summed
    assert labelled(samples, "selfserve_ack_seconds_count", kind="command") == 3  # two forms and the failed one
    assert labelled(samples, "selfserve_ack_seconds_count", kind="view_submission") == 2
    assert labelled(samples, "selfserve_ack_seconds_count", kind="block_actions") == 1
    assert labelled(samples, "selfserve_slack_api_calls_total", method="views.open") == 3
    assert labelled(samples, "selfserve_slack_api_errors_total", method="views.open", error="expired_trigger_id") == 1
    posts = len(harness.stub.calls_to("chat.postMessage"))
    assert labelled(samples, "selfserve_slack_api_calls_total", method="chat.postMessage") == posts > 0
    assert not labelled(samples, "selfserve_jobs_due")  # settled: nothing due
    assert not labelled(samples, "selfserve_webhook_attempts_total")


async def test_database_figures_are_the_same_on_every_process(harness: Harness) -> None:
    await harness.submit("U0EMPLOYEE", "lunch-order", {"dish": "Ramen"})
    await harness.settle()
    first = await scrape(harness)
    await harness.restart()  # another process on the same database: its own counters, the same figures
    again = await scrape(harness)
    assert labelled(first, "selfserve_requests") == labelled(again, "selfserve_requests") == 1
    assert labelled(again, "selfserve_slack_api_calls_total") == 0
