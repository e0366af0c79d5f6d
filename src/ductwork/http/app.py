"""The application factory: vendor APIs, control plane, dashboard and background tasks."""

from __future__ import annotations

import contextlib
import logging
import threading
from collections.abc import AsyncIterator

import anyio
import anyio.to_thread

from ductwork.control import routes as control
from ductwork.core.webhooks import Deliverer
from ductwork.http.dispatch import App, AsgiMount
from ductwork.http.hosts import VENDOR_HOSTS
from ductwork.http.openapi import SWAGGER_UI_URL, swagger_ui_assets
from ductwork.runtime import Runtime
from ductwork.vendors.flair.api import v1 as flair_v1
from ductwork.vendors.phason.api import v1_0_2, v1_0_3
from ductwork.web import dashboard

log = logging.getLogger("ductwork")
TICK_SECONDS = 5.0


class Ticker:
    """Keeps every twin's history flowing in the background, one catch-up pass per tick."""

    def __init__(self, runtime: Runtime, interval: float = TICK_SECONDS) -> None:
        self._runtime = runtime
        self._interval = interval
        self._stop = threading.Event()

    def run_once(self) -> None:
        """Catch every account's devices up to its clock."""
        for account in self._runtime.accounts.all():
            if self._stop.is_set():
                return
            self._runtime.phason.catch_up_account(account)
            self._runtime.flair.catch_up_account(account.id)

    async def run(self) -> None:
        """Tick until stopped; a failing pass is logged and retried on the next tick."""
        while not self._stop.is_set():
            try:
                await anyio.to_thread.run_sync(self.run_once)
            except Exception:
                log.exception("background catch-up failed; retrying next tick")
            with anyio.move_on_after(self._interval):
                await anyio.to_thread.run_sync(self._stop.wait, abandon_on_cancel=True)

    def stop(self) -> None:
        """Ask the loop to end after the chunk it is writing (chunks commit whole)."""
        self._stop.set()


def create_app(runtime: Runtime, *, background: bool = True) -> App:
    """Build the ASGI app for a runtime; `background` runs the history ticker and the
    webhook deliverer."""

    @contextlib.asynccontextmanager
    async def lifespan() -> AsyncIterator[None]:
        ticker = Ticker(runtime)
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
        mounts=[AsgiMount(SWAGGER_UI_URL, swagger_ui_assets())],
        fallback=dashboard.PAGE_ERRORS,
        hosts=VENDOR_HOSTS,
        lifespan=lifespan,
    )
