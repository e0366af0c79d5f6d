"""The dashboard at `/`: what is served where, the demo credentials and each vendor's panel."""

from __future__ import annotations

import html
from collections.abc import Mapping
from typing import Any

import anyio.to_thread
from starlette.requests import Request
from starlette.responses import HTMLResponse, Response

from ductwork.http.dispatch import Api, Endpoint, ErrorShape
from ductwork.registry import VENDORS, public_credentials
from ductwork.runtime import Runtime

STYLE = """
body{font-family:system-ui,sans-serif;margin:2rem auto;max-width:60rem;color:#1d2630;padding:0 1rem}
h1{margin-bottom:.2rem}p.lead{color:#55606b;margin-top:0}
table{border-collapse:collapse;width:100%;margin:.5rem 0 1.5rem}
th,td{text-align:left;padding:.35rem .6rem;border-bottom:1px solid #dde3e8}
th{background:#f3f6f8}code{background:#f3f6f8;padding:.1rem .3rem;border-radius:3px}
.alarm{color:#b3261e;font-weight:600}
"""


def _rows(cells: list[list[str]]) -> str:
    return "".join("<tr>" + "".join(f"<td>{c}</td>" for c in row) + "</tr>" for row in cells)


def _credential_rows(section: dict[str, Any]) -> list[list[str]]:
    e = html.escape
    rows = []
    for key, value in section.items():
        if key.startswith("base_url") or key == "root_url":
            continue
        text = ", ".join(value) if isinstance(value, list) else str(value)
        rows.append([e(key.replace("_", " ")), f"<code>{e(text)}</code>"])
    return rows


def render(runtime: Runtime, base_url: str, root_urls: Mapping[str, str] | None = None) -> str:
    """The whole page as HTML (every value escaped): every vendor's APIs, the demo
    credentials by vendor, and each vendor's panel of the demo account's devices."""
    e = html.escape
    spec = '<a href="{0}/openapi.json">openapi.json</a>'
    roots = root_urls or {}
    apis = [
        [e(api.title), f"<code>{e(base_url)}{api.prefix}</code>"
         + (f" or <code>{e(roots[vendor.name])}{api.prefix.removeprefix(vendor.root)}</code>"
            if vendor.name in roots else ""),
         (f'<a href="{api.prefix}/docs">docs</a> · ' if api.docs else "") + spec.format(api.prefix)]
        for vendor in VENDORS
        for api in vendor.apis
    ]  # fmt: skip
    parts = [
        f"<!doctype html><html lang='en'><head><meta charset='utf-8'><title>ductwork</title>"
        f"<style>{STYLE}</style></head><body><h1>ductwork</h1>"
        "<p class='lead'>A self-hosted device cloud: real vendor APIs over live simulated "
        "devices.</p><h2>APIs</h2><table><tr><th>API</th><th>Base URL</th><th>Reference</th>"
        f"</tr>{_rows(apis)}</table>",
    ]
    stored = runtime.load_credentials()
    if stored is None:
        parts.append("<p>No demo world in this database (started with --no-demo).</p>")
        parts.append("</body></html>")
        return "".join(parts)
    creds = public_credentials(stored, base_url)
    rows = [["Account email", f"<code>{e(creds['email'])}</code>"],
            ["Password", f"<code>{e(creds['password'])}</code>"]]  # fmt: skip
    for vendor in VENDORS:
        if vendor.name in creds:
            rows += [[f"{e(vendor.title)} {k}", v] for k, v in _credential_rows(creds[vendor.name])]
    parts.append(f"<h2>Demo credentials</h2><table>{_rows(rows)}</table>")
    account = runtime.accounts.by_email(creds["email"])
    if account is not None:
        for name, backend in runtime.backends.items():
            parts.append(backend.panel(account, stored.get(name, {}), base_url))
    parts.append("</body></html>")
    return "".join(parts)


def _page(status: int, text: str) -> Response:
    return HTMLResponse(f"<!doctype html><title>{status}</title><p>{html.escape(text)}</p>", status)


PAGE_ERRORS = ErrorShape(
    render=lambda _exc: None,
    not_found=lambda: _page(404, "Not found."),
    method_not_allowed=lambda: _page(405, "Method not allowed."),
    server_error=lambda: _page(500, "Internal server error."),
)


def create_api(runtime: Runtime, vendor_ports: Mapping[str, int] | None = None) -> Api:
    """GET / renders the dashboard; every path no API claims ends here too. `vendor_ports`:
    the ports serving a vendor at its real root paths, shown beside the prefixed URLs."""

    async def dashboard(request: Request) -> Response:
        base = str(request.base_url).rstrip("/")
        host = request.url.hostname or "localhost"
        roots = {name: f"http://{host}:{port}" for name, port in (vendor_ports or {}).items()}
        page = await anyio.to_thread.run_sync(render, runtime, base, roots)
        return HTMLResponse(page)

    return Api("", [Endpoint("GET", "/", dashboard)], PAGE_ERRORS)
