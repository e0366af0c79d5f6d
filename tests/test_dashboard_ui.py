"""The dashboard in a browser: every registered API listed, its docs link leading to a page
that renders (the demo panels are checked in tests/test_cli.py against a first start)."""

from __future__ import annotations

from pathlib import Path

import pytest
from playwright.sync_api import Page

from ductwork.registry import VENDORS
from tests.test_docs_ui import RENDER_SECONDS, browser, page  # noqa: F401  (fixtures)

pytestmark = [
    pytest.mark.live,
    pytest.mark.browser,
    pytest.mark.parametrize("world", ["sqlite"], indirect=True),
]


def test_dashboard_lists_every_api_and_links_its_docs(
    page: Page,  # noqa: F811
    live_server: str,
    tmp_path: Path,
) -> None:
    """Each API's row shows its base URL; following Flair's docs link opens its rendered page."""
    response = page.goto(f"{live_server}/")
    assert response is not None
    assert response.status == 200
    assert page.title() == "ductwork"
    assert page.get_by_role("heading", name="APIs").is_visible()
    for vendor in VENDORS:
        for api in vendor.apis:
            row = page.get_by_role("row").filter(has_text=api.title)
            assert row.count() == 1, api.title
            assert f"{live_server}{api.prefix}" in row.inner_text()
    page.screenshot(path=tmp_path / "dashboard.png", full_page=True)
    flair = page.get_by_role("row").filter(has_text="Flair")
    flair.get_by_role("link", name="docs").click()
    page.wait_for_url("**/flair/docs")
    # Flair's page lists its tags collapsed (a large document; tests/test_docs_ui.py opens them).
    page.locator(".opblock-tag").first.wait_for(state="visible", timeout=RENDER_SECONDS * 1000)
    assert page.title() == "Flair API"
