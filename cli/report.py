"""``selfserve report [--days 30] [--format html|md|json] [--out FILE]``: the analytics of the
last days from ``DATABASE_URL`` and the catalog in ``CATALOG_PATH``."""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import TextIO

from bot.config import ConfigError
from cli.common import EXIT_OK, EXIT_PROBLEM, fail_config, open_database
from cli.report_data import report_dict, report_markdown
from cli.report_html import report_html
from domain.analytics import MAX_DAYS, Analytics, Report
from domain.catalog import CatalogError, load_catalog

FORMATS = ("html", "md", "json")


def render(report: Report, kind: str) -> str:
    if kind == "json":
        return json.dumps(report_dict(report), indent=2, ensure_ascii=False) + "\n"
    return report_markdown(report) if kind == "md" else report_html(report)


async def main(days: int, kind: str, out_path: str | None, out: TextIO, err: TextIO) -> int:
    if not 1 <= days <= MAX_DAYS:
        err.write(f"selfserve: --days must be from 1 to {MAX_DAYS}\n")
        return EXIT_PROBLEM
    path = os.environ.get("CATALOG_PATH") or "./catalog.yaml"
    try:
        catalog = load_catalog(Path(path))
    except (CatalogError, OSError) as error:
        err.write(f"selfserve: cannot read the catalog {path}: {error}\n")
        return EXIT_PROBLEM
    try:
        async with open_database() as database:
            report = await Analytics(lambda: catalog, database.reader).report(days)
    except ConfigError as error:
        return fail_config(error)
    text = render(report, kind)
    if out_path:
        Path(out_path).write_text(text, encoding="utf-8")
    else:
        out.write(text)
    return EXIT_OK
