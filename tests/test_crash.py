"""Crash durability, the short version of bench/crash.py: a real `ductwork serve` SIGKILLed
while one client writes to every vendor, started again on the same data, every acknowledged
write read back, every webhook of the outbox received after the restart."""

from __future__ import annotations

import os
import sys
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import httpx
import pytest

from tests.conftest import POSTGRES_DEFAULT, POSTGRES_ENV

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "bench"))
import crash  # bench/ is not a package: its directory goes on the path

pytestmark = pytest.mark.live


def test_acknowledged_writes_and_pending_webhooks_survive_a_kill() -> None:
    """No acknowledged write is lost, and every message of the webhook outbox (those pending
    at the kill included) reaches the receiver after the restart: 2 trials on SQLite and 1
    on PostgreSQL, the two databases at once (a kill that leaves a message leased to the dead
    process makes its trial wait the lease out, about a minute)."""
    postgres = os.environ.get(POSTGRES_ENV, POSTGRES_DEFAULT)
    receiver = crash.Receiver(delay=0.0)
    try:
        with ThreadPoolExecutor(2) as pool:
            runs = [
                pool.submit(crash.run, database, trials, postgres, receiver, kill_window=(0.5, 1.5))
                for database, trials in (("sqlite", 2), ("postgresql", 1))
            ]
            results = [result for run in runs for result in run.result()]
    finally:
        receiver.close()
    assert [r.database for r in results] == ["sqlite", "sqlite", "postgresql"]
    for result in results:
        assert result.writes > 0, "the writer acknowledged nothing before the kill"
        assert result.checked > 0
        assert result.lost == [], result.lost
        assert result.refused == [], result.refused
        assert result.webhooks_expected > 0, "no webhook was made: the check would be empty"
        assert result.missing == [], result.missing
        assert result.server_errors == [], result.server_errors
        assert 0 < result.restart < 60


def _reader(value: crash.Value | None) -> Callable[[httpx.Client], crash.Value | None]:
    return lambda _http: value


@pytest.mark.parametrize(
    ("stored", "lost"),
    [
        (21.5, False),  # the last acknowledged value
        (22.0, False),  # sent after it, no answer (in flight at the kill)
        (20.0, True),  # an older value: the acknowledged write was lost
        (None, True),  # the object is gone
    ],
)
def test_lost_writes_tells_a_lost_write(stored: crash.Value | None, lost: bool) -> None:
    """Only a value that is neither the last acknowledged one nor one sent after it counts."""
    ledger = crash.Ledger(
        acked={"room": 21.5}, unanswered={"room": [22.0]}, readers={"room": _reader(stored)}
    )
    with httpx.Client() as http:
        assert bool(crash.lost_writes(ledger, http)) is lost
