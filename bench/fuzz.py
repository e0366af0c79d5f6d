"""Conformance fuzzing: schemathesis, with all its checks, against every published OpenAPI
document of a real `ductwork serve` process.

For each API the script signs in as the demo account would (a Phason API key, a Phason v1.0.2
token through the authorization-code flow, a Flair client-credentials token, an Automate Green
token), runs `schemathesis run` on the API's own `/openapi.json`, and prints one line per API:
generated test cases, failures and the schemathesis exit status. At the end it reads the
server's log: any traceback or ERROR line is a failure too, whatever schemathesis saw.

    .venv/bin/python bench/fuzz.py                          # make fuzz: >= 10,000 cases per API
    .venv/bin/python bench/fuzz.py --cases 300 --database postgresql

What is non-conformant on purpose (the vendor's real behaviour) is allowed in
`schemathesis.toml` at the repository's root, each entry with its reason. The exit status is
0 only when every API ended with no failure and the log holds no error.
"""

from __future__ import annotations

import argparse
import math
import os
import re
import subprocess
import sys
import time
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx

from crash import REPO, BenchError, Server, _ok, credentials, phason_token, scratch
from ductwork.vendors.flair.models.access import ALL_SCOPES

SCHEMATHESIS = Path(sys.executable).with_name("schemathesis")
CONFIG = REPO / "schemathesis.toml"
POSTGRES_DEFAULT = "postgresql://postgres@127.0.0.1:5432/postgres"
_CASES = re.compile(r"(\d+) generated")


@dataclass(frozen=True)
class Target:
    """One published API: its name, prefix on the main port and the headers that sign in."""

    name: str
    prefix: str
    headers: dict[str, str]
    auth: tuple[str, str] | None = None


@dataclass(frozen=True)
class Outcome:
    """What schemathesis reported for one API."""

    target: Target
    operations: int
    cases: int
    status: int
    seconds: float
    output: str

    @property
    def failures(self) -> int:
        """The summary's failure count (0 when it reports none)."""
        found = re.search(r"(\d+) failures?\b", self.output.rsplit("SUMMARY", 1)[-1])
        return int(found.group(1)) if found else (0 if self.status == 0 else 1)


def flair_token(http: httpx.Client, creds: dict[str, Any]) -> str:
    """A Flair client-credentials token of the demo application with every scope (a scope
    left out would make its operations 403 only, their bodies never reached)."""
    token = _ok(http.post("/flair/oauth2/token", data={
        "grant_type": "client_credentials", "scope": " ".join(ALL_SCOPES),
        "client_id": creds["flair"]["client_id"],
        "client_secret": creds["flair"]["client_secret"]}))  # fmt: skip
    return str(token.json()["access_token"])


API_NAMES = ("Phason v1.0.3", "Phason v1.0.2", "Flair", "Automate Green v1")


def targets(http: httpx.Client, creds: dict[str, Any]) -> list[Target]:
    """Every API with a published document, signed in as the demo account."""
    email, password = creds["email"], creds["password"]
    phason = {"Phasonkey": creds["phason"]["api_key"]}
    oauth = {"Authorization": f"Bearer {phason_token(http, creds)}"}
    return [
        Target(API_NAMES[0], "/phason/v1.0.3", phason, (email, password)),
        Target(API_NAMES[1], "/phason", oauth),
        Target(API_NAMES[2], "/flair", {"Authorization": f"Bearer {flair_token(http, creds)}"}),
        Target(API_NAMES[3], "/automategreen/v1",
               {"Authorization": f"Bearer {creds['automategreen']['token']}"}),
    ]  # fmt: skip


PHASES = "examples,coverage,fuzzing"


