"""A soak: one `ductwork serve` process, as `make serve` runs it (SQLite in the data dir, the
access log on), under a mixed read/write load for ten minutes with every clock running fast.

Makes `--accounts` tenants with every vendor's demo world, starts the server, sets each
tenant's clock to `--speed` times real time (60: the ten minutes are ten simulated hours, so
the twins step, write history and fire rules all along), measures the idle RSS, then runs wrk
with bench/scale.py's mix (Phason `GET /devices`, Flair `GET /api/rooms`, Flair vent writes,
Automate Green dimmer commands) for `--duration` seconds, sampling the server's RSS every
`--sample` seconds. Prints the RSS samples, requests/s, p99, errors (goal 0) and the server
log's warnings and errors, and checks the RSS bound: after the first minute (warm caches,
compiled kernels, connection pools), RSS may grow by at most `--bound` MB (default 40).
Exit status 1 when the bound is broken or there were errors. Needs wrk (apt-get install wrk).

    .venv/bin/python bench/soak.py                     # 10 minutes
    .venv/bin/python bench/soak.py --duration 120 --database postgresql
"""

from __future__ import annotations

import argparse
import os
import secrets
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Sequence
from pathlib import Path

import httpx
import psycopg

from phason_throughput import (
    BenchError,
    free_port,
    parse_wrk,
    server_problems,
    start_server,
    venv_python,
    wait_until_up,
)
from scale import MIX, load_config, lua_script, make_tenants

POSTGRES_DEFAULT = "postgresql://postgres@127.0.0.1:5432/postgres"
WARM_SECONDS = 60.0


def rss_mb(pid: int) -> float:
    """A process's resident set size in MB (Linux /proc)."""
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    raise BenchError(f"no VmRSS for {pid}")


def parse_args(argv: Sequence[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--duration", type=int, default=600, help="seconds of load (600)")
    parser.add_argument("--connections", type=int, default=16, help="wrk connections (16)")
    parser.add_argument("--accounts", type=int, default=4, help="tenants (4)")
    parser.add_argument("--speed", type=float, default=60.0,
                        help="every clock's speed, x real time (60)")  # fmt: skip
    parser.add_argument("--sample", type=float, default=10.0, help="seconds between RSS samples")
    parser.add_argument("--bound", type=float, default=40.0,
                        help="MB the RSS may grow after the first minute (40)")  # fmt: skip
    parser.add_argument("--database", choices=["sqlite", "postgresql"], default="sqlite")
    parser.add_argument("--postgres", default=os.environ.get("DUCTWORK_TEST_POSTGRES_URL",
                                                             POSTGRES_DEFAULT))  # fmt: skip
    args = parser.parse_args(argv)
    if args.duration <= WARM_SECONDS:
        parser.error(f"--duration must be more than the {WARM_SECONDS:.0f} s warm-up")
    return args


def soak(args: argparse.Namespace, data_dir: Path, database_url: str | None) -> int:
    """Run the soak on one data dir (and database); returns the exit status."""
    started = time.monotonic()
    url = database_url or f"sqlite:///{data_dir / 'ductwork.sqlite3'}"
    tenants = make_tenants(data_dir, url, args.accounts)
    print(f"{args.accounts} tenants with demo worlds made in {time.monotonic() - started:.1f} s",
          flush=True)  # fmt: skip
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    database = ["--database-url", database_url] if database_url else []
    # `make serve`'s configuration: the default log level (info: uvicorn's access log on).
    server = start_server("ductwork serve", [
        venv_python(), "-m", "ductwork", "serve", "--port", str(port), "--vendor-ports", "none",
        "--data-dir", str(data_dir), *database, "--no-demo", "--flair-token-limit", "0",
    ], data_dir / "serve.log")  # fmt: skip
    try:
        wait_until_up(server, f"{base}/_ductwork/health", 300)
        pid = server.process.pid
        with httpx.Client(base_url=base, timeout=30) as client:
            for tenant in tenants:
                clock = {"account": tenant.email, "speed": args.speed}
                answer = client.post("/_ductwork/clock", json=clock)
                if answer.status_code != 200:
                    raise BenchError(f"clock: {answer.status_code} {answer.text}")
        script = data_dir / "mixed.lua"
        script.write_text(lua_script(load_config(base, tenants, MIX)))
        time.sleep(5)
        idle = rss_mb(pid)
        print(f"idle RSS {idle:.0f} MB (server up, tenants signed in, no load)", flush=True)
        samples: list[tuple[float, float]] = []
        done = threading.Event()

        def sample() -> None:
            origin = time.monotonic()
            while not done.wait(args.sample):
                samples.append((time.monotonic() - origin, rss_mb(pid)))
                at, value = samples[-1]
                print(f"  {at:6.0f} s  RSS {value:7.1f} MB", flush=True)

        sampler = threading.Thread(target=sample, daemon=True)
        sampler.start()
        argv = ["wrk", "-t1", f"-c{args.connections}", f"-d{args.duration}s", "--latency",
                "--timeout", "30s", "-s", str(script), base]  # fmt: skip
        completed = subprocess.run(argv, capture_output=True, text=True, check=False,
                                   timeout=args.duration + 120)  # fmt: skip
        done.set()
        sampler.join()
        if completed.returncode != 0:
            raise BenchError(f"wrk failed:\n{completed.stderr or completed.stdout}")
        result = parse_wrk(completed.stdout)
        end = rss_mb(pid)
    finally:
        server.stop()
    warm = [value for at, value in samples if at >= WARM_SECONDS]
    start_rss = warm[0] if warm else end
    growth = end - start_rss
    problems = server_problems(server)
    print()
    print(f"soak: {args.duration} s, wrk -c{args.connections}, {args.accounts} tenants, clocks "
          f"x{args.speed:g}, {args.database}")  # fmt: skip
    print(f"  requests        {result.requests:,} ({result.requests_per_second:,.1f}/s)")
    print(f"  p99             {result.p99_ms:.1f} ms" if result.p99_ms is not None else
          "  p99             ?")  # fmt: skip
    print(f"  errors          {result.errors or 0}")
    print(f"  RSS idle        {idle:.1f} MB")
    print(f"  RSS after 1 min {start_rss:.1f} MB")
    print(f"  RSS at the end  {end:.1f} MB (max {max(v for _, v in samples):.1f} MB)")
    verdict = "OK" if growth <= args.bound else "BROKEN"
    print(f"  growth          {growth:+.1f} MB (bound {args.bound:g} MB): {verdict}")
    for line in problems[:20]:
        print(f"  server log: {line}")
    return 0 if growth <= args.bound and not result.errors and not problems else 1


def main(argv: Sequence[str] | None = None) -> int:
    args = parse_args(argv)
    with tempfile.TemporaryDirectory(prefix="ductwork-soak-") as directory:
        data_dir = Path(directory)
        if args.database == "sqlite":
            return soak(args, data_dir, None)
        name = f"ductwork_soak_{secrets.token_hex(4)}"
        with psycopg.connect(args.postgres, autocommit=True, connect_timeout=5) as admin:
            admin.execute(f'CREATE DATABASE "{name}"')
        try:
            return soak(args, data_dir, f"{args.postgres.rsplit('/', 1)[0]}/{name}")
        finally:
            with psycopg.connect(args.postgres, autocommit=True) as admin:
                admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


if __name__ == "__main__":
    try:
        sys.exit(main())
    except BenchError as exc:
        print(f"soak: {exc}", file=sys.stderr)
        sys.exit(2)
