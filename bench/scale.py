"""Throughput of `ductwork serve --workers N` on PostgreSQL under a mixed read/write load.

Creates a scratch PostgreSQL database, starts `ductwork serve --workers N` on it for each N
(1, 2 and 4 by default; the demo world is created by the first start and kept), and runs wrk
with a Lua script that mixes reads of Phason `GET /devices` and Flair `GET /api/rooms` with
writes: Flair vents moved (`PATCH /api/vents/{id}`) and Automate Green dimmer commands
(`POST /devices/{id}/command`). Prints requests/s, p99 latency and errors (non-2xx answers,
socket errors; the goal is 0) per N. Needs wrk (apt-get install wrk) and a PostgreSQL server
where the user may create databases. Run: .venv/bin/python bench/scale.py
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

import httpx
import psycopg

from phason_throughput import (
    REPO,
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
HISTORY_DAYS = "0.25"
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
  if kind == "phason_devices" then
    return wrk.format("GET", cfg.phason_path, {["Phasonkey"] = cfg.phason_key})
  elseif kind == "flair_rooms" then
    return wrk.format("GET", cfg.rooms_path, {["Authorization"] = cfg.flair_auth})
  elseif kind == "flair_vent" then
    local vent = cfg.vents[(counter %% #cfg.vents) + 1]
    local body = '{"data":{"type":"vents","attributes":{"percent-open":' ..
      tostring((counter * 5) %% 101) .. '}}}'
    return wrk.format("PATCH", cfg.vent_prefix .. vent,
                      json_headers({["Authorization"] = cfg.flair_auth}), body)
  else
    local dimmer = cfg.dimmers[(counter %% #cfg.dimmers) + 1]
    local body = '{"command":{"name":"instant_on","level":' ..
      tostring((counter * 3) %% 101) .. '}}'
    return wrk.format("POST", cfg.ag_prefix .. dimmer .. "/command",
                      json_headers({["Authorization"] = cfg.ag_auth}), body)
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
    args = parser.parse_args(argv)
    try:
        args.counts = [int(n) for n in args.workers.split(",")]
    except ValueError:
        parser.error("--workers: a comma-separated list of integers")
    if min(args.counts) < 1 or args.duration < 1 or args.connections < 1:
        parser.error("--workers, --duration and --connections must be at least 1")
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


def load_config(python: str, data_dir: Path, base: str) -> dict[str, object]:
    """Keys, tokens and device ids for the script, from `ductwork credentials --json` and the
    APIs (a Flair client-credentials token, the vent ids)."""
    completed = subprocess.run(
        [python, "-m", "ductwork", "credentials", "--data-dir", str(data_dir), "--json"],
        capture_output=True, text=True, cwd=REPO, check=False, timeout=60,
    )  # fmt: skip
    if completed.returncode != 0:
        raise BenchError(f"ductwork credentials failed:\n{completed.stderr}")
    creds = json.loads(completed.stdout)
    flair, ag = creds["flair"], creds["automategreen"]
    with httpx.Client(base_url=base, timeout=30) as client:
        answer = client.post("/flair/oauth2/token", data={
            "grant_type": "client_credentials", "scope": FLAIR_SCOPES,
            "client_id": flair["client_id"], "client_secret": flair["client_secret"]})  # fmt: skip
        if answer.status_code != 200:
            raise BenchError(f"Flair token: {answer.status_code} {answer.text[:300]}")
        flair_auth = f"Bearer {answer.json()['access_token']}"
        vents = client.get("/flair/api/vents", headers={"Authorization": flair_auth})
        if vents.status_code != 200:
            raise BenchError(f"Flair vents: {vents.status_code} {vents.text[:300]}")
        vent_ids = [v["id"] for v in vents.json()["data"]]
    return {
        "mix": MIX,
        "phason_path": "/phason/v1.0.3/devices",
        "phason_key": creds["phason"]["api_key"],
        "rooms_path": "/flair/api/rooms",
        "flair_auth": flair_auth,
        "vent_prefix": "/flair/api/vents/",
        "vents": vent_ids,
        "ag_prefix": "/automategreen/v1/devices/",
        "ag_auth": f"Bearer {ag['token']}",
        "dimmers": ag["devices"]["dimmer"],
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
    for count in args.counts:
        port = free_port()
        base = f"http://127.0.0.1:{port}"
        server = start_server(
            f"ductwork --workers {count}",
            [python, "-m", "ductwork", "serve", "--port", str(port), "--vendor-ports", "none",
             "--data-dir", str(data_dir), "--database-url", database_url, "--log-level",
             "warning", "--history-days", HISTORY_DAYS, "--flair-token-limit", "0",
             "--workers", str(count)],
            data_dir / f"serve-{count}.log",
        )  # fmt: skip
        try:
            waited = wait_until_up(server, f"{base}/_ductwork/health", STARTUP_TIMEOUT)
            print(f"  {count} worker(s) up after {waited:.1f} s", flush=True)
            script.write_text(lua_script(load_config(python, data_dir, base)))
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
    print(f"wrk -t{args.threads} -c{args.connections}, {args.duration} s a run; mix per 20 "
          f"requests: {', '.join(f'{k} {v}' for k, v in MIX.items())}; {cores} cores")  # fmt: skip
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
