"""The 24-hour history endpoints against what their rows cost raw.

Starts `ductwork serve` on a fresh data dir with the demo world (`--history-days 1.1`,
SQLite, the default configuration otherwise), and for each history endpoint of the demo barn
(Phason v1.0.3 `equipment_groups/history`, `outputs/history`, `inputs`, with `start` and `end`
spanning the last 24 hours of device time) times:

- ductwork: one GET over HTTP (keep-alive, sequential), the median of `--rounds`;
- raw: in this process, on the same database file, the SQL query of the same hour rows
  (`SELECT ... FROM <hours table> WHERE id IN (...) AND hour BETWEEN ...`, fetched) plus
  `orjson.dumps` of the very records the endpoint answered (parsed beforehand), the median
  of `--rounds`;
- transfer: a bare ASGI app on the same server software answering the same bytes, one GET
  over HTTP, the median of `--rounds` (what moving the bytes costs, whatever makes them).

It prints the three times, the response size and ductwork / (raw + transfer), against the
target of 3. Run: .venv/bin/python bench/history.py
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import statistics
import sys
import tempfile
import time
from collections.abc import Callable, Sequence
from functools import partial
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import httpx
import orjson
import sqlalchemy as sa

from phason_throughput import (
    BASELINE_APP,
    BenchError,
    free_port,
    server_problems,
    start_server,
    venv_python,
    wait_until_up,
)

PREFIX = "/phason/v1.0.3"
TARGET = 3.0
# (path, hours table, its key, the rows it keys: one demo barn in the database)
ENDPOINTS = [
    ("equipment_groups/history", "phason_group_hours", "group_id", "SELECT id FROM phason_groups"),
    ("outputs/history", "phason_io_hours", "io_id",
     "SELECT id FROM phason_ios WHERE direction = 'output'"),
    ("inputs", "phason_io_hours", "io_id", "SELECT id FROM phason_ios WHERE direction = 'input'"),
]  # fmt: skip


def median_ms(action: Callable[[], Any], rounds: int) -> float:
    """The median wall time of an action, in ms (one warm-up call first)."""
    action()
    times = []
    for _ in range(rounds):
        started = time.perf_counter()
        action()
        times.append((time.perf_counter() - started) * 1000)
    return statistics.median(times)


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--rounds", type=int, default=15, help="timed requests each (15)")
    args = parser.parse_args(argv)
    python = venv_python()
    with tempfile.TemporaryDirectory(prefix="ductwork-history-") as directory:
        data_dir = Path(directory)
        port, bare_port = free_port(), free_port()
        server = start_server("ductwork serve", [
            python, "-m", "ductwork", "serve", "--port", str(port), "--vendor-ports", "none",
            "--data-dir", str(data_dir), "--history-days", "1.1",
        ], data_dir / "serve.log")  # fmt: skip
        bodies = data_dir / "bodies"
        bodies.mkdir()
        base = f"http://127.0.0.1:{port}"
        rows: list[tuple[str, int, float, float, float]] = []
        try:
            wait_until_up(server, f"{base}/_ductwork/health", 600)
            import subprocess

            creds = orjson.loads(subprocess.run(
                [python, "-m", "ductwork", "credentials", "--json", "--data-dir", str(data_dir)],
                capture_output=True, check=True).stdout)  # fmt: skip
            key = creds["phason"]["api_key"]
            device = creds["phason"]["device_ids"][0]
            engine = sa.create_engine(f"sqlite:///{data_dir / 'ductwork.sqlite3'}")
            with httpx.Client(base_url=base, headers={"Phasonkey": key}, timeout=60) as client:
                clock = client.get(f"{PREFIX}/devices/{device}/time").json()
                zone = ZoneInfo(clock["timezone"])
                now = dt.datetime.strptime(clock["datetime"], "%Y-%m-%d %H:%M:%S")
                start = (now - dt.timedelta(hours=24)).strftime("%Y-%m-%d %H:%M:%S")
                end = now.strftime("%Y-%m-%d %H:%M:%S")
                params = {"start": start, "end": end}
                epoch = now.replace(tzinfo=zone).timestamp()
                last_hour = int(epoch // 3600)
                first_hour = last_hour - 25
                answers = {}
                for path, *_ in ENDPOINTS:
                    answer = client.get(f"{PREFIX}/devices/{device}/{path}", params=params)
                    if answer.status_code != 200:
                        raise BenchError(f"{path}: {answer.status_code} {answer.text[:200]}")
                    answers[path] = answer.content
                    (bodies / path.replace("/", "_")).write_bytes(answer.content)
                bare = _bare_server(python, bare_port, bodies, data_dir)
                try:
                    wait_until_up(bare, f"http://127.0.0.1:{bare_port}/health", 60)
                    with httpx.Client(base_url=f"http://127.0.0.1:{bare_port}") as raw_client:
                        for path, table, key_column, owner in ENDPOINTS:
                            url = f"{PREFIX}/devices/{device}/{path}"
                            ours = median_ms(partial(client.get, url, params=params),
                                             args.rounds)  # fmt: skip
                            records = orjson.loads(answers[path])
                            query = sa.text(
                                f"SELECT {key_column}, hour, data FROM {table} WHERE {key_column}"
                                f" IN ({owner}) AND hour BETWEEN :a AND :b")  # fmt: skip

                            def raw(q: Any = query, r: Any = records) -> bytes:
                                with engine.connect() as connection:
                                    connection.execute(q, {"a": first_hour, "b": last_hour}).all()
                                return orjson.dumps(r)

                            raw_ms = median_ms(raw, args.rounds)
                            name = path.replace("/", "_")
                            transfer = median_ms(partial(raw_client.get, f"/{name}"),
                                                 args.rounds)  # fmt: skip
                            rows.append((path, len(answers[path]), ours, raw_ms, transfer))
                finally:
                    bare.stop()
        finally:
            server.stop()
        problems = server_problems(server)
    print(f"{'endpoint (24 h)':<26} {'bytes':>10} {'ductwork ms':>12} {'raw ms':>8} "
          f"{'transfer ms':>12} {'ratio':>6}  target {TARGET:g}")  # fmt: skip
    worst = 0.0
    for path, size, ours, raw_ms, transfer in rows:
        ratio = ours / (raw_ms + transfer)
        worst = max(worst, ratio)
        verdict = "OK" if ratio <= TARGET else "over"
        print(f"{path:<26} {size:>10,} {ours:>12.1f} {raw_ms:>8.1f} {transfer:>12.1f} "
              f"{ratio:>6.2f}  {verdict}")  # fmt: skip
    for line in problems[:10]:
        if "WARNING" in line or "ERROR" in line or "Traceback" in line:
            print(f"  server log: {line}")
    return 0


def _bare_server(python: str, port: int, bodies: Path, data_dir: Path) -> Any:
    """The bare ASGI app answering each saved body at /<name> (and /health)."""
    app = data_dir / "bare_history.py"
    app.write_text(BARE_APP)
    env = {**os.environ, "BENCH_BODIES": str(bodies), "PYTHONPATH": str(data_dir)}
    return start_server("bare app", [
        python, "-m", "uvicorn", "bare_history:app", "--port", str(port), "--log-level",
        "warning", "--no-access-log",
    ], data_dir / "bare.log", env=env)  # fmt: skip


BARE_APP = """\
import os
from pathlib import Path

_BODIES = {"/" + p.name: p.read_bytes() for p in Path(os.environ["BENCH_BODIES"]).iterdir()}
_BODIES["/health"] = b"{}"


async def app(scope, receive, send):
    if scope["type"] != "http":
        return
    body = _BODIES.get(scope["path"], b"")
    headers = [(b"content-length", str(len(body)).encode()), (b"content-type", b"application/json")]
    await send({"type": "http.response.start", "status": 200 if body else 404, "headers": headers})
    await send({"type": "http.response.body", "body": body})
"""
assert BASELINE_APP  # the same server software as bench/phason_throughput.py's baseline


if __name__ == "__main__":
    try:
        sys.exit(main())
    except BenchError as exc:
        print(f"history: {exc}", file=sys.stderr)
        sys.exit(2)
