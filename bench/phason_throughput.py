"""Throughput of ductwork's Phason API against a bare ASGI app serving the same bytes.

Starts a real `ductwork serve` and a minimal raw ASGI app on the same server software (uvicorn,
one worker each), fetches GET /devices and a 24-hour equipment-group history from ductwork,
serves exactly those bytes from the baseline, and runs wrk against both, interleaved, over
several rounds. Prints requests/s, the ratio ductwork/baseline and whether /devices reaches the
0.6 target. Needs wrk (apt-get install wrk). Run: .venv/bin/python bench/phason_throughput.py
"""

from __future__ import annotations

import argparse
import contextlib
import datetime as dt
import json
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from types import FrameType
from urllib.parse import quote, urlencode

import httpx

REPO = Path(__file__).resolve().parents[1]
PREFIX = "/phason/v1.0.3"
DEVICES_TARGET_RATIO = 0.6
LOG_LEVEL = "warning"
HISTORY_DAYS = "1.1"
STARTUP_TIMEOUT = 180.0
STOP_TIMEOUT = 15.0
WRK = "wrk"

BASELINE_APP = '''\
"""Raw ASGI baseline: GET /devices and GET /history answer fixed bytes, nothing else."""

import os
from pathlib import Path

_BODIES = {
    "/devices": Path(os.environ["BENCH_DEVICES_BODY"]).read_bytes(),
    "/history": Path(os.environ["BENCH_HISTORY_BODY"]).read_bytes(),
}
_HEADERS = {
    path: [(b"content-length", str(len(body)).encode()), (b"content-type", b"application/json")]
    for path, body in _BODIES.items()
}
_NOT_FOUND = [(b"content-length", b"0")]


async def app(scope, receive, send):
    if scope["type"] == "lifespan":
        while True:
            message = await receive()
            if message["type"] == "lifespan.startup":
                await send({"type": "lifespan.startup.complete"})
            elif message["type"] == "lifespan.shutdown":
                await send({"type": "lifespan.shutdown.complete"})
                return
    if scope["type"] != "http":
        return
    body = _BODIES.get(scope["path"]) if scope["method"] == "GET" else None
    if body is None:
        await send({"type": "http.response.start", "status": 404, "headers": _NOT_FOUND})
        await send({"type": "http.response.body", "body": b""})
        return
    await send({"type": "http.response.start", "status": 200, "headers": _HEADERS[scope["path"]]})
    await send({"type": "http.response.body", "body": body})
'''


class BenchError(Exception):
    """A failure that ends the benchmark with a message and a non-zero exit."""


@dataclass
class WrkResult:
    """What one wrk run reported."""

    requests_per_second: float
    requests: int
    p99_ms: float | None
    errors: str | None


@dataclass
class Target:
    """One pair of URLs that serve the same body: ductwork's and the baseline's."""

    name: str
    ductwork_url: str
    baseline_url: str
    connections: int
    body_size: int
    results: dict[str, list[WrkResult]] = field(
        default_factory=lambda: {"ductwork": [], "baseline": []}
    )

    def best(self, side: str) -> WrkResult:
        """The run with the most requests/s on one side."""
        return max(self.results[side], key=lambda r: r.requests_per_second)


@dataclass
class Server:
    """A server subprocess with its log file."""

    name: str
    process: subprocess.Popen[bytes]
    log_path: Path

    def log_tail(self, lines: int = 30) -> str:
        """The last lines of the server's output."""
        try:
            text = self.log_path.read_text(errors="replace")
        except OSError:
            return ""
        return "\n".join(text.splitlines()[-lines:])

    def stop(self) -> None:
        """Terminate the server, then kill it if it does not exit in time."""
        if self.process.poll() is not None:
            return
        self.process.terminate()
        try:
            self.process.wait(STOP_TIMEOUT)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait(STOP_TIMEOUT)


