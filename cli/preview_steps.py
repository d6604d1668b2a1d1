"""What ``selfserve preview`` shows of an action's fulfilment: each step as it would be sent.

Every step is rendered as a run would render it (``domain.fulfilment_run.render_step``), with the
sample values ``selfserve check`` uses, so a reviewer reads the message text, the URL, the headers
and the JSON body a change produces. ``${VAR}`` values are never shown: the ones set here and the
made-up ones alike are masked, as they are wherever a step's call is recorded.
"""

from __future__ import annotations

import json
from collections.abc import Iterator, Mapping
from datetime import timedelta

from domain.catalog import Action
from domain.catalog.template_context import sample_context
from domain.fulfilment_run import RenderError, render_step
from domain.templating import SampleEnviron

PHASES = (("on_approved", "After the last approval"), ("on_expired", "When access ends"))


def steps_preview(action: Action, environ: Mapping[str, str]) -> str:
    """The action's steps as text, or "" when it has none (variables unset here get made-up values,
    masked all the same)."""
    return "\n".join(_lines(action, SampleEnviron(environ)))


def _lines(action: Action, environ: Mapping[str, str]) -> Iterator[str]:
    spec = action.fulfilment
    saved: list[str] = []
    for phase, title in PHASES:
        steps = getattr(spec, phase)
        if steps:
            yield f"{title} ({phase}, rendered with sample values; secrets masked):"
        for index, step in enumerate(steps):
            values = sample_context(action.fields, saved, expired=phase == "on_expired",
                                    expires_after=spec.expires_after)
            yield f"  {index + 1}. {step.label}"
            try:
                shown = render_step(step, values, environ).shown()
            except RenderError as error:
                yield f"     cannot be rendered: {error}"
                continue
            yield from _indented(_call(shown) if "method" in shown else shown["text"])
            if step.webhook is not None and step.webhook.save_as:
                saved.append(step.webhook.save_as)
                yield f"     (its JSON answer is kept as steps.{step.webhook.save_as})"
        if phase == "on_approved" and spec.expires_after is not None:
            heads_up = spec.heads_up or timedelta()
            yield (f"Access ends {_duration(spec.expires_after)} after the last step is done "
                   f"(the requester is told {_duration(heads_up)} before).")


def _call(shown: Mapping[str, object]) -> str:
    headers = shown["headers"]
    assert isinstance(headers, Mapping)
    lines = [f"{shown['method']} {shown['url']}", *(f"{name}: {value}" for name, value in headers.items())]
    if shown["json"] is not None:
        lines.append(json.dumps(shown["json"], indent=2, ensure_ascii=False))
    return "\n".join(lines)


def _indented(text: str) -> Iterator[str]:
    for line in text.splitlines() or [""]:
        yield f"     {line}"


def _duration(value: timedelta) -> str:
    seconds = int(value.total_seconds())
    for unit, size in (("d", 86400), ("h", 3600), ("m", 60)):
        if seconds % size == 0 and seconds >= size:
            return f"{seconds // size}{unit}"
    return f"{seconds}s"
