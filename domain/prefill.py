"""Values typed after the action: ``/selfserve laptop-order model="MacBook Pro 14" reason=replacement``.

Slack sends a command's text escaped: ``&``, ``<`` and ``>`` arrive as ``&amp;``, ``&lt;`` and
``&gt;``, and (the app asks for it: "Escape channels, users, and links") a mention as
``<@U123|name>``, a channel as ``<#C123|name>``, a link as ``<https://…|label>`` or
``<mailto:…|label>``. Each value is read back to what the person typed, except that a person or
channel field takes the id its mention carries (the name in it may be stale; the id is what the
picker holds). Each value is then checked like a submitted form and kept as it would be stored
(an address normalised, a number written plainly, an option by its value), so the form opens
showing what a submission will keep.
"""

from __future__ import annotations

import re
import shlex
from collections.abc import Callable

from domain.catalog import Action, Field, FieldType
from domain.catalog.fields import LIST_TYPES
from domain.forms import FieldErrors, Raw, as_raw, clean_field

MAX_PAIRS = 50
_MARKUP = re.compile(r"<([^<>]*)>")
_SLOT = re.compile("\x00([0-9]+)\x00")
"""Where a piece of Slack markup stood while the text is split into words (NUL never arrives)."""
_ENTITIES = (("&lt;", "<"), ("&gt;", ">"), ("&amp;", "&"))  # &amp; last: "&amp;lt;" is the text "&lt;"
_SPLIT_ON_SPACE_TOO = frozenset({FieldType.USERS})  # mentions are typed one after another


def parse_prefill(action: Action, text: str) -> tuple[dict[str, Raw], list[str]]:
    """``key=value`` pairs in a command's ``text`` as Slack sends it (shell quoting:
    ``model="MacBook Pro 14"``; a list field takes values separated by commas).

    Returns the valid values by field id, as stored, and a problem per unknown key or invalid
    value, so the form can open with the rest."""
    markup: list[str] = []

    def hide(match: re.Match[str]) -> str:  # so a label with spaces or quotes stays in its word
        markup.append(match.group(0))
        return f"\x00{len(markup) - 1}\x00"

    try:
        words = shlex.split(_MARKUP.sub(hide, text))
    except ValueError:
        return {}, ["Couldn't read the values: a quote is not closed."]
    values: dict[str, Raw] = {}
    problems: list[str] = []
    fields = {field.id: field for field in action.fields}
    for word in words[:MAX_PAIRS]:
        key, sep, value = word.partition("=")
        field = fields.get(key.strip().lower())
        if not sep or field is None:
            shown = typed(_SLOT.sub(lambda m: markup[int(m.group(1))], key), FieldType.TEXT)
            problems.append(f"'{shown[:40]}' is not a field of this form (its fields: {', '.join(fields)}).")
            continue
        parts = _parts(field, value)
        read = [typed(_SLOT.sub(lambda m: markup[int(m.group(1))], part), field.type) for part in parts]
        if field.options:
            read = [_typed_choice(field, part) for part in read]
        try:
            cleaned = clean_field(field, read if field.type in LIST_TYPES else read[0])
        except FieldErrors as invalid:
            problems.append(f"{field.label}: {invalid.errors[field.id]}")
            continue
        values[field.id] = None if cleaned is None else as_raw(field, cleaned)
    return values, problems


def _parts(field: Field, value: str) -> list[str]:
    """A list field's values (markup still hidden, so a comma in a label does not split it)."""
    if field.type not in LIST_TYPES:
        return [value]
    separators = r"[,\s]+" if field.type in _SPLIT_ON_SPACE_TOO else ","
    return [part.strip() for part in re.split(separators, value) if part.strip()]


def typed(text: str, kind: FieldType) -> str:
    """``text`` from a command as the person typed it; in a person or channel field a mention
    reads as the id it carries, in a url or email field a link as its address."""
    return _unescape(_MARKUP.sub(lambda match: _READERS.get(kind, _as_text)(match.group(1)), text))


def _unescape(text: str) -> str:
    for entity, character in _ENTITIES:
        text = text.replace(entity, character)
    return text


def _as_text(markup: str) -> str:
    """``@name``, ``#channel``, a link's label (or address), ``@here``: what the person saw."""
    target, _, label = markup.partition("|")
    if target[:1] in ("@", "#"):
        return target[0] + (label.lstrip("@#") or target[1:])
    if target.startswith("!"):  # <!here>, <!subteam^S1|@team>, <!date^…|fallback>
        return label or "@" + target[1:]
    return label or target.removeprefix("mailto:")


def _reader(prefix: str) -> Callable[[str], str]:
    """For a field holding ids: a mention starting with ``prefix`` gives its id."""
    def read(markup: str) -> str:
        target = markup.partition("|")[0]
        return target[1:] if target.startswith(prefix) else _as_text(markup)
    return read


def _address(markup: str) -> str:
    """A link's target: Slack turns ``example.com`` into ``<http://example.com|example.com>``."""
    target = markup.partition("|")[0]
    return _as_text(markup) if target[:1] in ("@", "#", "!") else target.removeprefix("mailto:")


_READERS: dict[FieldType, Callable[[str], str]] = {
    FieldType.USER: _reader("@"),
    FieldType.USERS: _reader("@"),
    FieldType.CHANNEL: _reader("#"),
    FieldType.URL: _address,
    FieldType.EMAIL: _address,
}


def _typed_choice(field: Field, text: str) -> str:
    """An option as a person types it: its value or its label, in any case."""
    wanted = text.strip().casefold()
    for choice in field.options:
        if wanted in (choice.value.casefold(), choice.label.casefold()):
            return choice.value
    return text