def parse_args(argv: Sequence[str] | None = None) -> argparse.Namespace:
    """The command-line options."""
    parser = argparse.ArgumentParser(
        description="Compare ductwork's Phason API throughput with a raw ASGI app on uvicorn "
        "serving the same bytes (needs wrk).",
    )
    parser.add_argument("--duration", type=int, default=10, help="seconds per wrk run (default 10)")
    parser.add_argument(
        "--connections",
        type=int,
        default=32,
        help="wrk connections for GET /devices (default 32)",
    )
    parser.add_argument(
        "--history-connections",
        type=int,
        default=4,
        help="wrk connections for the 24-hour history, ~2 MB a response (default 4)",
    )
    parser.add_argument(
        "--rounds",
        type=int,
        default=2,
        help="interleaved rounds; the best run of each side counts (default 2)",
    )
    args = parser.parse_args(argv)
    for name in ("duration", "connections", "history_connections", "rounds"):
        if getattr(args, name) < 1:
            parser.error(f"--{name.replace('_', '-')} must be at least 1")
    return args


def venv_python() -> str:
    """The project's virtualenv interpreter, else the one running this script."""
    candidate = REPO / ".venv" / "bin" / "python"
    return str(candidate) if candidate.exists() else sys.executable


def free_port() -> int:
    """A TCP port on 127.0.0.1 that is free right now."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def start_server(
    name: str, argv: list[str], log_path: Path, env: dict[str, str] | None = None
) -> Server:
    """Start a server subprocess with its output going to a log file."""
    with log_path.open("wb") as log:
        process = subprocess.Popen(
            argv,
            stdin=subprocess.DEVNULL,
            stdout=log,
            stderr=subprocess.STDOUT,
            cwd=REPO,
            env=env,
        )
    return Server(name, process, log_path)


def wait_until_up(server: Server, url: str, timeout: float) -> float:
    """Poll url until it answers 200; returns the seconds waited."""
    started = time.monotonic()
    with httpx.Client(timeout=2.0) as client:
        while True:
            if server.process.poll() is not None:
                raise BenchError(
                    f"{server.name} exited with code {server.process.returncode}:\n"
                    + server.log_tail()
                )
            with contextlib.suppress(httpx.HTTPError):
                if client.get(url).status_code == 200:
                    return time.monotonic() - started
            if time.monotonic() - started > timeout:
                raise BenchError(
                    f"{server.name} did not answer {url} within {timeout:.0f} s:\n"
                    + server.log_tail()
                )
            time.sleep(0.25)


def read_credentials(python: str, data_dir: Path) -> tuple[str, list[str]]:
    """The demo world's Phason API key and device ids, from `ductwork credentials --json`."""
    completed = subprocess.run(
        [python, "-m", "ductwork", "credentials", "--data-dir", str(data_dir), "--json"],
        capture_output=True,
        text=True,
        cwd=REPO,
        check=False,
        timeout=60,
    )
    if completed.returncode != 0:
        raise BenchError(f"ductwork credentials failed:\n{completed.stderr}")
    creds = json.loads(completed.stdout)
    phason = creds["phason"]
    device_ids = [str(d) for d in phason["device_ids"]]
    if not device_ids:
        raise BenchError("the demo world has no Phason devices")
    return str(phason["api_key"]), device_ids


def fetch(client: httpx.Client, path: str) -> bytes:
    """GET a path and return its body; anything but 200 is an error."""
    response = client.get(path)
    if response.status_code != 200:
        raise BenchError(f"GET {path} answered {response.status_code}: {response.text[:300]!r}")
    return response.content


def history_query(client: httpx.Client, device_id: str) -> str:
    """The query string for the last 24 hours in the device's local time."""
    clock = json.loads(fetch(client, f"{PREFIX}/devices/{device_id}/time"))
    end = dt.datetime.strptime(clock["datetime"], "%Y-%m-%d %H:%M:%S")
    start = end - dt.timedelta(hours=24)
    fmt = "%Y-%m-%d %H:%M:%S"
    return urlencode({"start": start.strftime(fmt), "end": end.strftime(fmt)}, quote_via=quote)


