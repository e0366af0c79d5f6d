"""Each API's OpenAPI document and its route table agree: every served route is documented and
every documented operation is served, except the pages the documents leave out."""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import Response
from starlette.testclient import TestClient

from ductwork.app import create_app
from ductwork.http.dispatch import Api, Endpoint
from ductwork.http.openapi import Operation, Reply, build_document
from ductwork.registry import VENDORS
from tests.conftest import World

# Routes no document lists (paths relative to the API's prefix): the document itself and its
# interactive page, on every API.
UNDOCUMENTED = {("GET", "/openapi.json"), ("GET", "/docs")}
# Full paths: Phason v1.0.2's HTML sign-in and consent pages (its document describes the
# OAuth2 flow in its description and lists only /token and /refresh).
UNDOCUMENTED_PAGES = {("GET", "/phason/auth"), ("POST", "/phason/auth"),
                      ("POST", "/phason/auth/consent")}  # fmt: skip


def _exempt(api: Api, endpoint: Endpoint) -> bool:
    route = (endpoint.method, endpoint.path)
    return route in UNDOCUMENTED or (endpoint.method, api.prefix + endpoint.path) in (
        UNDOCUMENTED_PAGES
    )


def test_every_route_has_an_operation_and_every_operation_a_route(world: World) -> None:
    """For every API with a document: the served document's (method, path) pairs are exactly
    the route table's entries minus the exemptions; exempt entries carry no operation."""
    app = create_app(world.runtime, background=False)
    documented = {a.prefix for v in VENDORS for a in v.apis if a.docs}
    apis = [api for api in app.apis if api.prefix in documented]
    assert {api.prefix for api in apis} == documented
    with TestClient(app) as client:
        for api in apis:
            answer = client.get(f"{api.prefix}/openapi.json")
            assert answer.status_code == 200, api.prefix
            served = {(m.upper(), p) for p, ops in answer.json()["paths"].items() for m in ops}
            table = {(e.method, e.path) for e in api.endpoints if not _exempt(api, e)}
            assert sorted(table - served) == [], f"{api.prefix}: routes without an operation"
            assert sorted(served - table) == [], f"{api.prefix}: operations without a route"
            for endpoint in api.endpoints:
                documented_entry = endpoint.operation is not None
                assert documented_entry != _exempt(api, endpoint), (
                    api.prefix, endpoint.method, endpoint.path)  # fmt: skip


def test_build_document_reads_the_route_table() -> None:
    """Entries without an operation are left out; the rest keep the table's order, with the
    route's method and path."""

    async def handler(_request: Request) -> Response:
        return Response()

    def op(summary: str) -> Operation:
        return Operation(summary, summary, "Tag", (Reply(200, "OK"),))

    routes = [
        Endpoint("GET", "/b", handler, op("read b")),
        Endpoint("GET", "/openapi.json", handler),
        Endpoint("GET", "/a/{id}", handler, op("read a")),
        Endpoint("POST", "/b", handler, op("write b")),
    ]
    document = build_document(title="T", version="1", description="D", server_url="/x",
                              routes=routes, security_schemes={})  # fmt: skip
    assert list(document["paths"]) == ["/b", "/a/{id}"]
    assert list(document["paths"]["/b"]) == ["get", "post"]
    assert document["paths"]["/b"]["post"]["summary"] == "write b"
    assert document["paths"]["/a/{id}"]["get"]["operationId"] == "get_a_id"
