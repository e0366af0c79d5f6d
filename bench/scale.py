"""Throughput of `ductwork serve --workers N` on PostgreSQL under a mixed read/write load.

Creates a scratch PostgreSQL database with `--accounts` tenants (8 by default, each with every
vendor's demo world), starts `ductwork serve --workers N` on it for each N (1, 2 and 4 by
default), and runs wrk with a Lua script that mixes reads of Phason `GET /devices` and Flair
`GET /api/rooms` with writes: Flair vents moved (`PATCH /api/vents/{id}`) and Automate Green
dimmer commands (`POST /devices/{id}/command`), spread over the tenants. Prints requests/s,
p99 latency and errors (non-2xx answers, socket errors; the goal is 0) per N. Needs wrk
(apt-get install wrk) and a PostgreSQL server where the user may create databases.
Run: .venv/bin/python bench/scale.py
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import psycopg

from phason_throughput import (
    BenchError,
    WrkResult,
    free_port,
    parse_wrk,
    server_problems,
    start_server,
    venv_python,
    wait_until_up,
)

POSTGRES_DEFAULT = "postgresql://postgres@127.0.0.1:5432/postgres"
TENANT_HISTORY_DAYS = 0.05
STARTUP_TIMEOUT = 300.0
FLAIR_SCOPES = "structures.view structures.edit vents.edit pucks.view"
# The mix, in requests out of 20: reads 14 (Phason devices 8, Flair rooms 6), writes 6 (Flair
# vents 3, Automate Green commands 3).
MIX = {"phason_devices": 8, "flair_rooms": 6, "flair_vent": 3, "ag_command": 3}

LUA = """\
-- Mixed ductwork load: the request kinds cycle through a fixed pattern (per connection
-- thread), writes pick a device and a level from a counter, so every run is the same.
local cfg = %(config)s
local pattern = {}
for kind, weight in pairs(cfg.mix) do
  for _ = 1, weight do pattern[#pattern + 1] = kind end
end
table.sort(pattern)
-- interleave: a stride that is prime to the pattern length spreads the kinds out
local n, counter = #pattern, 0

local function json_headers(extra)
  local h = {["Content-Type"] = "application/json"}
  for k, v in pairs(extra) do h[k] = v end
  return h
end

request = function()
  counter = counter + 1
  local kind = pattern[((counter * 7) %% n) + 1]
  -- the next tenant after each full pattern, so every kind reaches every tenant
  local t = cfg.tenants[(math.floor(counter / n) %% #cfg.tenants) + 1]
  if kind == "phason_devices" then
    return wrk.format("GET", cfg.phason_path, {["Phasonkey"] = t.phason_key})
  elseif kind == "flair_rooms" then
    return wrk.format("GET", cfg.rooms_path, {["Authorization"] = t.flair_auth})
  elseif kind == "flair_vent" then
    local vent = t.vents[(counter %% #t.vents) + 1]
    local body = '{"data":{"type":"vents","attributes":{"percent-open":' ..
      tostring((counter * 5) %% 101) .. '}}}'
    return wrk.format("PATCH", cfg.vent_prefix .. vent,
                      json_headers({["Authorization"] = t.flair_auth}), body)
  else
    local dimmer = t.dimmers[(counter %% #t.dimmers) + 1]
    local body = '{"command":{"name":"instant_on","level":' ..
      tostring((counter * 3) %% 101) .. '}}'
    return wrk.format("POST", cfg.ag_prefix .. dimmer .. "/command",
                      json_headers({["Authorization"] = t.ag_auth}), body)
  end
end
"""


@dataclass
class Run:
    """One wrk run against N workers."""

    workers: int
    result: WrkResult
    problems: list[str]


def parse_args(argv: Sequence[str] | None = None) -> argparse.Namespace:
    """The command-line options."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    default = os.environ.get("DUCTWORK_TEST_POSTGRES_URL", POSTGRES_DEFAULT)
    parser.add_argument(
        "--postgres", default=default, help="a server where a scratch database may be made"
    )
    parser.add_argument("--workers", default="1,2,4", help="worker counts (default 1,2,4)")
    parser.add_argument("--duration", type=int, default=15, help="seconds per wrk run (15)")
    parser.add_argument("--connections", type=int, default=32, help="wrk connections (32)")
    parser.add_argument("--threads", type=int, default=1, help="wrk threads (1)")
    parser.add_argument("--accounts", type=int, default=8,
                        help="accounts (tenants) the load is spread over (8)")  # fmt: skip
    parser.add_argument("--logs", type=Path, default=None, metavar="DIR",
                        help="keep the servers' logs in DIR (else removed at the end)")  # fmt: skip
    parser.add_argument("--only", default="", metavar="KIND,...",
                        help=f"only these request kinds of the mix ({', '.join(MIX)})")  # fmt: skip
    args = parser.parse_args(argv)
    kinds = [k for k in args.only.split(",") if k]
    if set(kinds) - set(MIX):
        parser.error(f"--only: kinds are {', '.join(MIX)}")
    args.mix = {k: w for k, w in MIX.items() if not kinds or k in kinds}
    try:
        args.counts = [int(n) for n in args.workers.split(",")]
    except ValueError:
        parser.error("--workers: a comma-separated list of integers")
    if min(args.counts) < 1 or min(args.duration, args.connections, args.accounts) < 1:
        parser.error("--workers, --duration, --connections and --accounts must be at least 1")
    return args


def lua_script(config: dict[str, object]) -> str:
    """The wrk script, with the credentials and ids as a Lua table."""

    def lua(value: object) -> str:
        if isinstance(value, dict):
            return "{" + ", ".join(f"[{lua(k)}] = {lua(v)}" for k, v in value.items()) + "}"
        if isinstance(value, list):
            return "{" + ", ".join(lua(v) for v in value) + "}"
        if isinstance(value, int):
            return str(value)
        return json.dumps(str(value))  # a JSON string is a valid Lua string here (ASCII)

    return LUA % {"config": lua(config)}


@dataclass
class Tenant:
    """An account made for the benchmark, with its demo worlds and credentials."""

    email: str
    password: str
    phason_key: str
    flair_client: tuple[str, str]  # client id, secret
    dimmers: list[str]


def make_tenants(data_dir: Path, database_url: str, count: int) -> list[Tenant]:
    """`count` accounts, each with every vendor's demo world (a little history), a Phason key
    and a Flair application; made in this process on the benchmark's database."""
    from ductwork.runtime import Runtime
    from ductwork.vendors.flair.backend import FlairBackend

    tenants = []
    runtime = Runtime.open(data_dir, database_url, flair_token_limit=0)
    try:
        for number in range(count):
            email, password = f"bench{number}@example.com", f"bench-password-{number}"
            account = runtime.accounts.create(email, password, seed=number + 1)
            worlds = runtime.add_demo_world(account, history_days=TENANT_HISTORY_DAYS)
            application, secret = runtime.backend(FlairBackend).service.applications.create(
                account, "bench"
            )
            devices: Any = worlds["automategreen"]
            tenants.append(Tenant(email, password, runtime.accounts.issue_key(account, "phason"),
                                  (application.client_id, secret),
                                  list(devices["devices"]["dimmer"])))  # fmt: skip
    finally:
        runtime.close()
    return tenants


def load_config(base: str, tenants: Sequence[Tenant], mix: dict[str, int]) -> dict[str, object]:
    """Keys, tokens and device ids for the script: a Flair client-credentials token, the vent
    ids and an Automate Green token of each tenant, asked of the running server."""
    rows = []
    with httpx.Client(base_url=base, timeout=30) as client:
        for tenant in tenants:
            client_id, secret = tenant.flair_client
            answer = client.post("/flair/oauth2/token", data={
                "grant_type": "client_credentials", "scope": FLAIR_SCOPES,
                "client_id": client_id, "client_secret": secret})  # fmt: skip
            if answer.status_code != 200:
                raise BenchError(f"Flair token: {answer.status_code} {answer.text[:300]}")
            flair_auth = f"Bearer {answer.json()['access_token']}"
            vents = client.get("/flair/api/vents", headers={"Authorization": flair_auth})
            if vents.status_code != 200:
                raise BenchError(f"Flair vents: {vents.status_code} {vents.text[:300]}")
            signed = client.post("/automategreen/v1/signin", data={
                "user[email]": tenant.email, "user[password]": tenant.password})  # fmt: skip
            if signed.status_code != 200:
                raise BenchError(f"Automate Green sign-in: {signed.status_code} {signed.text}")
            rows.append({
                "phason_key": tenant.phason_key,
                "flair_auth": flair_auth,
                "vents": [v["id"] for v in vents.json()["data"]],
                "ag_auth": f"Bearer {signed.json()['token']}",
                "dimmers": tenant.dimmers,
            })  # fmt: skip
    return {
        "mix": mix,
        "phason_path": "/phason/v1.0.3/devices",
        "rooms_path": "/flair/api/rooms",
        "vent_prefix": "/flair/api/vents/",
        "ag_prefix": "/automategreen/v1/devices/",
        "tenants": rows,
    }


def run_wrk(url: str, script: Path, args: argparse.Namespace, duration: int) -> WrkResult:
    """One wrk run with the mixed script."""
    argv = ["wrk", f"-t{args.threads}", f"-c{args.connections}", f"-d{duration}s", "--latency",
            "--timeout", "30s", "-s", str(script), url]  # fmt: skip
    completed = subprocess.run(argv, capture_output=True, text=True, check=False,
                               timeout=duration + 60)  # fmt: skip
    if completed.returncode != 0:
        raise BenchError(f"wrk failed:\n{completed.stderr or completed.stdout}")
    return parse_wrk(completed.stdout)


def measure(args: argparse.Namespace, database_url: str, data_dir: Path) -> list[Run]:
    """For each worker count: start the server, warm it up, run wrk, stop it."""
    python, runs = venv_python(), []
    script = data_dir / "mixed.lua"
    started = time.monotonic()
    tenants = make_tenants(data_dir, database_url, args.accounts)
    print(f"  {args.accounts} account(s) with demo worlds made in "
          f"{time.monotonic() - started:.1f} s", flush=True)  # fmt: skip
    for count in args.counts:
        port = free_port()
        base = f"http://127.0.0.1:{port}"
        server = start_server(
            f"ductwork --workers {count}",
            [python, "-m", "ductwork", "serve", "--port", str(port), "--vendor-ports", "none",
             "--data-dir", str(data_dir), "--database-url", database_url, "--log-level",
             "warning", "--no-demo", "--flair-token-limit", "0",
             "--workers", str(count)],
            (args.logs or data_dir) / f"serve-{count}.log",
        )  # fmt: skip
        try:
            waited = wait_until_up(server, f"{base}/_ductwork/health", STARTUP_TIMEOUT)
            print(f"  {count} worker(s) up after {waited:.1f} s", flush=True)
            if not script.exists():  # the tokens outlive the server: asked once
                script.write_text(lua_script(load_config(base, tenants, args.mix)))
            time.sleep(2.0)  # every worker started
            run_wrk(base, script, args, min(3, args.duration))  # warm-up
            result = run_wrk(base, script, args, args.duration)
        finally:
            server.stop()
        p99 = f"{result.p99_ms:.1f} ms" if result.p99_ms is not None else "?"
        print(f"  {count} worker(s): {result.requests_per_second:,.1f} req/s, p99 {p99}, "
              f"errors: {result.errors or 0}", flush=True)  # fmt: skip
        runs.append(Run(count, result, server_problems(server)))
    return runs


def report(runs: Sequence[Run], args: argparse.Namespace) -> None:
    """The table: one line per worker count."""
    cores = os.cpu_count()
    print()
    mix = ", ".join(f"{kind} {weight}" for kind, weight in args.mix.items())
    print(f"wrk -t{args.threads} -c{args.connections}, {args.duration} s a run, "
          f"{args.accounts} account(s); mix (weights): {mix}; {cores} cores")  # fmt: skip
    header = f"{'workers':>7} {'req/s':>10} {'vs 1':>6} {'p99 ms':>8}  errors"
    print(header)
    print("-" * len(header))
    first = runs[0].result.requests_per_second if runs else 0.0
    for run in runs:
        ratio = run.result.requests_per_second / first if first else 0.0
        p99 = f"{run.result.p99_ms:.1f}" if run.result.p99_ms is not None else "?"
        print(f"{run.workers:>7} {run.result.requests_per_second:>10,.1f} {ratio:>6.2f} "
              f"{p99:>8}  {run.result.errors or 0}")  # fmt: skip
    for run in runs:
        for line in run.problems[:10]:
            print(f"  server log ({run.workers} workers): {line}")


def main(argv: Sequence[str] | None = None) -> int:
    """Run the benchmark; 0 unless it could not run."""
    args = parse_args(argv)
    name = f"ductwork_scale_{os.getpid()}"
    try:
        with psycopg.connect(args.postgres, autocommit=True, connect_timeout=5) as connection:
            connection.execute(f'CREATE DATABASE "{name}"')
    except psycopg.OperationalError as exc:
        print(f"PostgreSQL is not reachable at {args.postgres}: {exc}", file=sys.stderr)
        return 1
    database_url = f"{args.postgres.rsplit('/', 1)[0]}/{name}"
    try:
        with tempfile.TemporaryDirectory(prefix="ductwork-scale-") as tmp:
            report(measure(args, database_url, Path(tmp)), args)
    except BenchError as exc:
        print(f"benchmark failed: {exc}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        return 130
    finally:
        with psycopg.connect(args.postgres, autocommit=True) as connection:
            connection.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    return 0


if __name__ == "__main__":
    sys.exit(main())
