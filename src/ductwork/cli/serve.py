"""`ductwork serve`: every API, the control plane and the dashboard, with the demo world.

`--workers N` runs N server processes on one PostgreSQL database: the parent binds every
listening socket (the main port and the vendor ports), creates the demo world, then forks N
workers that each open their own runtime and run uvicorn on the inherited sockets (the kernel
hands each new connection to one of them). Each worker runs the history ticker and the webhook
deliverer; both are safe across processes (the twins' compare-and-set claims, the outbox's
leases). Chosen: SQLite with more than one worker is refused (one writer at a time); SIGTERM,
SIGINT or SIGHUP stops every worker gracefully (exit status 0); a worker that dies after it
started serving is started again, one that dies before stops the server with exit status 1;
workers are sent SIGTERM if the parent dies (Linux).
"""

from __future__ import annotations

import contextlib
import ipaddress
import math
import os
import shutil
import signal
import socket
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any

import click

from ductwork import __version__
from ductwork.cli.options import data_dir_option, database_option, history_days_option, opened
from ductwork.registry import VENDORS, public_credentials
from ductwork.vendors.contract import load_cli

if TYPE_CHECKING:
    import uvicorn


def loopback(host: str) -> bool:
    """Whether `serve --host` listens on this machine only."""
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:  # a host name: it may resolve to anything
        return False


def _vendor_options(command: Callable[..., Any]) -> Callable[..., Any]:
    """Add each vendor's `serve` options (their values reach the backends as options)."""
    for vendor in reversed(VENDORS):
        module = load_cli(vendor)
        for option in reversed(getattr(module, "serve_options", ())):
            command = option(command)
    return command


def vendor_ports(text: str, main_port: int) -> dict[str, int]:
    """`--vendor-ports`: "auto" (the main port + 1, + 2... in registry order), "none", or
    "flair=9002,phason=9001" (vendors not named get no port of their own)."""
    if text == "auto":
        return {v.name: main_port + 1 + i for i, v in enumerate(VENDORS)}
    if text == "none":
        return {}
    names = {v.name for v in VENDORS}
    ports: dict[str, int] = {}
    for part in filter(None, (p.strip() for p in text.split(","))):
        name, sep, number = part.partition("=")
        if not sep or name not in names or not number.isdigit() or not 0 < int(number) < 65536:
            raise click.BadParameter(
                f"{part!r}: expected VENDOR=PORT with VENDOR one of {', '.join(sorted(names))}",
                param_hint="--vendor-ports",
            )
        ports[name] = int(number)
    return ports


def _listen(host: str, port: int, what: str) -> socket.socket:
    """A listening socket, or a clear error naming what wanted the port."""
    family, kind, proto, _, address = socket.getaddrinfo(
        host, port, type=socket.SOCK_STREAM, flags=socket.AI_PASSIVE
    )[0]
    listener = socket.socket(family, kind, proto)
    listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    try:
        listener.bind(address)
    except OSError as exc:
        listener.close()
        raise click.ClickException(
            f"cannot listen on {host}:{port} for {what}: {exc.strerror}; choose other ports "
            "with --port and --vendor-ports (or --vendor-ports none)"
        ) from exc
    listener.listen(2048)
    listener.set_inheritable(True)
    return listener


def _banner(base_url: str, engine_name: str) -> list[str]:
    lines = [f"ductwork {__version__} on {base_url} (database: {engine_name})",
             f"  {'Dashboard':<42}{base_url}/"]  # fmt: skip
    for vendor in VENDORS:
        for api in vendor.apis:
            docs = f"   (docs: {api.prefix}/docs)" if api.docs else ""
            lines.append(f"  {api.title:<42}{base_url}{api.prefix}{docs}")
    lines.append(f"  {'Control plane':<42}{base_url}/_ductwork/health")
    return lines


def _root_lines(root_urls: dict[str, str]) -> list[str]:
    if not root_urls:
        return []
    lines = ["Each vendor at its real root paths (for clients that join absolute paths):"]
    for vendor in VENDORS:
        if vendor.name in root_urls:
            lines.append(f"  {vendor.title:<42}{root_urls[vendor.name]}")
    return lines


def _self_command() -> str:
    """How the user can run this CLI again: `ductwork` when that is on PATH, else the path
    it was started by (`.venv/bin/ductwork` after `make serve`)."""
    started = sys.argv[0]
    on_path = shutil.which("ductwork")
    if on_path and os.path.realpath(on_path) == os.path.realpath(started):
        return "ductwork"
    if os.path.basename(started) == "ductwork":
        return started
    return f"{os.path.basename(sys.executable)} -m ductwork"


