"""Catalog templates, rendered in jinja2's sandbox with strict undefined.

Only the catalog's text is template source; form values, people and webhook answers enter as
data in the context and are never parsed as templates, so ``{{ 7*7 }}`` typed into a form stays
those characters. The sandbox refuses ``__class__`` and friends, so a template cannot reach
Python's internals. Three ways out:

* ``render_slack``: text for Slack; every ``{{ … }}`` value is mrkdwn-escaped (a form value of
  ``<!channel>`` pings nobody) unless it is ``Trusted`` (a mention the bot built itself).
* ``render_plain``: a string for a URL or a header, nothing escaped.
* ``render_json``: a JSON body rendered leaf by leaf: a string that is one ``{{ expression }}``
  becomes that value as JSON (a number stays a number, a list a list); any other string is
  rendered as text. Nothing is spliced into JSON text, so no value can break out of its string.

``${VAR}`` in a webhook's URL, headers or body is the environment variable, read when the step
runs; each value read is collected in ``Secrets`` so that what is recorded can be redacted.
"""

from __future__ import annotations

import os
import re
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field
from functools import lru_cache
from typing import Any

from jinja2 import StrictUndefined, Template, TemplateError, UndefinedError
from jinja2.sandbox import ImmutableSandboxedEnvironment

SECRET_REF = re.compile(r"\$\{([A-Za-z_][A-Za-z0-9_]*)\}")
_ONE_EXPRESSION = re.compile(r"^\s*\{\{(?P<expr>(?:(?!\{\{|\}\}).)*)\}\}\s*$", re.DOTALL)
_SECRET_CALL = "__selfserve_secret__"
_MRKDWN = str.maketrans({"&": "&amp;", "<": "&lt;", ">": "&gt;"})


class Trusted(str):
    """Text the bot made itself (a ``<@U…>`` mention): put into Slack text as it is."""


class RenderError(Exception):
    """A template could not be rendered: the message names why, never a secret's value."""


class SampleEnviron(Mapping[str, str]):
    """An environment that has every variable: its own value, or a made-up ``sample-<name>`` one,
    for rendering templates where the real secrets are absent (checks, previews)."""

    def __init__(self, environ: Mapping[str, str] | None = None) -> None:
        self._environ = dict(environ or {})

    def __getitem__(self, key: str) -> str:
        return self._environ.get(key) or f"sample-{key.lower()}"

    def __iter__(self) -> Iterator[str]:
        return iter(self._environ)

    def __len__(self) -> int:
        return len(self._environ)


@dataclass
class Secrets:
    """The ``${VAR}`` values one rendering read, for redaction; ``environ`` is where they come from."""

    environ: Mapping[str, str] = field(default_factory=lambda: os.environ)
    used: dict[str, str] = field(default_factory=dict)

    def read(self, name: str) -> str:
        value = self.environ.get(name)
        if not value:
            raise RenderError(f"the environment variable {name} is not set")
        self.used[name] = value
        return value

    @property
    def values(self) -> list[str]:
        return list(self.used.values())


def _escape_mrkdwn(value: Any) -> str:
    return value if isinstance(value, Trusted) else ("" if value is None else str(value)).translate(_MRKDWN)


def _plain(value: Any) -> str:
    return "" if value is None else str(value)


def _environment(finalize: Callable[[Any], str]) -> ImmutableSandboxedEnvironment:
    return ImmutableSandboxedEnvironment(undefined=StrictUndefined, autoescape=False, finalize=finalize,
                                keep_trailing_newline=False, trim_blocks=True, lstrip_blocks=True)


SLACK_ENV = _environment(_escape_mrkdwn)
PLAIN_ENV = _environment(_plain)


def with_secret_calls(source: str) -> str:
    """``${VAR}`` as a call that reads the variable at render time (the value stays data)."""
    return SECRET_REF.sub(lambda match: "{{ " + _SECRET_CALL + "(" + repr(match[1]) + ") }}", source)


@lru_cache(maxsize=1024)
def compiled(source: str, *, slack: bool) -> Template:
    """The template of ``source``, compiled once; raises jinja2's TemplateSyntaxError."""
    if slack:
        return SLACK_ENV.from_string(source)
    return PLAIN_ENV.from_string(with_secret_calls(source))


def _render(template: Template, context: Mapping[str, Any], secrets: Secrets | None) -> str:
    values = dict(context)
    if secrets is not None:
        values[_SECRET_CALL] = secrets.read
    try:
        return template.render(values)
    except RenderError:
        raise
    except TemplateError as error:
        raise RenderError(_describe(error)) from None
    except (TypeError, ValueError, ArithmeticError, LookupError) as error:
        raise RenderError(f"{type(error).__name__}: {error}") from None


def render_slack(source: str, context: Mapping[str, Any]) -> str:
    """Text for a Slack message (no ``${VAR}``: secrets never go to Slack)."""
    try:
        template = compiled(source, slack=True)
    except TemplateError as error:
        raise RenderError(_describe(error)) from None
    return _render(template, context, None).strip()


def render_plain(source: str, context: Mapping[str, Any], secrets: Secrets) -> str:
    """A URL or a header value; ``${VAR}`` read into ``secrets``."""
    try:
        template = compiled(source, slack=False)
    except TemplateError as error:
        raise RenderError(_describe(error)) from None
    return _render(template, context, secrets)


def render_json(body: Any, context: Mapping[str, Any], secrets: Secrets) -> Any:
    """A JSON body with every string leaf rendered (keys are fixed text)."""
    if isinstance(body, str):
        whole = _ONE_EXPRESSION.match(body)
        if whole is None or SECRET_REF.search(body):
            return render_plain(body, context, secrets)
        return _json_value(_evaluate(whole["expr"], context))
    if isinstance(body, Mapping):
        return {str(key): render_json(value, context, secrets) for key, value in body.items()}
    if isinstance(body, (list, tuple)):
        return [render_json(item, context, secrets) for item in body]
    return body


def _evaluate(expression: str, context: Mapping[str, Any]) -> Any:
    try:
        value = PLAIN_ENV.compile_expression(expression, undefined_to_none=False)(**context)
        if isinstance(value, StrictUndefined):
            str(value)  # raises UndefinedError naming what is missing
    except TemplateError as error:
        raise RenderError(_describe(error)) from None
    except (TypeError, ValueError, ArithmeticError, LookupError) as error:
        raise RenderError(f"{type(error).__name__}: {error}") from None
    return value


def _json_value(value: Any) -> Any:
    """``value`` as JSON data: containers kept, anything else not JSON as its text."""
    if value is None or isinstance(value, (bool, int, float, str)):
        return str(value) if isinstance(value, Trusted) else value
    if isinstance(value, Mapping):
        return {str(key): _json_value(item) for key, item in value.items()}
    if isinstance(value, (list, tuple)):
        return [_json_value(item) for item in value]
    return str(value)


def _describe(error: TemplateError) -> str:
    """jinja2's message in a catalog author's words."""
    message = str(error.message or error)
    if isinstance(error, UndefinedError):
        return f"unknown variable: {message}"
    return message

