"""``GET /metrics`` in Prometheus text format (prometheus_client).

Two sorts of figures. Those read from the database when scraped (requests by action and state,
the job queue per kind, webhook attempts by outcome) are the same on every process: take any
one. Those counted in this process (ack latency, Slack Web API calls and errors) carry a
``process`` label (host:pid), so a query sums them over processes.
"""

from __future__ import annotations

import time
from collections.abc import Awaitable, Callable, Iterator
from typing import Any

from aiohttp import web
from prometheus_client import CollectorRegistry, Counter, Histogram, generate_latest
from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily, Metric
from prometheus_client.registry import Collector
from slack_sdk.errors import SlackApiError
from slack_sdk.web.async_client import AsyncWebClient
from slack_sdk.web.async_slack_response import AsyncSlackResponse

from domain.gauges import Gauges

CONTENT_TYPE = "text/plain; version=0.0.4; charset=utf-8"
ACK_BUCKETS = (0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 3.0, 5.0)


class Metrics:
    """One app's registry: its process-local instruments and the database figures of the last scrape."""

    def __init__(self, process: str) -> None:
        self.registry = CollectorRegistry()
        self._process = process
        self._ack = Histogram("selfserve_ack_seconds", "Time from a Slack request's arrival to its ack, by kind",
                              ["kind", "process"], buckets=ACK_BUCKETS, registry=self.registry)
        self._calls = Counter("selfserve_slack_api_calls", "Slack Web API calls made, by method",
                              ["method", "process"], registry=self.registry)
        self._errors = Counter("selfserve_slack_api_errors", "Slack Web API calls that failed, by method and error",
                               ["method", "error", "process"], registry=self.registry)
        self._database = _DatabaseFigures()
        self.registry.register(self._database)

    def acked(self, kind: str, seconds: float) -> None:
        self._ack.labels(kind, self._process).observe(seconds)

    def api_call(self, method: str, error: str | None) -> None:
        self._calls.labels(method, self._process).inc()
        if error is not None:
            self._errors.labels(method, error[:64], self._process).inc()

    def render(self, gauges: Gauges) -> bytes:
        """The exposition, with ``gauges`` just read (no await between setting and rendering them)."""
        self._database.latest = gauges
        return generate_latest(self.registry)


class _DatabaseFigures(Collector):
    latest: Gauges | None = None

    def collect(self) -> Iterator[Metric]:
        if self.latest is None:
            return
        requests = GaugeMetricFamily("selfserve_requests", "Requests by action and state", labels=["action", "state"])
        for (action, state), count in sorted(self.latest.requests.items()):
            requests.add_metric([action, state], count)
        depth = GaugeMetricFamily("selfserve_jobs_due", "Pending jobs due now, by kind", labels=["kind"])
        oldest = GaugeMetricFamily("selfserve_jobs_oldest_due_seconds", "How long the oldest due job of a kind "
                                   "has waited", labels=["kind"])
        for kind, queue in sorted(self.latest.queue.items()):
            depth.add_metric([kind], queue.due)
            oldest.add_metric([kind], queue.oldest_due_seconds)
        webhooks = CounterMetricFamily("selfserve_webhook_attempts", "Fulfilment step (webhook) attempts, by outcome",
                                       labels=["outcome"])
        for outcome, count in sorted(self.latest.webhook_attempts.items()):
            webhooks.add_metric([outcome], count)
        yield from (requests, depth, oldest, webhooks)


class CountingWebClient(AsyncWebClient):
    """A Web API client that counts its calls and their errors in ``metrics``."""

    def __init__(self, *args: Any, metrics: Metrics, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.metrics = metrics

    async def api_call(self, api_method: str, **kwargs: Any) -> AsyncSlackResponse:
        try:
            response = await super().api_call(api_method, **kwargs)
        except SlackApiError as error:
            self.metrics.api_call(api_method, str(error.response.get("error") or error.response.status_code))
            raise
        except Exception as error:
            self.metrics.api_call(api_method, type(error).__name__)
            raise
        self.metrics.api_call(api_method, None)
        return response

    @classmethod
    def like(cls, client: AsyncWebClient, metrics: Metrics) -> CountingWebClient:
        """A counting copy of ``client`` (Bolt builds a plain one per request)."""
        return cls(token=client.token, base_url=client.base_url, timeout=client.timeout, ssl=client.ssl,
                   proxy=client.proxy, session=client.session, trust_env_in_session=client.trust_env_in_session,
                   headers=client.headers, logger=client.logger,
                   retry_handlers=client.retry_handlers, metrics=metrics)


def metrics_endpoint(metrics: Metrics, read: Callable[[], Awaitable[Gauges]]) -> Callable[[web.Request],
                                                                                          Awaitable[web.Response]]:
    async def serve(_: web.Request) -> web.Response:
        return web.Response(body=metrics.render(await read()), headers={"Content-Type": CONTENT_TYPE})

    return serve


def since(started: float) -> float:
    return time.monotonic() - started