_RPS = re.compile(r"^Requests/sec:\s+([\d.]+)", re.MULTILINE)
_TOTAL = re.compile(r"^\s*(\d+) requests in ", re.MULTILINE)
_P99 = re.compile(r"^\s*99%\s+([\d.]+)(us|ms|s)\b", re.MULTILINE)
_SOCKET_ERRORS = re.compile(r"^\s*Socket errors: (.*)$", re.MULTILINE)
_NON_2XX = re.compile(r"^\s*Non-2xx or 3xx responses: (\d+)", re.MULTILINE)
_UNIT_MS = {"us": 0.001, "ms": 1.0, "s": 1000.0}


def parse_wrk(output: str) -> WrkResult:
    """Requests/s, request count, p99 latency and any errors from wrk's report."""
    rps = _RPS.search(output)
    total = _TOTAL.search(output)
    if rps is None or total is None:
        raise BenchError(f"cannot read wrk's report:\n{output}")
    p99 = _P99.search(output)
    problems = []
    non_2xx = _NON_2XX.search(output)
    if non_2xx is not None:
        problems.append(f"{non_2xx.group(1)} non-2xx responses")
    socket_errors = _SOCKET_ERRORS.search(output)
    if socket_errors is not None:
        problems.append(f"socket errors: {socket_errors.group(1)}")
    return WrkResult(
        requests_per_second=float(rps.group(1)),
        requests=int(total.group(1)),
        p99_ms=float(p99.group(1)) * _UNIT_MS[p99.group(2)] if p99 else None,
        errors="; ".join(problems) or None,
    )


def run_wrk(url: str, connections: int, duration: int, api_key: str | None) -> WrkResult:
    """One wrk run (1 thread) against url."""
    argv = [WRK, "-t1", f"-c{connections}", f"-d{duration}s", "--latency", "--timeout", "30s"]
    if api_key is not None:
        argv += ["-H", f"Phasonkey: {api_key}"]
    completed = subprocess.run(
        [*argv, url], capture_output=True, text=True, check=False, timeout=duration + 60
    )
    if completed.returncode != 0:
        raise BenchError(f"wrk failed on {url}:\n{completed.stderr or completed.stdout}")
    return parse_wrk(completed.stdout)


def check_baseline(base_url: str, targets: Sequence[tuple[str, bytes]]) -> None:
    """The baseline must answer every path with exactly the bytes ductwork gave."""
    with httpx.Client(base_url=base_url, timeout=30.0) as client:
        for path, body in targets:
            response = client.get(path)
            if response.status_code != 200 or response.content != body:
                raise BenchError(f"baseline {path} does not serve ductwork's bytes")
            if response.headers.get("content-type") != "application/json":
                raise BenchError(f"baseline {path} has the wrong content-type")


def measure(targets: Sequence[Target], rounds: int, duration: int, api_key: str) -> None:
    """Warm both sides up, then run wrk per target and side, alternating who goes first."""
    for target in targets:
        for side, url in (("ductwork", target.ductwork_url), ("baseline", target.baseline_url)):
            key = api_key if side == "ductwork" else None
            run_wrk(url, target.connections, min(2, duration), key)
            print(f"  warm-up   {target.name:<22} {side}", flush=True)
    for number in range(rounds):
        sides = ["ductwork", "baseline"] if number % 2 == 0 else ["baseline", "ductwork"]
        for target in targets:
            for side in sides:
                url = target.ductwork_url if side == "ductwork" else target.baseline_url
                key = api_key if side == "ductwork" else None
                result = run_wrk(url, target.connections, duration, key)
                target.results[side].append(result)
                p99 = f"{result.p99_ms:.1f} ms" if result.p99_ms is not None else "?"
                extra = f"  !! {result.errors}" if result.errors else ""
                print(
                    f"  round {number + 1}   {target.name:<22} {side:<9}"
                    f" {result.requests_per_second:>10,.1f} req/s  p99 {p99}{extra}",
                    flush=True,
                )


