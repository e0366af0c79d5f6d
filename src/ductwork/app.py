"""The composition root: every registered vendor's APIs, the control plane, the dashboard and
the background tasks, in one ASGI app."""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator, Mapping

import anyio

from ductwork.control import routes as control
from ductwork.core.twins import Ticker
from ductwork.core.webhooks import Deliverer
from ductwork.http.dispatch import App, AsgiMount
from ductwork.http.openapi import SWAGGER_UI_URL, swagger_ui_assets
from ductwork.registry import hosts, vendor
from ductwork.runtime import Runtime
from ductwork.web import dashboard

TICK_SECONDS = 5.0


def create_app(
    runtime: Runtime, *, background: bool = True, vendor_ports: Mapping[str, int] | None = None
) -> App:
    """Build the ASGI app for a runtime; `background` runs the history ticker and the
    webhook deliverer; `vendor_ports` (vendor name -> port) serves each named vendor at its
    real root paths on that port, where the server also listens."""

    @contextlib.asynccontextmanager
    async def lifespan() -> AsyncIterator[None]:
        ticker = Ticker(
            runtime.accounts.all, [b.catch_up for b in runtime.backends.values()], TICK_SECONDS
        )
        deliverer = Deliverer(runtime.outbox)
        async with anyio.create_task_group() as tasks:
            if background:
                tasks.start_soon(ticker.run)
                tasks.start_soon(deliverer.run)
            try:
                yield
            finally:
                ticker.stop()
                deliverer.stop()
                tasks.cancel_scope.cancel()

    backends = list(runtime.backends.values())
    return App(
        apis=[
            dashboard.create_api(runtime, vendor_ports),
            control.create_api(runtime),
            *(api for backend in backends for api in backend.apis()),
        ],
        mounts=[
            AsgiMount(SWAGGER_UI_URL, swagger_ui_assets()),
            *(mount for backend in backends for mount in backend.mounts()),
        ],
        fallback=dashboard.PAGE_ERRORS,
        hosts=hosts(),
        lifespan=lifespan,
        ports={port: vendor(name).root for name, port in (vendor_ports or {}).items()},
    )
