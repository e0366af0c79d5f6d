"""The composition root: every registered vendor's APIs, the control plane, the dashboard and
the background tasks, in one ASGI app."""

from __future__ import annotations

import contextlib
import logging
import threading
from collections.abc import AsyncIterator, Callable, Mapping, Sequence

import anyio
import anyio.to_thread

from ductwork.control import routes as control
from ductwork.core.accounts import Account
from ductwork.core.webhooks import Deliverer
from ductwork.http.dispatch import App, AsgiMount
from ductwork.http.openapi import SWAGGER_UI_URL, swagger_ui_assets
from ductwork.registry import hosts, vendor
from ductwork.runtime import Runtime
from ductwork.web import dashboard

log = logging.getLogger("ductwork")
TICK_SECONDS = 5.0


class Ticker:
    """Keeps every twin's history flowing in the background, one catch-up pass per tick."""

    def __init__(
        self,
        accounts: Callable[[], list[Account]],
        steps: Sequence[Callable[[Account], None]],
        interval: float = TICK_SECONDS,
    ) -> None:
        self._accounts = accounts
        self._steps = list(steps)
        self._interval = interval
        self._stop = threading.Event()

    def run_once(self) -> None:
        """Catch every account's devices up to its clock."""
        for account in self._accounts():
            for step in self._steps:
                if self._stop.is_set():
                    return
                step(account)

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


def create_app(
    runtime: Runtime, *, background: bool = True, vendor_ports: Mapping[str, int] | None = None
) -> App:
    """Build the ASGI app for a runtime; `background` runs the history ticker and the
    webhook deliverer; `vendor_ports` (vendor name -> port) serves each named vendor at its
    real root paths on that port, where the server also listens."""

    @contextlib.asynccontextmanager
    async def lifespan() -> AsyncIterator[None]:
        ticker = Ticker(runtime.accounts.all, [b.catch_up for b in runtime.backends.values()])
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
            dashboard.create_api(runtime),
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