def report(targets: Sequence[Target], args: argparse.Namespace) -> None:
    """Print the comparison table, response sizes and any errors seen."""
    print()
    print(
        f"wrk -t1, {args.duration} s per run, best of {args.rounds} round(s); "
        f"/devices -c{args.connections}, history -c{args.history_connections}; "
        f"uvicorn 1 worker each, --log-level {LOG_LEVEL}"
    )
    header = (
        f"{'target':<22} {'ductwork req/s':>15} {'baseline req/s':>15} {'ratio':>7}"
        f" {'target':>7}  verdict"
    )
    print(header)
    print("-" * len(header))
    for target in targets:
        ours, theirs = target.best("ductwork"), target.best("baseline")
        ratio = (
            ours.requests_per_second / theirs.requests_per_second
            if theirs.requests_per_second
            else 0.0
        )
        shown = f"{ratio:.2f}" if ratio >= 0.1 else f"{ratio:.4f}"
        if target.name == "/devices":
            wanted = f"{DEVICES_TARGET_RATIO:.2f}"
            verdict = "OK" if ratio >= DEVICES_TARGET_RATIO else "MISSED"
        else:
            wanted, verdict = "-", ""
        print(
            f"{target.name:<22} {ours.requests_per_second:>15,.1f}"
            f" {theirs.requests_per_second:>15,.1f} {shown:>7} {wanted:>7}  {verdict}"
        )
    print()
    print("response sizes: " + ", ".join(f"{t.name} {t.body_size:,} bytes" for t in targets))
    p99s = []
    for target in targets:
        for side in ("ductwork", "baseline"):
            p99 = target.best(side).p99_ms
            p99s.append(f"{target.name} {side} {p99:.1f} ms" if p99 is not None else "?")
    print("p99 latency (best runs): " + ", ".join(p99s))
    problems = [
        f"{target.name} {side}: {result.errors}"
        for target in targets
        for side, results in target.results.items()
        for result in results
        if result.errors
    ]
    if problems:
        print("errors during the runs (these make the numbers suspect):")
        for problem in problems:
            print(f"  {problem}")


def server_problems(server: Server) -> list[str]:
    """Lines in a server's log that look like warnings, errors or tracebacks."""
    try:
        lines = server.log_path.read_text(errors="replace").splitlines()
    except OSError:
        return []
    pattern = re.compile(r"WARNING|ERROR|CRITICAL|Traceback|Exception")
    return [line for line in lines if pattern.search(line)]


@contextlib.contextmanager
def interrupts_as_exit() -> Iterator[None]:
    """Turn SIGTERM into KeyboardInterrupt so cleanup runs as it does on Ctrl-C."""

    def handler(_signum: int, _frame: FrameType | None) -> None:
        raise KeyboardInterrupt

    previous = signal.signal(signal.SIGTERM, handler)
    try:
        yield
    finally:
        signal.signal(signal.SIGTERM, previous)