def _credential_lines(stored: dict[str, Any], base_url: str) -> list[str]:
    creds = public_credentials(stored, base_url)
    lines = [f"Demo credentials (also: {_self_command()} credentials --json):",
             f"  email     {creds['email']}", f"  password  {creds['password']}"]  # fmt: skip
    for vendor in VENDORS:
        for key, value in creds.get(vendor.name, {}).items():
            if key.startswith("base_url") or key == "root_url":
                continue
            label = f"{vendor.title} {key}"
            if isinstance(value, dict):  # e.g. device ids by kind: one line a kind
                for index, (name, ids) in enumerate(value.items()):
                    text = ", ".join(map(str, ids)) if isinstance(ids, list) else str(ids)
                    lines.append(f"  {label if index == 0 else '':<24}  {name}: {text}")
                continue
            text = ", ".join(map(str, value)) if isinstance(value, list) else str(value)
            lines.append(f"  {label:<24}  {text}")
    return lines


def _log_config(log_level: str) -> dict[str, Any]:
    """uvicorn's logging, with ductwork's own loggers printed the same way ("ERROR:    ...")
    at the same level (without it they reach Python's last-resort handler, bare)."""
    import copy

    from uvicorn.config import LOGGING_CONFIG

    config = copy.deepcopy(LOGGING_CONFIG)
    level = "DEBUG" if log_level.lower() == "trace" else log_level.upper()
    config["loggers"]["ductwork"] = {"handlers": ["default"], "level": level, "propagate": False}
    config["formatters"]["access"]["()"] = "ductwork.cli.logs.MaskingAccessFormatter"
    return config


@click.command()
@click.option("--host", default="127.0.0.1", show_default=True, help="Interface to listen on.")
@click.option("--port", default=8000, show_default=True, type=int, help="Main HTTP port.")
@click.option(
    "--vendor-ports",
    "ports_text",
    default="auto",
    show_default=True,
    metavar="auto|none|V=PORT,...",
    help="Ports that serve one vendor each at its real root paths (no prefix): auto is the "
    "main port + 1, + 2... in the order " + ", ".join(v.name for v in VENDORS) + ".",
)
@data_dir_option
@database_option
@click.option("--no-demo", is_flag=True, help="Do not create the demo world on first start.")
@history_days_option("Days of simulated history the demo world starts with.")
@_vendor_options
@click.option("--log-level", default="info", show_default=True, help="uvicorn log level.")
@click.option(
    "--workers",
    default=1,
    show_default=True,
    type=click.IntRange(1, 64),
    help="Server processes sharing the ports (more than 1 needs PostgreSQL); a worker that "
    "dies after it started serving is started again.",
)
@click.option(
    "--allow-webhook-network",
    is_flag=True,
    help="Let webhook, callback and action URLs reach private, link-local and metadata "
    "addresses (refused by default; loopback is allowed on a loopback-bound server).",
)
@click.option(
    "--client-timeout",
    default=10.0,
    show_default=True,
    type=click.FloatRange(0.1, 3600),
    metavar="SECONDS",
    help="A client must send its request head within this time and no gap in a body may "
    "be longer; a response it stops reading is dropped after 3x this.",
)
def serve(
    host: str,
    port: int,
    ports_text: str,
    data_dir: Path,
    database_url: str | None,
    no_demo: bool,
    history_days: float,
    log_level: str,
    workers: int,
    allow_webhook_network: bool,
    client_timeout: float,
    **vendor_options: Any,
) -> None:
    """Serve every API, the control plane and the dashboard."""
    import uvicorn

    from ductwork.app import create_app
    from ductwork.core.datadir import record_server
    from ductwork.core.egress import Egress
    from ductwork.http.status_lines import use_upper_case_reason_phrases

    name = "localhost" if host in ("127.0.0.1", "0.0.0.0") else host  # noqa: S104
    base_url = f"http://{name}:{port}"
    ports = vendor_ports(ports_text, port)
    root_urls = {vendor: f"http://{name}:{number}" for vendor, number in ports.items()}
    listeners = [_listen(host, port, "the main port")]
    listeners += [_listen(host, number, vendor) for vendor, number in ports.items()]
    vendor_options["egress"] = Egress(allow_webhook_network, loopback(host))
    with opened(data_dir, database_url, **vendor_options) as runtime:
        if workers > 1 and runtime.engine.dialect.name != "postgresql":
            raise click.ClickException(
                f"--workers {workers} needs PostgreSQL (--database-url postgresql://...): "
                f"{runtime.engine.dialect.name} takes one writer at a time; serve it with "
                "--workers 1"
            )
        stored = None
        if not no_demo:
            stored = runtime.load_credentials()
            if stored is None:
                with click.progressbar(
                    length=int(history_days * 1440),
                    label="Simulating the demo world's history",
                    file=sys.stderr,
                ) as bar:
                    stored, _ = runtime.ensure_demo(history_days, progress=bar.update)
        for line in _banner(base_url, runtime.engine.dialect.name) + _root_lines(root_urls):
            click.echo(line)
        if not loopback(host):
            click.echo(
                f"warning: listening on {host}: the dashboard (demo credentials) and /_ductwork "
                "(clocks, resets, webhook deliveries) have no authentication, so anyone who can "
                "reach this port can use them; serve on 127.0.0.1 or behind a proxy that "
                "authenticates.",
                err=True,
            )
        if stored is not None:
            for line in _credential_lines(stored, base_url):
                click.echo(line)
        use_upper_case_reason_phrases()
        # The record lets `ductwork credentials` (and every command) find this server's URL
        # and database; it stays after a stop as "the last start" (its pid tells it is gone).
        record_server(data_dir, {"base_url": base_url, "database_url": runtime.database_url,
                                 "root_urls": root_urls})  # fmt: skip
        if workers == 1:
            config = _uvicorn_config(create_app(runtime, vendor_ports=ports), host, port,
                                     log_level, client_timeout)  # fmt: skip
            # uvicorn shuts down gracefully on SIGINT/SIGTERM, then re-raises the signal into
            # the handler it found; a no-op one makes a graceful stop exit with status 0.
            for stop_signal in (signal.SIGINT, signal.SIGTERM):
                signal.signal(stop_signal, lambda *_: None)
            uvicorn.Server(config).run(sockets=listeners)
        url = runtime.database_url
    status = 0
    if workers > 1:  # the parent's runtime is closed: each worker opens its own

        def worker(ready: int) -> int:
            return _worker(ready, data_dir, url, vendor_options,
                           (ports, host, port, log_level, client_timeout), listeners)  # fmt: skip

        status = _supervise(workers, worker)
    click.echo("ductwork stopped.")
    if status:
        sys.exit(status)


