"""``selfserve``: run the bot, check a catalog, migrate the database, export or verify the audit log."""

from __future__ import annotations

import argparse
import asyncio
import os
import sys
from collections.abc import Sequence

from cli import audit, check, db, jobs, manifest, preview, report, run
from cli.mode import wants_playground
from cli.playground import command as playground


def parser() -> argparse.ArgumentParser:
    root = argparse.ArgumentParser(prog="selfserve", description=__doc__)
    commands = root.add_subparsers(dest="command", required=True, metavar="COMMAND")

    commands.add_parser("run", help="apply migrations and serve the Slack app on $PORT; with no Slack settings "
                                    "at all, the playground instead")

    play = commands.add_parser("playground", help="try the bot in the browser: a local stand-in for Slack, "
                                                  "SQLite and the catalog, on http://127.0.0.1:$PORT/")
    play.add_argument("--catalog", help="catalog file (default: $CATALOG_PATH or ./catalog.yaml); reloaded on save")
    play.add_argument("--port", type=int, help="port of the page (default: $PORT or 3000)")
    play.add_argument("--host", help="interface to listen on (default 127.0.0.1: this computer only)")

    manifest_cmd = commands.add_parser("manifest", help="print the Slack app manifest (YAML) for $CATALOG_PATH")
    delivery = manifest_cmd.add_mutually_exclusive_group(required=True)
    delivery.add_argument("--socket-mode", action="store_true",
                          help="Slack sends requests over Socket Mode (run with SLACK_APP_TOKEN; no public URL)")
    delivery.add_argument("--url", help="where Slack sends requests, e.g. https://selfserve.example.com")
    manifest_cmd.add_argument("--name", default=manifest.DEFAULT_NAME,
                              help=f"the app's name in Slack (default {manifest.DEFAULT_NAME})")

    previewer = commands.add_parser("preview", help="print an action's form as Block Kit JSON, and a Block Kit "
                                                    "Builder link to see it (for catalog review)")
    previewer.add_argument("action", metavar="ACTION", help="the action's id in the catalog")
    previewer.add_argument("--catalog", help="catalog file (default: $CATALOG_PATH or ./catalog.yaml)")

    checker = commands.add_parser("check", help="validate a catalog; exit 1 listing every problem")
    checker.add_argument("path", nargs="?", help="catalog file (default: $CATALOG_PATH or ./catalog.yaml)")

    database = commands.add_parser("db", help="database schema").add_subparsers(dest="db_command", required=True)
    database.add_parser("upgrade", help="apply all migrations to $DATABASE_URL")

    audit_cmd = commands.add_parser("audit", help="the tamper-evident audit log")
    audit_sub = audit_cmd.add_subparsers(dest="audit_command", required=True)
    export = audit_sub.add_parser("export", help="stream events in order to stdout")
    export.add_argument("--request", help="only events about this request, e.g. REQ-42")
    export.add_argument("--since", help="only events at or after this ISO time, e.g. 2026-11-01T00:00:00Z")
    export.add_argument("--format", choices=("jsonl", "csv"), default="jsonl")
    audit_sub.add_parser("verify", help="check the hash chain; exit 1 naming the first broken event")

    jobs_cmd = commands.add_parser("jobs", help="the durable job queue: list jobs, retry a failed one")
    jobs_cmd.add_argument("--failed", action="store_true", help="only jobs that failed for good")
    jobs_cmd.add_argument("--unclaimed", action="store_true", help="only due jobs no process has claimed (a kind "
                          "no running version handles)")
    jobs_cmd.add_argument("--limit", type=int, default=50, help="how many of the latest jobs (default 50)")
    jobs_sub = jobs_cmd.add_subparsers(dest="jobs_command", metavar="retry")
    retry = jobs_sub.add_parser("retry", help="make a failed job due again (audited)")
    retry.add_argument("job_id", type=int, metavar="ID")

    reporter = commands.add_parser("report", help="feedback and analytics of the last days: funnels, times, "
                                                  "satisfaction, hours saved (HTML with charts, Markdown or JSON)")
    reporter.add_argument("--days", type=int, default=30, help="how many days back from now (default 30)")
    reporter.add_argument("--format", choices=report.FORMATS, default="html")
    reporter.add_argument("--out", help="write to this file instead of stdout")
    return root


def main(argv: Sequence[str] | None = None) -> int:
    args = parser().parse_args(argv)
    if args.command == "check":
        return check.main(args.path)
    if args.command == "preview":
        return preview.main(args.action, args.catalog, sys.stdout)
    if args.command == "run":
        return playground.main(playground.options_from(None, None, None)) if wants_playground(os.environ) \
            else run.main()
    if args.command == "playground":
        return playground.main(playground.options_from(args.catalog, args.port, args.host))
    if args.command == "manifest":
        return manifest.main(args.socket_mode, args.url, args.name, sys.stdout)
    if args.command == "db":
        return asyncio.run(db.upgrade())
    if args.command == "report":
        return asyncio.run(report.main(args.days, args.format, args.out, sys.stdout, sys.stderr))
    if args.command == "jobs":
        if args.jobs_command == "retry":
            return asyncio.run(jobs.retry(args.job_id, sys.stdout))
        return asyncio.run(jobs.show(args.failed, args.limit, sys.stdout, args.unclaimed))
    if args.audit_command == "export":
        return asyncio.run(audit.export(args.request, args.since, args.format, sys.stdout))
    return asyncio.run(audit.verify())


if __name__ == "__main__":
    sys.exit(main())
