"""Checking fulfilment templates when the catalog loads, the way a run would find them.

Each template is compiled (syntax errors), its names are checked against what the context
offers (an unknown variable, form field or saved step is named, with the closest one), and it is
rendered in the sandbox with sample values, which catches what is left (a filter misused, a
value of the wrong type). ``${VAR}`` in text bound for Slack is refused: secrets never go there.
"""

from __future__ import annotations

import difflib
from collections.abc import Iterable, Iterator, Mapping
from typing import Any

from jinja2 import TemplateSyntaxError, meta, nodes

from domain.catalog.fields import Field
from domain.catalog.fulfilment import Fulfilment, FulfilmentStep
from domain.catalog.template_context import ACCESS_KEYS, REQUEST_KEYS, REQUESTER_KEYS, TOP_LEVEL, sample_context
from domain.templating import (
    PLAIN_ENV,
    SECRET_REF,
    SLACK_ENV,
    RenderError,
    SampleEnviron,
    Secrets,
    render_json,
    render_plain,
    render_slack,
    with_secret_calls,
)

Path = tuple[str | int, ...]
Issue = tuple[Path, str]
SLACK, PLAIN, JSON = "slack", "plain", "json"


def templates_of(step: FulfilmentStep) -> Iterator[tuple[Path, Any, str]]:
    """Every template of ``step``: its path under the step, its source, how it is rendered."""
    if step.message is not None:
        yield ("message",), step.message, SLACK
    if step.notify is not None:
        yield ("notify", "message"), step.notify.message, SLACK
    if step.webhook is not None:
        yield ("webhook", "url"), step.webhook.url, PLAIN
        for name, value in step.webhook.headers.items():
            yield ("webhook", "headers", name), value, PLAIN
        if step.webhook.body is not None:
            yield from _leaves(step.webhook.body, ("webhook", "json"))


def _leaves(value: Any, path: Path) -> Iterator[tuple[Path, Any, str]]:
    if isinstance(value, str):
        yield path, value, JSON
    elif isinstance(value, Mapping):
        for key, item in value.items():
            yield from _leaves(item, (*path, str(key)))
    elif isinstance(value, (list, tuple)):
        for index, item in enumerate(value):
            yield from _leaves(item, (*path, index))


def template_issues(fields: tuple[Field, ...], spec: Fulfilment) -> list[Issue]:
    """Problems of every template of ``spec``, located under the action."""
    issues: list[Issue] = []
    saved: list[str] = []
    for phase in ("on_approved", "on_expired"):
        for index, step in enumerate(getattr(spec, phase)):
            context = sample_context(fields, saved, expired=phase == "on_expired", expires_after=spec.expires_after)
            for path, source, mode in templates_of(step):
                problem = check_template(source, mode, context)
                if problem is not None:
                    issues.append(((phase, index, *path), problem))
            if step.webhook is not None and step.webhook.save_as:
                saved.append(step.webhook.save_as)
    return issues


def check_template(source: str, mode: str, context: Mapping[str, Any]) -> str | None:
    """What is wrong with one template rendered in ``context`` (sample values), if anything."""
    if mode == SLACK and SECRET_REF.search(source):
        return "${VAR} cannot be used in a Slack message: secrets are never sent to Slack"
    try:
        tree = (SLACK_ENV if mode == SLACK else PLAIN_ENV).parse(source if mode == SLACK else with_secret_calls(source))
    except TemplateSyntaxError as error:
        where = f" (template line {error.lineno})" if error.lineno > 1 else ""
        return f"template syntax error: {error.message}{where}"
    problem = _unknown_name(tree, context)
    if problem is not None:
        return problem
    secrets = Secrets(environ=SampleEnviron())
    try:
        if mode == SLACK:
            render_slack(source, context)
        elif mode == PLAIN:
            render_plain(source, context, secrets)
        else:
            render_json(source, context, secrets)
    except RenderError as error:
        return str(error)
    return None


def _unknown_name(tree: nodes.Template, context: Mapping[str, Any]) -> str | None:
    offered = [name for name in TOP_LEVEL if name in context]
    for name in sorted(meta.find_undeclared_variables(tree)):
        if name not in context and not name.startswith("__selfserve"):
            return f"unknown variable {name!r}{_near(name, offered)} (expected one of: {', '.join(offered)})"
    keys: dict[str, Iterable[str]] = {"request": REQUEST_KEYS, "requester": REQUESTER_KEYS, "access": ACCESS_KEYS,
                                      "form": context["form"], "steps": context["steps"]}
    for node in tree.find_all((nodes.Getattr, nodes.Getitem)):
        assert isinstance(node, (nodes.Getattr, nodes.Getitem))
        target, attr = node.node, _attribute(node)
        if not isinstance(target, nodes.Name) or target.name not in keys or attr is None:
            continue
        known = list(keys[target.name])
        if attr not in known:
            what = {"form": "form field", "steps": "saved step (save_as of an earlier webhook)"}.get(
                target.name, f"{target.name} key")
            listed = f" (known: {', '.join(known)})" if known else " (none so far)"
            return f"unknown {what} {target.name}.{attr}{_near(attr, known) or listed}"
    return None


def _attribute(node: nodes.Getattr | nodes.Getitem) -> str | None:
    if isinstance(node, nodes.Getattr):
        return node.attr
    return str(node.arg.value) if isinstance(node.arg, nodes.Const) else None


def _near(name: str, known: Iterable[str]) -> str:
    close = difflib.get_close_matches(name, list(known), n=1)
    return f" (did you mean {close[0]!r}?)" if close else ""
