"""Serving an aiohttp application on a local port, as the stand-in's servers (and the playground) do."""

from __future__ import annotations

from aiohttp import web


async def serve(app: web.Application, host: str, port: int,
                shutdown_timeout: float = 60.0) -> tuple[web.AppRunner, str]:
    """Listen on host:port (0 picks a free port); returns the runner (cleanup() stops it) and "http://host:port/"."""
    runner = web.AppRunner(app, access_log=None, shutdown_timeout=shutdown_timeout)
    await runner.setup()
    await web.TCPSite(runner, host, port).start()
    bound_host, bound_port = runner.addresses[0][:2]
    return runner, f"http://{bound_host}:{bound_port}/"
