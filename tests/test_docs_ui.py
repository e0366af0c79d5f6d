"""The interactive docs pages render in a browser, as a person sees them.

A real `ductwork serve` process, and Debian's Chromium driven by Playwright (`make test` installs
the browser; `playwright install` is never run, its download fails offline). Every page must
show its API's title and one block per operation of its OpenAPI document, never Swagger UI's
"Unable to render this definition", and fetch nothing from anywhere but ductwork itself.
Screenshots of each page and of its opened operation land in the test's tmp_path (pytest keeps
the last three runs).
"""

from __future__ import annotations

import contextlib
import os
import re
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import httpx
import pytest
from playwright.sync_api import Browser, Page, sync_playwright
from playwright.sync_api import Error as PlaywrightError

CHROMIUM = Path(os.environ.get("DUCTWORK_CHROMIUM", "/usr/bin/chromium"))
HTTP_METHODS = {"get", "put", "post", "delete", "options", "head", "patch", "trace"}
BROKEN = "Unable to render this definition"
RENDER_SECONDS = 30

# One SQLite world is enough: the pages don't touch the database.
pytestmark = [
    pytest.mark.live,
    pytest.mark.browser,
    pytest.mark.parametrize("world", ["sqlite"], indirect=True),
]


@dataclass(frozen=True)
class DocsPage:
    """A docs page, the document it must render, and one operation a reader looks for."""

    name: str
    host: str | None  # a vendor host name (resolved to the server), or None: 127.0.0.1
    path: str
    spec: str  # the document's path on 127.0.0.1
    title: str  # the page's <title>
    method: str
    operation: str  # a path of the document, as the page lists it


PAGES = [
    DocsPage("phason-v1.0.3", None, "/phason/v1.0.3/docs", "/phason/v1.0.3/openapi.json",
             "Phason API v1.0.3", "get", "/devices/{deviceId}/outputs/history"),
    DocsPage("phason-v1.0.2", None, "/phason/docs", "/phason/openapi.json",
             "Phason AutoFlex Connect API v1.0.2", "post", "/token"),
    DocsPage("flair", None, "/flair/docs", "/flair/openapi.json", "Flair API", "get",
             "/api/structures"),
    # A vendor's own host serves its paths at the root: the page must still find its document
    # (Flair's by a relative URL) and ductwork's Swagger UI files.
    DocsPage("flair-host", "api.flair.co.localhost", "/docs", "/flair/openapi.json", "Flair API",
             "patch", "/api/vents/{id}"),
    DocsPage("phason-host", "api.phasoncontrols.com.localhost", "/v1.0.3/docs",
             "/phason/v1.0.3/openapi.json", "Phason API v1.0.3", "post", "/generate_key"),
    DocsPage("automategreen", None, "/automategreen/v1/docs", "/automategreen/v1/openapi.json",
             "Automate Green API v1", "post", "/devices/{deviceId}/command"),
    DocsPage("automategreen-host", "api.automategreen.com.localhost", "/v1/docs",
             "/automategreen/v1/openapi.json", "Automate Green API v1", "post", "/signin"),
]  # fmt: skip


@pytest.fixture(scope="module")
def browser() -> Iterator[Browser]:
    """Debian's headless Chromium; every *.localhost name resolves to this machine."""
    if not CHROMIUM.exists():
        pytest.fail(
            f"no Chromium at {CHROMIUM}: `make test` installs it (apt-get install chromium)"
        )
    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(
            executable_path=str(CHROMIUM),
            args=["--host-resolver-rules=MAP *.localhost 127.0.0.1"],
        )
        try:
            yield chromium
        finally:
            chromium.close()


@pytest.fixture
def page(browser: Browser) -> Iterator[Page]:
    """A fresh browser tab."""
    context = browser.new_context(viewport={"width": 1280, "height": 900})
    try:
        yield context.new_page()
    finally:
        context.close()


def _operations(document: dict[str, Any]) -> list[tuple[str, str]]:
    return [
        (method, path)
        for path, item in document["paths"].items()
        for method in item
        if method in HTTP_METHODS
    ]


def _wait_rendered(page: Page, count: int, screenshot: Path) -> None:
    """Wait until the page shows `count` operation blocks, or an error, or has no Swagger UI;
    take a screenshot; fail with what the page shows unless it is those blocks."""
    with contextlib.suppress(PlaywrightError):
        page.wait_for_function(
            """([n, broken]) => document.querySelectorAll('.opblock').length === n
                || document.querySelector('.errors-wrapper') !== null
                || document.body.innerText.includes(broken)
                || window.SwaggerUIBundle === undefined""",
            arg=[count, BROKEN],
            timeout=RENDER_SECONDS * 1000,
        )
    page.screenshot(path=screenshot)
    blocks = page.locator(".opblock").count()
    if blocks != count:
        shown = page.locator("body").inner_text()[:1000]
        pytest.fail(f"{blocks} of {count} operations shown; the page shows:\n{shown}")


