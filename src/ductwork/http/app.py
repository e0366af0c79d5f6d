"""The application factory: vendor APIs, control plane, dashboard and background tasks."""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator

import anyio
from starlette.staticfiles import StaticFiles
from swagger_ui_bundle import swagger_ui_path

from ductwork.control import routes as control
from ductwork.core.twins import Ticker
from ductwork.core.webhooks import Deliverer
from ductwork.http.dispatch import App, AsgiMount
from ductwork.http.hosts import VENDOR_HOSTS
from ductwork.runtime import Runtime
from ductwork.vendors.flair.api import v1 as flair_v1
from ductwork.vendors.phason.api import v1_0_2, v1_0_3
from ductwork.web import dashboard

TICK_SECONDS = 5.0


def create_app(runtime: Runtime, *, background: bool = True) -> App:
    """Build the ASGI app for a runtime; `background` runs the history ticker and the
    webhook deliverer."""

    @contextlib.asynccontextmanager
    async def lifespan() -> AsyncIterator[None]:
        ticker = Ticker(
            runtime.accounts.all,
            [runtime.phason.catch_up_account, lambda a: runtime.flair.catch_up_account(a.id)],
            TICK_SECONDS,
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

    return App(
        apis=[
            dashboard.create_api(runtime),
            control.create_api(runtime),
            v1_0_3.create_api(runtime.phason, runtime.accounts),
            v1_0_2.create_api(
                runtime.phason,
                runtime.phason_settings,
                runtime.phason_timed,
                runtime.phason_oauth,
                runtime.accounts,
            ),
            flair_v1.create_api(runtime.flair),
        ],
        mounts=[AsgiMount("/_ductwork/swagger-ui", StaticFiles(directory=str(swagger_ui_path)))],
        fallback=dashboard.PAGE_ERRORS,
        hosts=VENDOR_HOSTS,
        lifespan=lifespan,
    )
