"""The ``fulfil.step`` job handler: performs one fulfilment step per job.

The domain prepares the step (marking it running) and decides what the attempt means; this
adapter looks up the requester, renders the step and makes the one outside call: a DM or a
channel post (posted once per job, as every DM: ``SlackNotifier.post_once``) or the webhook.
"""

from __future__ import annotations

import logging
from collections.abc import AsyncGenerator, Callable, Mapping, Sequence

import aiohttp
from slack_sdk.errors import SlackApiError
from slack_sdk.models.blocks import SectionBlock

from bot.fulfilment import webhook
from bot.fulfilment.people import People
from bot.messages import Message
from bot.messages.summary import md
from bot.mrkdwn import truncate
from bot.notifier import SlackNotifier, outcome_of
from domain.fulfilment_run import Attempt, Prepared, Rendered, StepRunner, outcome, render
from domain.jobs import Done, Fail, Outcome, Retry
from domain.records import Job
from domain.templating import RenderError

logger = logging.getLogger(__name__)


class StepPerformer:
    def __init__(self, runner: StepRunner, notifier: SlackNotifier, people: People,
                 session: Callable[[], aiohttp.ClientSession], *, environ: Mapping[str, str] | None = None,
                 redirect: str | None = None) -> None:
        """``session``: the process's HTTP session (set when the app starts); ``environ``: where
        ``${VAR}`` is read (the process environment); ``redirect``: see ``webhook.call``."""
        self._runner = runner
        self._notifier = notifier
        self._people = people
        self._session = session
        self._environ = environ
        self._redirect = redirect

    async def run(self, jobs: Sequence[Job]) -> AsyncGenerator[tuple[Job, Outcome], None]:
        for job in jobs:
            try:
                prepared = await self._runner.prepare(job)
            except Exception as error:  # the database briefly away: the engine tries again
                logger.exception("preparing fulfilment job %s failed", job.id)
                yield job, Retry(f"preparing the step failed: {type(error).__name__}")
                continue
            if prepared is None:
                yield job, Done()  # nothing to do: the request is gone, or the step is done
                continue
            yield job, await self._attempt(job, prepared)

    async def _attempt(self, job: Job, prepared: Prepared) -> Outcome:
        try:
            person = await self._people.get(prepared.request.requester_id)
        except (SlackApiError, aiohttp.ClientError, TimeoutError) as error:
            return outcome(prepared, None, _slack_attempt(error, "looking up the requester"))
        try:
            rendered = render(prepared, person, self._environ)
        except RenderError as error:
            return outcome(prepared, None, Attempt(False, f"the step's template failed: {error}"))
        if rendered.method:
            attempt = await webhook.call(self._session(), rendered, prepared.key, self._redirect)
        else:
            attempt = await self._post(job, prepared, rendered)
        result = outcome(prepared, rendered, attempt)
        if not attempt.ok:  # the error as recorded: secrets masked
            logger.warning("fulfilment step %s of %s (attempt %s): %s", prepared.index + 1, prepared.request.ref,
                           prepared.attempt, result.error if isinstance(result, (Retry, Fail)) else "")
        return result

    async def _post(self, job: Job, prepared: Prepared, rendered: Rendered) -> Attempt:
        step = prepared.step
        text = truncate(rendered.text, 3000)
        message = Message(text=text, blocks=(SectionBlock(text=md(text)),))
        try:
            channel = (step.notify.channel if step.notify is not None
                       else await self._notifier.dm_channel(prepared.request.requester_id))
            await self._notifier.post_once(channel, job, message)
        except (SlackApiError, aiohttp.ClientError, TimeoutError) as error:
            return _slack_attempt(error, "posting")
        return Attempt(True)


def _slack_attempt(error: Exception, doing: str) -> Attempt:
    """Slack's answer as an attempt: what the notifier would retry is transient here too."""
    result = outcome_of(error)
    if isinstance(result, Retry):
        return Attempt(False, f"{doing} failed: {result.error}", transient=True, retry_after=result.after)
    return Attempt(False, f"{doing} failed: {result.error if isinstance(result, Fail) else 'unknown'}")