def _uvicorn_config(
    app: Any, host: str, port: int, log_level: str, client_timeout: float
) -> uvicorn.Config:
    """How uvicorn runs the app (the sockets are ours: `host` and `port` only name them), with
    deadlines for slow clients."""
    import uvicorn

    from ductwork.cli.slowclients import protocol

    return uvicorn.Config(
        app,
        host=host,
        port=port,
        log_config=_log_config(log_level),
        log_level=log_level,
        access_log=log_level.lower() in ("debug", "trace", "info"),
        lifespan="on",
        timeout_graceful_shutdown=GRACEFUL_SECONDS,
        http=protocol(client_timeout),
    )


GRACEFUL_SECONDS = 10  # uvicorn's wait for open requests on a stop
STOP_SECONDS = GRACEFUL_SECONDS + 5  # then a worker still running is killed
POLL_SECONDS = 0.1
STOP_SIGNALS = {signal.SIGINT, signal.SIGTERM, signal.SIGHUP}


def _worker(
    ready: int,
    data_dir: Path,
    database_url: str,
    vendor_options: dict[str, Any],
    where: tuple[dict[str, int], str, int, str, float],
    listeners: list[socket.socket],
) -> int:
    """One worker process (forked): its own runtime and app on the inherited sockets; writes a
    byte to `ready` once it serves. Returns its exit status (0 after a graceful stop)."""
    from ductwork.app import create_app
    from ductwork.runtime import Runtime

    ports, host, port, log_level, client_timeout = where
    runtime = Runtime.open(data_dir, database_url, **vendor_options)
    try:
        app = create_app(runtime, vendor_ports=ports)
        config = _uvicorn_config(app, host, port, log_level, client_timeout)
        server = _ready_server(config, ready)
        # A stop signal between here and uvicorn's own handlers stops the server as it starts;
        # uvicorn re-raises the signals it handled into this handler, which then does nothing.
        for stop_signal in (signal.SIGINT, signal.SIGTERM):
            signal.signal(stop_signal, lambda *_: setattr(server, "should_exit", True))
        server.run(sockets=listeners)
        return 0 if server.started else 1
    finally:
        runtime.close()


def _ready_server(config: uvicorn.Config, ready: int) -> uvicorn.Server:
    """uvicorn's server, writing a byte to `ready` once it serves (the class is built here:
    uvicorn is imported only by `serve`)."""
    import uvicorn

    class ReadyServer(uvicorn.Server):
        """uvicorn's server, telling the parent (a byte on a pipe) when it serves."""

        def __init__(self, config: uvicorn.Config, ready: int) -> None:
            super().__init__(config)
            self._ready = ready

        async def startup(self, sockets: list[socket.socket] | None = None) -> None:
            await super().startup(sockets=sockets)
            if self.started:
                os.write(self._ready, b".")

    return ReadyServer(config, ready)


