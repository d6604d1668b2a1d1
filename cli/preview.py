"""``selfserve preview ACTION [--catalog PATH]``: an action's form as Slack will draw it, for review.

Prints the modal exactly as the bot sends it to views.open (``bot.modals.request_form``), as
Block Kit JSON on stdout, and a link that opens it in Slack's Block Kit Builder on stderr (so
``> modal.json`` keeps the JSON clean). A service owner pastes either into a pull request that
changes the catalog, and reviewers see the form without running anything. An action with
fulfilment steps also gets, on stderr, what each step would send (``cli.preview_steps``).
"""

from __future__ import annotations

import difflib
import json
import os
import sys
from typing import Any, TextIO
from urllib.parse import quote

from bot.modals.request_form import request_form_json
from cli.common import EXIT_CONFIG, EXIT_OK, EXIT_PROBLEM
from cli.preview_steps import steps_preview
from domain.catalog import Catalog, CatalogError, load_catalog

BUILDER_URL = "https://app.slack.com/block-kit-builder/#"


def builder_link(view: dict[str, Any]) -> str:
    """Block Kit Builder opened on ``view``: its JSON (``type`` first, as the Builder writes it),
    URL-encoded, after the ``#``."""
    ordered = {"type": view["type"], **view}
    return BUILDER_URL + quote(json.dumps(ordered, separators=(",", ":"), ensure_ascii=False), safe="")


def unknown_action(catalog: Catalog, name: str, path: str) -> str:
    """The error for an action the catalog lacks: the closest ids, or every id when none is close."""
    close = difflib.get_close_matches(name.strip().lower(), list(catalog.actions), n=3, cutoff=0.5)
    if close:
        return f"selfserve: no action {name!r} in {path}; did you mean {' or '.join(map(repr, close))}?"
    return f"selfserve: no action {name!r} in {path}; its actions are {', '.join(catalog.actions)}"


def main(name: str, path: str | None, out: TextIO, err: TextIO | None = None) -> int:
    """Exit 1 when the catalog has problems (listed as ``selfserve check`` lists them), 2 for an
    action it does not have. ``err`` defaults to the current stderr."""
    err = err or sys.stderr
    path = path or os.environ.get("CATALOG_PATH") or "./catalog.yaml"
    try:
        catalog = load_catalog(path)
    except CatalogError as error:
        print(error, file=err)
        return EXIT_PROBLEM
    action = catalog.actions.get(name.strip().lower())
    if action is None:
        print(unknown_action(catalog, name, path), file=err)
        return EXIT_CONFIG
    view = request_form_json(action)
    print(json.dumps(view, indent=2, ensure_ascii=False), file=out)
    print(f"Block Kit Builder: {builder_link(view)}", file=err)
    steps = steps_preview(action, os.environ)
    if steps:
        print(steps, file=err)
    return EXIT_OK
