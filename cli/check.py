"""``selfserve check [PATH]``: validate a catalog like a compiler would.

Problems fail the check (exit 1). A ``${VAR}`` that is unset here is a warning only (exit 0):
see ``domain.catalog.variables`` for why.
"""

from __future__ import annotations

import os
import sys

from cli.common import EXIT_OK, EXIT_PROBLEM
from domain.catalog import CatalogError, load_catalog
from domain.catalog.variables import unset_variables


def main(path: str | None) -> int:
    path = path or os.environ.get("CATALOG_PATH") or "./catalog.yaml"
    try:
        catalog = load_catalog(path)
    except CatalogError as error:
        print(error, file=sys.stderr)
        count = len(error.problems)
        print(f"{count} problem{'s' if count != 1 else ''} found.", file=sys.stderr)
        return EXIT_PROBLEM
    with open(path, encoding="utf-8") as file:
        warnings = unset_variables(catalog, file.read(), path, os.environ)
    for warning in warnings:
        print(warning, file=sys.stderr)
    noted = f", {len(warnings)} warning{'s' if len(warnings) != 1 else ''}" if warnings else ""
    print(f"{path}: OK ({len(catalog.actions)} actions, {len(catalog.roles)} roles{noted})")
    return EXIT_OK
