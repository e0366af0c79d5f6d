"""docs/coverage.md stays true: served routes have rows; `done` rows are served and tested."""

from __future__ import annotations

import re
from pathlib import Path

from ductwork.app import create_app
from ductwork.registry import VENDORS
from tests.conftest import World

ROOT = Path(__file__).parent.parent
ROW = re.compile(r"^\| (GET|POST|PUT|PATCH|DELETE) \| `([^`]+)` \| (done|not yet) \| [^|]+ \|$")
PARAM = re.compile(r"\{[^}]+\}")
# Every registered API's prefix (longest first), and Flair's JSON:API root under its prefix.
API_PREFIXES = sorted({a.prefix for v in VENDORS for a in v.apis} | {"/flair/api"}, key=len,
                      reverse=True)  # fmt: skip


def ledger() -> dict[tuple[str, str], str]:
    """(method, path with generic parameters) → state, for every row of the ledger."""
    rows: dict[tuple[str, str], str] = {}
    for line in (ROOT / "docs" / "coverage.md").read_text().splitlines():
        match = ROW.match(line)
        if match:
            method, path, state = match.groups()
            key = (method, PARAM.sub("{}", path))
            assert key not in rows, f"duplicate ledger row {key}"
            rows[key] = state
    return rows


def app_routes(world: World) -> set[tuple[str, str]]:
    """(method, path with generic parameters) of every endpoint the real app serves."""
    app = create_app(world.runtime, background=False)
    return {(method, PARAM.sub("{}", path)) for method, path in app.routes()}


def _family(path: str) -> re.Pattern[str]:
    """A row's path as a pattern: a parameter stands for one segment, literal or not, so a
    row such as `/flair/api/{type}/{id}/relationships/{rel}` covers every route of that
    shape (`/flair/api/rooms/{}/relationships/vents`)."""
    return re.compile(re.escape(path).replace(re.escape("{}"), r"[^/]+") + "$")


def _row_of(rows: dict[tuple[str, str], str], method: str, path: str) -> str | None:
    """The state of the row for a served route: its own row, else the family it is of."""
    if (method, path) in rows:
        return rows[(method, path)]
    return next((state for (m, p), state in rows.items()
                 if m == method and _family(p).match(path)), None)  # fmt: skip


def test_every_served_route_has_a_ledger_row(world: World) -> None:
    """A route without a row (its own or its family's) is undocumented coverage."""
    rows = ledger()
    states = {route: _row_of(rows, *route) for route in app_routes(world)}
    missing = sorted(r for r, state in states.items() if state is None)
    assert not missing, f"served but not in docs/coverage.md: {missing}"
    not_marked = sorted(r for r, state in states.items() if state != "done")
    assert not not_marked, f"served but not marked done: {not_marked}"


def test_every_done_row_is_served_and_tested(world: World) -> None:
    """A `done` row must name a served route, and some test must request that path."""
    routes = app_routes(world)
    tests = "\n".join(p.read_text() for p in (ROOT / "tests").glob("test_*.py"))
    for (method, path), state in ledger().items():
        if state != "done":
            continue
        served = (method, path) in routes or any(
            m == method and _family(path).match(p) for m, p in routes)  # fmt: skip
        assert served, f"{method} {path} is marked done but not served"
        # Tests build URLs from a base (`f"{BASE}/devices/..."`): match the part after it.
        prefix = next((p for p in API_PREFIXES if path.startswith(p + "/")), "")
        tail = path.removeprefix(prefix)
        pattern = re.escape(tail).replace(re.escape("{}"), r"(\{[^}]*\}|[^/\"']+)")
        assert re.search(pattern + r"[\"'?]", tests), f"no test requests {method} {path}"


def test_ledger_covers_every_vendor_document() -> None:
    """Every vendor document has its section in the ledger."""
    text = (ROOT / "docs" / "coverage.md").read_text()
    for section in ("Phason API v1.0.3", "Phason AutoFlex v1.0.2", "Flair API",
                    "Automate Green v1", "Thinknx Integration Kit"):  # fmt: skip
        assert f"## {section}" in text
