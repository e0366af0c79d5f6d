"""The dashboard at `/`: what is served where, the demo credentials and the barn's readings."""

from __future__ import annotations

import html

import anyio.to_thread
from starlette.requests import Request
from starlette.responses import HTMLResponse, Response

from ductwork.http.dispatch import Api, Endpoint, ErrorShape
from ductwork.runtime import Runtime, public_credentials

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


def render(runtime: Runtime, base_url: str) -> str:
    """The whole page as HTML (every value escaped)."""
    e = html.escape
    apis = [
        [name, f"<code>{e(base_url)}{prefix}</code>",
         f'<a href="{prefix}/docs">docs</a> · <a href="{prefix}/openapi.json">openapi.json</a>'
         if docs else f'<a href="{prefix}/openapi.json">openapi.json</a>']
        for name, prefix, docs in (
            ("Phason API v1.0.3 (API keys)", "/phason/v1.0.3", True),
            ("Phason AutoFlex Connect v1.0.2 (OAuth2)", "/phason", True),
            ("Flair (OAuth2, JSON:API)", "/flair", True),
        )
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
    else:
        creds = public_credentials(stored, base_url)
        phason = creds["phason"]
        parts.append(
            "<h2>Demo credentials</h2><table>"
            + _rows(
                [
                    ["Account email", f"<code>{e(creds['email'])}</code>"],
                    ["Password", f"<code>{e(creds['password'])}</code>"],
                    ["Phasonkey (v1.0.3)", f"<code>{e(phason['api_key'])}</code>"],
                    ["Phason devices", e(", ".join(phason["device_ids"]))],
                    [
                        "Phason OAuth client (v1.0.2)",
                        f"<code>{e(phason['client_id'])}</code> / "
                        f"<code>{e(phason['client_secret'])}</code>, redirect "
                        f"<code>{e(phason['redirect_uri'])}</code>",
                    ],
                    *(
                        [
                            [
                                "Flair application",
                                f"<code>{e(creds['flair']['client_id'])}</code> / "
                                f"<code>{e(creds['flair']['client_secret'])}</code>",
                            ]
                        ]
                        if "flair" in creds
                        else []
                    ),
                ]
            )
            + "</table>"
        )
        account = runtime.accounts.by_email(creds["email"])
        if account is not None:
            for device_id in phason["device_ids"]:
                readings = runtime.phason.group_history(account, device_id, None, None)
                parts.append(f"<h2>Barn {e(device_id)}: equipment groups</h2><table><tr>")
                parts.append(
                    "<th>Group</th><th>Type</th><th>Reading</th><th>Target</th>"
                    "<th>Limits</th><th>Alarm</th><th>Time</th></tr>"
                )
                parts.append(
                    _rows(
                        [
                            [
                                e(r.group_name),
                                e(r.group_type_description),
                                e(r.current_reading),
                                e(r.target_value),
                                f"{e(r.target_lower_limit)} – {e(r.target_upper_limit)}",
                                "<span class='alarm'>ALARM</span>" if r.alarm_code != "0" else "ok",
                                e(r.reading_time),
                            ]
                            for r in readings
                        ]
                    )
                    + "</table>"
                )
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


def create_api(runtime: Runtime) -> Api:
    """GET / renders the dashboard; every path no API claims ends here too."""

    async def dashboard(request: Request) -> Response:
        base = str(request.base_url).rstrip("/")
        page = await anyio.to_thread.run_sync(render, runtime, base)
        return HTMLResponse(page)

    return Api("", [Endpoint("GET", "/", dashboard)], PAGE_ERRORS)
