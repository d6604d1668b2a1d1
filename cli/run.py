"""``selfserve run``: check settings and catalog, migrate, then serve until stopped.

Slack's requests come as signed POSTs to ``/slack/events``, or, with SLACK_APP_TOKEN set, over a
Socket Mode connection the process opens (no public URL needed); ``/healthz`` is served on $PORT
either way."""

from __future__ import annotations

import asyncio
import logging
import os
import signal
import sys

from aiohttp import web
from sqlalchemy.exc import SQLAlchemyError

from bot.app import RUNTIME, build_web_app
from bot.config import ConfigError, Settings, load_settings
from bot.logging_setup import configure_logging
from bot.socket_mode import SocketModeRefused
from cli.common import EXIT_CONFIG, EXIT_OK, fail_config
from domain.catalog import Catalog, CatalogError, load_catalog
from domain.catalog_keeper import CatalogKeeper
from domain.records import AuditEntry
from storage.database import Database
from storage.driver import DRIVER_ERRORS
from storage.engine import create_engine
from storage.migrate import upgrade

logger = logging.getLogger("selfserve")
# database unreachable, port taken, unknown host: one line and exit 2, not a traceback
START_ERRORS: tuple[type[Exception], ...] = (OSError, SQLAlchemyError, *DRIVER_ERRORS)


async def _audit_once(settings: Settings, entry: AuditEntry) -> None:
    engine = create_engine(settings.database_url)
    try:
        await upgrade(engine)
        async with Database(engine) as db, db.unit_of_work() as uow:
            uow.audit(entry)
    finally:
        await engine.dispose()


def _refuse_catalog(settings: Settings, error: CatalogError) -> int:
    print(error, file=sys.stderr)
    print(f"selfserve: configuration error: CATALOG_PATH: {settings.catalog_path} has "
          f"{len(error.problems)} problem(s); run `selfserve check` after fixing", file=sys.stderr)
    details = {"path": settings.catalog_path, "problems": [str(p) for p in error.problems[:50]]}
    try:
        asyncio.run(_audit_once(settings, AuditEntry("catalog_error", "error", None, None, details)))
    except Exception as audit_error:  # the refusal to start matters more than its audit record
        print(f"selfserve: could not audit the catalog error: {audit_error}", file=sys.stderr)
    return EXIT_CONFIG


async def _serve(settings: Settings, catalog: Catalog) -> web.Application:
    engine = create_engine(settings.database_url)
    await upgrade(engine)
    keeper = CatalogKeeper(catalog, settings.catalog_path)
    app = build_web_app(settings, keeper, engine)
    app.on_startup.append(_reload_on_sighup)

    async def dispose(_: web.Application) -> None:
        await engine.dispose()

    app.on_cleanup.append(dispose)
    await app[RUNTIME].deps.service.audit(AuditEntry("startup", "ok", None, None, {
        "catalog": catalog.fingerprint, "actions": len(catalog.actions), "port": settings.port, "pid": os.getpid(),
        "mode": _mode(settings)}))
    return app


async def _reload_on_sighup(app: web.Application) -> None:
    """SIGHUP reloads the catalog (audited; a catalog with problems is refused and logged, the old
    one stays), as `/selfserve admin reload` does."""
    deps = app[RUNTIME].deps

    async def reload() -> None:
        try:
            change = await deps.admin.reload(None)
        except CatalogError as error:
            logger.error("SIGHUP: the catalog has %d problem(s); the old one stays in force:\n%s",
                         len(error.problems), error)
            return
        logger.info("SIGHUP: catalog reloaded (%s)", change.as_details())

    asyncio.get_running_loop().add_signal_handler(signal.SIGHUP, lambda: deps.tasks.spawn(reload(), "reload"))


def _mode(settings: Settings) -> str:
    return "http" if settings.slack_app_token is None else "socket_mode"


def main() -> int:
    try:
        settings = load_settings()
    except ConfigError as error:
        return fail_config(error)
    configure_logging(settings.log_level, settings.log_format)
    try:
        catalog = load_catalog(settings.catalog_path)
    except CatalogError as error:
        return _refuse_catalog(settings, error)
    logger.info("serving %d actions from %s over %s (HTTP on port %d)", len(catalog.actions), settings.catalog_path,
                "Socket Mode" if _mode(settings) == "socket_mode" else "HTTP", settings.port)
    try:
        web.run_app(_serve(settings, catalog), host=settings.host, port=settings.port, access_log=None,
                    print=None)
    except SocketModeRefused as error:
        return fail_config(ConfigError("SLACK_APP_TOKEN", str(error)))
    except START_ERRORS as error:
        print(f"selfserve: cannot start: {type(error).__name__}: {error}".splitlines()[0], file=sys.stderr)
        return EXIT_CONFIG
    return EXIT_OK
