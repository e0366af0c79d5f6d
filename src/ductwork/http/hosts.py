"""Route requests addressed to a vendor's real host name to that vendor's mount."""

from __future__ import annotations

from starlette.types import ASGIApp, Receive, Scope, Send

# Real host → the ductwork path prefix its paths live under.
VENDOR_HOSTS: dict[str, str] = {
    "api.phasoncontrols.com": "/phason",
    "api.phason.ca": "/phason",
}


def _host(scope: Scope) -> str:
    for name, value in scope.get("headers", ()):
        if name == b"host":
            host = str(value.decode("latin-1")).lower()
            host = host.rsplit(":", 1)[0] if not host.endswith("]") else host
            return host.removesuffix(".localhost")
    return ""


class VendorHostRouter:
    """ASGI middleware: Host api.phasoncontrols.com, /v1.0.3/x → /phason/v1.0.3/x."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        """Rewrite the path for vendor hosts, pass everything else through untouched."""
        if scope["type"] == "http":
            prefix = VENDOR_HOSTS.get(_host(scope))
            if prefix is not None and not scope["path"].startswith(prefix + "/"):
                scope = dict(scope)
                scope["path"] = prefix + scope["path"]
                scope["raw_path"] = prefix.encode() + scope.get("raw_path", b"")
        await self.app(scope, receive, send)