def run(args: argparse.Namespace, workdir: Path, servers: list[Server]) -> None:
    """The whole benchmark; servers started are appended to `servers` for cleanup."""
    python = venv_python()
    data_dir = workdir / "data"
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    print(f"starting ductwork on {base} (data dir {data_dir}) ...", flush=True)
    ductwork = start_server(
        "ductwork",
        [
            python, "-m", "ductwork", "serve", "--host", "127.0.0.1", "--port", str(port),
            "--data-dir", str(data_dir), "--history-days", HISTORY_DAYS,
            "--log-level", LOG_LEVEL,
        ],
        workdir / "ductwork.log",
    )  # fmt: skip
    servers.append(ductwork)
    waited = wait_until_up(ductwork, f"{base}/_ductwork/health", STARTUP_TIMEOUT)
    print(f"  healthy after {waited:.1f} s", flush=True)

    api_key, device_ids = read_credentials(python, data_dir)
    with httpx.Client(base_url=base, headers={"Phasonkey": api_key}, timeout=60.0) as client:
        devices_body = fetch(client, f"{PREFIX}/devices")
        query = history_query(client, device_ids[0])
        history_path = f"{PREFIX}/devices/{device_ids[0]}/equipment_groups/history?{query}"
        history_body = fetch(client, history_path)
    if not json.loads(history_body):
        raise BenchError("the 24-hour history is empty; the demo world has no history")
    (workdir / "devices.json").write_bytes(devices_body)
    (workdir / "history.json").write_bytes(history_body)
    print(
        f"  fetched /devices ({len(devices_body):,} bytes) and device {device_ids[0]}'s"
        f" 24-h history ({len(history_body):,} bytes)",
        flush=True,
    )

    (workdir / "baseline_app.py").write_text(BASELINE_APP)
    baseline_port = free_port()
    baseline_base = f"http://127.0.0.1:{baseline_port}"
    env = dict(os.environ)
    env["BENCH_DEVICES_BODY"] = str(workdir / "devices.json")
    env["BENCH_HISTORY_BODY"] = str(workdir / "history.json")
    print(f"starting the raw ASGI baseline on {baseline_base} ...", flush=True)
    baseline = start_server(
        "baseline",
        [
            python, "-m", "uvicorn", "baseline_app:app", "--app-dir", str(workdir),
            "--host", "127.0.0.1", "--port", str(baseline_port), "--log-level", LOG_LEVEL,
            "--no-access-log", "--lifespan", "on", "--timeout-graceful-shutdown", "10",
        ],
        workdir / "baseline.log",
        env,
    )  # fmt: skip
    servers.append(baseline)
    wait_until_up(baseline, f"{baseline_base}/devices", 30.0)
    check_baseline(baseline_base, [("/devices", devices_body), ("/history", history_body)])

    targets = [
        Target(
            "/devices",
            f"{base}{PREFIX}/devices",
            f"{baseline_base}/devices",
            args.connections,
            len(devices_body),
        ),
        Target(
            "24-h group history",
            f"{base}{history_path}",
            f"{baseline_base}/history",
            args.history_connections,
            len(history_body),
        ),
    ]
    print(
        f"running wrk: {args.rounds} round(s) x 2 targets x 2 servers x {args.duration} s ...",
        flush=True,
    )
    measure(targets, args.rounds, args.duration, api_key)
    report(targets, args)
    for server in servers:
        problems = server_problems(server)
        if problems:
            print(f"{server.name} logged {len(problems)} warning/error line(s), the last ones:")
            for line in problems[-10:]:
                print(f"  {line}")


def main(argv: Sequence[str] | None = None) -> int:
    """Parse options, run the benchmark and always clean up."""
    args = parse_args(argv)
    if shutil.which(WRK) is None:
        print("wrk is not installed: apt-get install wrk", file=sys.stderr)
        return 2
    started = time.monotonic()
    workdir = Path(tempfile.mkdtemp(prefix="ductwork-bench-"))
    servers: list[Server] = []
    code = 0
    try:
        with interrupts_as_exit():
            run(args, workdir, servers)
    except BenchError as exc:
        print(f"error: {exc}", file=sys.stderr)
        code = 1
    except KeyboardInterrupt:
        print("interrupted", file=sys.stderr)
        code = 130
    finally:
        for server in reversed(servers):
            with contextlib.suppress(Exception):
                server.stop()
        shutil.rmtree(workdir, ignore_errors=True)
    print(f"total time {time.monotonic() - started:.0f} s", flush=True)
    return code


if __name__ == "__main__":
    sys.exit(main())