def fuzz(base: str, target: Target, cases: int, seed: int, workers: int,
         phases: str = PHASES) -> Outcome:  # fmt: skip
    """`schemathesis run` with every check on one API, about `cases` test cases in all."""
    document = httpx.get(f"{base}{target.prefix}/openapi.json", timeout=30).json()
    operations = sum(len(methods) for methods in document["paths"].values())
    examples = max(1, math.ceil(cases / max(operations, 1)))
    command = [
        str(SCHEMATHESIS), "--config-file", str(CONFIG), "--no-color", "run",
        f"{base}{target.prefix}/openapi.json", "--url", f"{base}{target.prefix}",
        "--checks", "all", "--phases", phases,
        "--max-examples", str(examples), "--seed", str(seed), "--workers", str(workers),
        "--generation-database", "none", "--request-timeout", "30",
        "--suppress-health-check", "all", "--max-failures", "50",
    ]  # fmt: skip
    for name, value in target.headers.items():
        command += ["--header", f"{name}: {value}"]
    if target.auth is not None:
        command += ["--auth", ":".join(target.auth)]
    started = time.monotonic()
    done = subprocess.run(command, capture_output=True, text=True, cwd=REPO, check=False)
    seconds = time.monotonic() - started
    output = done.stdout + done.stderr
    found = _CASES.findall(output)
    return Outcome(target, operations, int(found[-1]) if found else 0, done.returncode,
                   seconds, output)  # fmt: skip


def rss_mb(pid: int) -> float:
    """A process's resident set size in MB (Linux /proc)."""
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return float("nan")


Errors = list[str]


def run(database: str, postgres: str, cases: int, seed: int, workers: int,
        only: Sequence[str] = (), phases: str = PHASES
        ) -> tuple[list[Outcome], Errors]:  # fmt: skip
    """Fuzz every API of one server on one database; the outcomes and the log's error lines."""
    with scratch(database, postgres) as (data_dir, url):
        server = Server(data_dir, url)
        server.start()
        try:
            creds = credentials(data_dir)
            with httpx.Client(base_url=server.base, timeout=30) as http:
                chosen = [t for t in targets(http, creds) if not only or t.name in only]
            outcomes = []
            assert server.process is not None
            pid = server.process.pid
            started_rss = rss_mb(pid)
            for target in chosen:
                outcome = fuzz(server.base, target, cases, seed, workers, phases)
                print(f"  {database:<10} {target.name:<18} {outcome.operations:>4} operations "
                      f"{outcome.cases:>7,} cases {outcome.failures:>4} failures "
                      f"{outcome.seconds:>6.1f} s  server RSS {rss_mb(pid):,.0f} MB",
                      flush=True)  # fmt: skip
                outcomes.append(outcome)
            print(f"  {database:<10} server RSS {started_rss:,.0f} MB before fuzzing, "
                  f"{rss_mb(pid):,.0f} MB after", flush=True)  # fmt: skip
        finally:
            server.stop()
        return outcomes, server.errors()


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0] if __doc__ else None)
    parser.add_argument("--cases", type=int, default=10_000,
                        help="test cases to generate per API (default 10,000)")  # fmt: skip
    parser.add_argument("--database", choices=["sqlite", "postgresql", "both"], default="both")
    parser.add_argument("--postgres", default=os.environ.get("DUCTWORK_TEST_POSTGRES",
                                                             POSTGRES_DEFAULT))  # fmt: skip
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--api", action="append", default=[],
                        help="only this API (by its name as printed; repeatable)")  # fmt: skip
    parser.add_argument("--verbose", action="store_true",
                        help="print schemathesis's whole output for every API")  # fmt: skip
    args = parser.parse_args(argv)
    databases = ["sqlite", "postgresql"] if args.database == "both" else [args.database]
    failed = False
    try:
        for database in databases:
            outcomes, errors = run(database, args.postgres, args.cases, args.seed,
                                   args.workers, args.api)  # fmt: skip
            for outcome in outcomes:
                if outcome.status != 0 or args.verbose:
                    print(outcome.output)
                failed |= outcome.status != 0
            if errors:
                print(f"  {database}: the server logged {len(errors)} error lines:")
                print("\n".join(f"    {line}" for line in errors[:40]))
                failed = True
    except BenchError as exc:
        print(f"fuzz: {exc}", file=sys.stderr)
        return 2
    print("fuzz: " + ("FAILED" if failed else "every API conformant, no server error logged"))
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