def _supervise(count: int, run: Callable[[int], int]) -> int:
    """Fork `count` workers running `run(ready_fd)` and watch them until SIGTERM or SIGINT,
    then stop them all (SIGTERM, then SIGKILL after STOP_SECONDS). A worker that dies after it
    wrote to its ready pipe is started again; one that dies before is a start-up failure: the
    others are stopped and the status is 1. Returns the parent's exit status."""
    stop: list[int] = []
    for stop_signal in STOP_SIGNALS:
        signal.signal(stop_signal, lambda signum, _frame: stop.append(signum))
    parent = os.getpid()
    workers: dict[int, int] = {}  # pid -> the read end of its ready pipe

    def start() -> None:
        read, write = os.pipe()
        os.set_blocking(read, False)
        # Signals wait while the worker trades the parent's handlers for its own.
        signal.pthread_sigmask(signal.SIG_BLOCK, STOP_SIGNALS)
        pid = os.fork()
        if pid == 0:  # the worker: it never returns into the parent's code
            status = 1
            try:
                _worker_signals(parent)
                os.close(read)
                for other in workers.values():
                    os.close(other)
                status = run(write)
            except KeyboardInterrupt:
                status = 0
            except SystemExit as exc:  # uvicorn's start-up failure
                status = exc.code if isinstance(exc.code, int) else 1
            except BaseException:  # shown, then the exit status says it
                import traceback

                traceback.print_exc()
            finally:
                sys.stdout.flush()
                sys.stderr.flush()
                os._exit(status)
        signal.pthread_sigmask(signal.SIG_UNBLOCK, STOP_SIGNALS)
        os.close(write)
        workers[pid] = read

    def was_ready(fd: int) -> bool:
        try:
            return bool(os.read(fd, 1))
        except BlockingIOError:
            return False
        finally:
            os.close(fd)

    for _ in range(count):
        start()
    status = 0
    while not stop and not status:
        try:
            pid, wait_status = os.waitpid(-1, os.WNOHANG)
        except ChildProcessError:  # pragma: no cover  (every worker is always waited for)
            pid, wait_status = 0, 0
        if pid == 0:
            time.sleep(POLL_SECONDS)
            continue
        if pid not in workers:  # pragma: no cover
            continue
        how = _exit_text(wait_status)
        if was_ready(workers.pop(pid)):
            click.echo(f"ductwork: worker {pid} {how}; starting another", err=True)
            start()
        else:
            click.echo(f"ductwork: worker {pid} {how} before it served; stopping", err=True)
            status = 1
    _stop_all(workers)
    return status


def _worker_signals(parent: int) -> None:
    """In a new worker (stop signals blocked): SIGTERM and SIGINT stop it the ordinary way
    until uvicorn takes them over, SIGHUP is left to the parent (which stops the workers
    itself), and the worker is sent SIGTERM when the parent dies, even killed (Linux's
    PR_SET_PDEATHSIG), so no orphan keeps serving."""
    signal.signal(signal.SIGTERM, signal.SIG_DFL)
    signal.signal(signal.SIGINT, signal.default_int_handler)
    signal.signal(signal.SIGHUP, signal.SIG_IGN)
    signal.pthread_sigmask(signal.SIG_UNBLOCK, STOP_SIGNALS)
    if sys.platform == "linux":
        import ctypes

        with contextlib.suppress(OSError, AttributeError):
            ctypes.CDLL(None, use_errno=True).prctl(1, signal.SIGTERM)  # PR_SET_PDEATHSIG = 1
    if os.getppid() != parent:  # it died before the request took effect
        os.kill(os.getpid(), signal.SIGTERM)


def _stop_all(workers: dict[int, int]) -> None:
    """SIGTERM every worker, wait for them (SIGKILL after STOP_SECONDS), close their pipes."""
    for pid in workers:
        with contextlib.suppress(ProcessLookupError):
            os.kill(pid, signal.SIGTERM)
    deadline = time.monotonic() + STOP_SECONDS
    left = set(workers)
    while left:
        for pid in list(left):
            with contextlib.suppress(ChildProcessError):
                if os.waitpid(pid, os.WNOHANG)[0] == 0:
                    continue
            left.discard(pid)
        if left and time.monotonic() > deadline:
            for pid in left:
                with contextlib.suppress(ProcessLookupError):
                    os.kill(pid, signal.SIGKILL)
            deadline = math.inf
        time.sleep(POLL_SECONDS if left else 0)
    for fd in workers.values():
        os.close(fd)


def _exit_text(wait_status: int) -> str:
    """How a worker ended: "exited with status 3" or "was killed by SIGKILL"."""
    if os.WIFSIGNALED(wait_status):
        return f"was killed by {signal.Signals(os.WTERMSIG(wait_status)).name}"
    return f"exited with status {os.waitstatus_to_exitcode(wait_status)}"