def _tag_sizes(document: dict[str, Any]) -> dict[str, int]:
    """Operations per tag, in the order the page lists the tags."""
    sizes: dict[str, int] = {}
    for method, path in _operations(document):
        tag = document["paths"][path][method]["tags"][0]
        sizes[tag] = sizes.get(tag, 0) + 1
    return sizes


def _open_tag(page: Page, tag: str, count: int) -> None:
    """Click a collapsed tag open; it must show its `count` operations."""
    page.locator(f'.opblock-tag[data-tag="{tag}"]').click()
    with contextlib.suppress(PlaywrightError):
        page.wait_for_function("n => document.querySelectorAll('.opblock').length === n",
                               arg=count, timeout=RENDER_SECONDS * 1000)  # fmt: skip
    shown = page.locator(".opblock").count()
    assert shown == count, f"tag {tag}: {shown} of {count} operations shown"


def _walk_tags(page: Page, document: dict[str, Any], screenshot: Path) -> None:
    """A page listing its tags collapsed (a large document): every tag is listed, and each,
    opened alone, shows every one of its operations; closed again, it shows none."""
    sizes = _tag_sizes(document)
    tags = page.locator(".opblock-tag")
    with contextlib.suppress(PlaywrightError):
        page.wait_for_function("n => document.querySelectorAll('.opblock-tag').length === n",
                               arg=len(sizes), timeout=RENDER_SECONDS * 1000)  # fmt: skip
    page.screenshot(path=screenshot)
    assert tags.count() == len(sizes), page.locator("body").inner_text()[:1000]
    assert [t.get_attribute("data-tag") for t in tags.all()] == list(sizes)
    for tag, count in sizes.items():
        _open_tag(page, tag, count)
        _open_tag(page, tag, 0)  # closed again


@pytest.mark.parametrize("docs", PAGES, ids=[p.name for p in PAGES])
def test_docs_page_renders(page: Page, live_server: str, docs: DocsPage, tmp_path: Path) -> None:
    """The page shows the API's title, every operation (a known one with its summary, and
    its responses when opened) and no rendering error, from ductwork's own files alone."""
    document = httpx.get(f"{live_server}{docs.spec}", timeout=30).json()
    assert document["openapi"].startswith("3.1")
    operations = _operations(document)
    known = document["paths"][docs.operation][docs.method]
    origin = live_server
    if docs.host is not None:
        origin = f"http://{docs.host}:{urlsplit(live_server).port}"
    requested: list[str] = []
    problems: list[str] = []
    page.on("request", lambda request: requested.append(request.url))
    page.on("pageerror", lambda error: problems.append(f"uncaught: {error}"))
    page.on(
        "console",
        lambda message: problems.append(message.text) if message.type == "error" else None,
    )

    response = page.goto(f"{origin}{docs.path}")
    assert response is not None
    assert response.status == 200
    if 'docExpansion: "none"' in response.text():
        _walk_tags(page, document, tmp_path / f"{docs.name}.png")
        _open_tag(page, known["tags"][0], _tag_sizes(document)[known["tags"][0]])
    else:
        _wait_rendered(page, len(operations), tmp_path / f"{docs.name}.png")

    assert page.title() == docs.title
    info = page.locator(".information-container .title")
    assert info.is_visible()
    assert document["info"]["title"] in info.inner_text()
    assert "OAS 3.1" in info.inner_text()
    body = page.locator("body").inner_text()
    assert BROKEN not in body
    errors = page.locator(".errors-wrapper")  # Swagger UI's panel of resolver/parser errors
    assert errors.count() == 0, errors.all_inner_texts()

    block = page.locator(
        f'.opblock-{docs.method}:has(.opblock-summary-path[data-path="{docs.operation}"])'
    )
    assert block.count() == 1
    summary = block.locator(".opblock-summary")
    assert summary.is_visible()
    path_text = summary.locator(".opblock-summary-path").inner_text().replace("\u200b", "")
    assert path_text == docs.operation
    assert summary.locator(".opblock-summary-method").inner_text() == docs.method.upper()
    assert summary.locator(".opblock-summary-description").inner_text() == known["summary"]

    # Opened, the operation lists its documented responses.
    summary.locator(".opblock-summary-control").click()
    table = block.locator(".responses-table").first
    table.wait_for(state="visible", timeout=RENDER_SECONDS * 1000)
    codes = {
        c.strip() for c in block.locator(".responses-table .response-col_status").all_inner_texts()
    }
    assert set(known["responses"]) <= {re.sub(r"\s.*", "", c) for c in codes}
    block.screenshot(path=tmp_path / f"{docs.name}-operation.png")

    assert not problems, problems
    foreign = [url for url in requested if not url.startswith(origin + "/")]
    assert not foreign, f"the page fetched from elsewhere than ductwork: {foreign}"
    assets = [url for url in requested if "/_ductwork/swagger-ui/" in url]
    assert any(url.endswith("/swagger-ui-bundle.js") for url in assets), requested
