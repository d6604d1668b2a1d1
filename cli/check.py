"""``selfserve check [PATH]``: validate a catalog like a compiler would."""

from __future__ import annotations

import os
import sys

from cli.common import EXIT_OK, EXIT_PROBLEM
from domain.catalog import CatalogError, load_catalog


def main(path: str | None) -> int:
    path = path or os.environ.get("CATALOG_PATH") or "./catalog.yaml"
    try:
        catalog = load_catalog(path)
    except CatalogError as error:
        print(error, file=sys.stderr)
        count = len(error.problems)
        print(f"{count} problem{'s' if count != 1 else ''} found.", file=sys.stderr)
        return EXIT_PROBLEM
    print(f"{path}: OK ({len(catalog.actions)} actions, {len(catalog.roles)} roles)")
    return EXIT_OK
