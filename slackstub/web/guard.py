"""Only the page itself may use the page's server: not another web site open in the same browser.

The server listens on 127.0.0.1 and acts as anyone, so any page the person visits could otherwise drive the
bot: a cross-site ``fetch`` with a "simple" content type needs no CORS preflight, and DNS rebinding (a
hostile name resolving to 127.0.0.1) makes the browser treat the server as that site's own. So every request
must name this server in ``Host``, and a request that changes anything must come from this origin (``Origin``
and ``Sec-Fetch-Site``, when the browser sends them) with a JSON body, which no cross-site request can send
without a preflight that this server never answers.
"""

from __future__ import annotations

from aiohttp import web
from aiohttp.typedefs import Handler

LOOPBACK_NAMES = frozenset({"127.0.0.1", "localhost", "::1"})
WILDCARDS = frozenset({"", "0.0.0.0", "::"})
SAFE_METHODS = frozenset({"GET", "HEAD"})


class SameOrigin:
    """aiohttp middleware; `allow(host, port)` once the server is bound."""

    def __init__(self) -> None:
        self._names: frozenset[str] | None = frozenset()
        self._port = 0

    def allow(self, host: str, port: int) -> None:
        """Requests must be addressed to `port` on a loopback name or `host`; a wildcard `host` (0.0.0.0, ::)
        answers to any name, since whoever chose it lets the whole network in anyway."""
        self._names = None if host in WILDCARDS else LOOPBACK_NAMES | {host.lower()}
        self._port = port

    @web.middleware
    async def middleware(self, request: web.Request, handler: Handler) -> web.StreamResponse:
        refused = self.refusal(request)
        if refused:
            raise web.HTTPForbidden(text=refused)
        if request.method not in SAFE_METHODS and request.content_type != "application/json":
            raise web.HTTPUnsupportedMediaType(text="send JSON (Content-Type: application/json)")
        return await handler(request)

    def refusal(self, request: web.Request) -> str:
        """Why `request` did not come from this server's own page ("" if it did)."""
        host, port = request.url.host or "", request.url.port
        if port != self._port or (self._names is not None and host.strip("[]").lower() not in self._names):
            return f"this server does not answer to {request.host!r}"
        if request.method in SAFE_METHODS:
            return ""
        origin = request.headers.get("Origin")
        if origin is not None and origin != f"http://{request.host}":
            return f"requests from {origin} are not accepted"
        if request.headers.get("Sec-Fetch-Site", "same-origin") not in ("same-origin", "none"):
            return "cross-site requests are not accepted"
        return ""
