"""`ductwork serve --workers N` on PostgreSQL, with real processes: both workers answer on the
shared ports, a write through one is read back at once through the other (Automate Green
dimmer levels, Flair vents), revoked Phason keys and Automate Green tokens stop working on
every worker within the two-second credential cache, a Flair webhook goes out once with two
deliverers running, a killed worker is replaced, SIGTERM stops them all, and SQLite is refused.

Connections stay with the process that accepted them, so a request "through worker P" is sent
on a fresh keep-alive connection whose `/_ductwork/health` answered P, and the health is asked
again afterwards on the same connection to make sure it did not move.
"""

from __future__ import annotations

import contextlib
import os
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest

from ductwork.core.oauth.tokens import CACHE_SECONDS
from ductwork.runtime import Runtime
from tests.conftest import (
    FLAIR,
    PREFIX,
    T0,
    FlairTenant,
    World,
    _drop_postgres,
    _flair_tenant,
    _free_port,
    _postgres_database,
    _tenant,
)
from tests.test_automategreen_api import AG, claims, sign_in
from tests.test_automategreen_api import _tenant as ag_tenant
from tests.test_flair_api import bearer, first, token
from tests.test_flair_callbacks import SCOPES, Receiver, move_vent, register, verify

WORKERS = 2
SLACK = 0.5  # seconds: polling and scheduling on top of the cache time


@dataclass(frozen=True)
class Server:
    """A running `ductwork serve --workers N`: its process (the parent), URL and log."""

    process: subprocess.Popen[bytes]
    base: str
    log: Path

    def health(self, client: httpx.Client) -> int:
        """The pid of the worker that answers on this client's connection."""
        response = client.get("/_ductwork/health")
        assert response.status_code == 200, response.text
        assert response.json()["database"] == "postgresql"
        return int(response.json()["pid"])

    def pids(self, count: int = WORKERS, attempts: int = 400) -> set[int]:
        """The worker pids seen on fresh connections, until `count` different ones answered."""
        seen: set[int] = set()
        for _ in range(attempts):
            with httpx.Client(base_url=self.base, timeout=10) as fresh:
                seen.add(self.health(fresh))
            if len(seen) >= count:
                return seen
        pytest.fail(f"only workers {seen} answered on {attempts} fresh connections")

    @contextlib.contextmanager
    def through(self, pid: int, attempts: int = 400) -> Iterator[httpx.Client]:
        """A client whose one connection is served by worker `pid` (checked again after)."""
        for _ in range(attempts):
            client = httpx.Client(base_url=self.base, timeout=10,
                                  limits=httpx.Limits(max_connections=1))  # fmt: skip
            try:
                if self.health(client) != pid:
                    continue
                yield client
                assert self.health(client) == pid, "the connection moved to another worker"
                return
            finally:
                client.close()
        pytest.fail(f"worker {pid} never accepted a connection in {attempts} tries")

    def request(self, pid: int, method: str, path: str, **options: Any) -> httpx.Response:
        """One request through worker `pid`."""
        with self.through(pid) as client:
            return client.request(method, path, **options)


def _start(data_dir: Path, database_url: str, *options: str) -> Server:
    """`ductwork serve --workers 2` on the database; returns once a worker answers."""
    port = _free_port()
    log = data_dir / f"serve-{port}.log"
    process = subprocess.Popen(
        [sys.executable, "-m", "ductwork", "serve", "--port", str(port), "--data-dir",
         str(data_dir), "--database-url", database_url, "--no-demo", "--log-level", "warning",
         "--vendor-ports", "none", "--flair-token-limit", "0", "--workers", str(WORKERS),
         *options],
        stdout=log.open("wb"),
        stderr=subprocess.STDOUT,
    )  # fmt: skip
    server = Server(process, f"http://127.0.0.1:{port}", log)
    deadline = time.monotonic() + 60
    while True:
        if process.poll() is not None:
            pytest.fail(f"serve exited with {process.returncode}:\n{log.read_text()}")
        with contextlib.suppress(httpx.TransportError):
            if httpx.get(f"{server.base}/_ductwork/health", timeout=1).status_code == 200:
                return server
        assert time.monotonic() < deadline, "serve did not become healthy within 60 s"
        time.sleep(0.2)


def _children(pid: int) -> set[int]:
    """The live child processes of a process (from /proc)."""
    found = set()
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            with contextlib.suppress(OSError):
                fields = (entry / "stat").read_text().rsplit(")", 1)[1].split()
                if int(fields[1]) == pid and fields[0] != "Z":
                    found.add(int(entry.name))
    return found


def _stop(server: Server) -> str:
    """SIGTERM the parent; returns its log after checking it stopped cleanly (status 0, no
    worker left, no error logged)."""
    workers = _children(server.process.pid)
    server.process.send_signal(signal.SIGTERM)
    try:
        status = server.process.wait(timeout=30)
    except subprocess.TimeoutExpired:
        server.process.kill()
        server.process.wait()
        raise
    output = server.log.read_text(errors="replace")
    assert status == 0, output
    assert "ductwork stopped." in output
    for pid in workers:  # stopped (and reaped) before the parent exited
        assert not Path(f"/proc/{pid}").exists(), f"worker {pid} outlived the parent"
    errors = [line for line in output.splitlines()
              if "Traceback" in line or line.startswith("ERROR")]  # fmt: skip
    assert not errors, output
    return output


@dataclass(frozen=True)
class Cluster:
    """The database, its tenants, and two workers serving it."""

    world: World
    server: Server
    flair: FlairTenant
    ag: tuple[str, str, Any]  # Automate Green: email, password, demo world
    a: int  # the two worker pids
    b: int


@pytest.fixture(scope="module")
def cluster(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Cluster]:
    """A PostgreSQL database with a Phason, a Flair and an Automate Green tenant (clocks frozen
    at T0), served by two workers."""
    data_dir = tmp_path_factory.mktemp("workers")
    admin, url = _postgres_database()
    runtime = Runtime.open(data_dir, url, flair_token_limit=0)
    try:
        alice = _tenant(runtime, "alice")
        world = World("postgresql", data_dir, url, runtime, alice, alice)
        flair_tenant = _flair_tenant(runtime, alice)
        ag = ag_tenant(runtime, "dana@example.com", 11, T0)
        server = _start(data_dir, url)
        try:
            a, b = sorted(server.pids())
            yield Cluster(world, server, flair_tenant, ag, a, b)
        finally:
            _stop(server)
    finally:
        runtime.close()
        _drop_postgres(admin, url)


# ------------------------------------------------------------------ tests
def test_two_workers_answer_on_the_shared_port(cluster: Cluster) -> None:
    """Two distinct worker processes (children of `serve`) answer on one port."""
    assert {cluster.a, cluster.b} <= _children(cluster.server.process.pid)
    assert cluster.a != cluster.b
    assert cluster.server.process.pid not in (cluster.a, cluster.b)


@pytest.mark.parametrize("order", ["a-then-b", "b-then-a"])
def test_a_command_through_one_worker_is_read_back_through_the_other(
    cluster: Cluster, order: str
) -> None:
    """An Automate Green dimmer level set through one worker is what the other serves next."""
    email, password, demo = cluster.ag
    writer, reader = (cluster.a, cluster.b) if order == "a-then-b" else (cluster.b, cluster.a)
    with cluster.server.through(writer) as client:
        headers = {"Authorization": f"Bearer {sign_in(client, email, password)}"}
    dimmer = demo["devices"]["dimmer"][0]
    for level in (20, 85, 40):
        level += 1 if order == "b-then-a" else 0
        command = {"command": {"name": "instant_on", "level": level}}
        wrote = cluster.server.request(writer, "POST", f"{AG}/devices/{dimmer}/command",
                                       headers=headers, json=command)  # fmt: skip
        assert wrote.status_code == 200, wrote.text
        read = cluster.server.request(reader, "GET", f"{AG}/devices/{dimmer}", headers=headers)
        assert read.status_code == 200, read.text
        assert read.json()["device"]["status"]["info"]["level"] == level


def test_a_flair_vent_moved_through_one_worker_is_seen_by_the_other(cluster: Cluster) -> None:
    """PATCH a vent's percent-open through each worker in turn; the other serves it at once."""
    with cluster.server.through(cluster.a) as client:
        headers = bearer(token(client, cluster.flair, SCOPES))
        vent = first(client, headers, "vents")["id"]
    for writer, reader, percent in ((cluster.a, cluster.b, 35), (cluster.b, cluster.a, 70),
                                    (cluster.a, cluster.b, 100)):  # fmt: skip
        with cluster.server.through(writer) as client:
            move_vent(client, headers, vent, percent)
        read = cluster.server.request(reader, "GET", f"{FLAIR}/api/vents/{vent}", headers=headers)
        assert read.status_code == 200, read.text
        assert read.json()["data"]["attributes"]["percent-open"] == percent


def _until_refused(
    server: Server, pid: int, method: str, path: str, since: float, **options: Any
) -> float:
    """Ask worker `pid` until it answers 401; returns the seconds from `since` until then."""
    with server.through(pid) as client:
        while True:
            status = client.request(method, path, **options).status_code
            waited = time.monotonic() - since
            if status == 401:
                return waited
            assert status == 200, status
            assert waited < CACHE_SECONDS + SLACK, f"worker {pid} still accepts after {waited} s"
            time.sleep(0.05)


def test_a_revoked_phason_key_stops_working_on_every_worker(cluster: Cluster) -> None:
    """`ductwork api-keys revoke` (another process) while both workers keep using the key:
    each refuses it within the two-second cache of checked keys."""
    world, server = cluster.world, cluster.server
    account = world.runtime.accounts.by_email(world.a.email)
    assert account is not None
    key = world.runtime.accounts.issue_key(account, "phason")
    (key_id,) = [k.id for k in world.runtime.accounts.list_keys(world.a.email)
                 if not k.revoked_at and key.startswith(k.prefix)]  # fmt: skip
    path, headers = f"{PREFIX}/devices", {"Phasonkey": key}
    for pid in (cluster.a, cluster.b):
        assert server.request(pid, "GET", path, headers=headers).status_code == 200
    stop = threading.Event()

    def keep_checking(pid: int) -> None:  # keeps the key cached in both workers
        with server.through(pid) as client:
            while not stop.is_set():
                client.get(path, headers=headers)
                time.sleep(0.05)

    threads = [
        threading.Thread(target=keep_checking, args=(pid,)) for pid in (cluster.a, cluster.b)
    ]
    for thread in threads:
        thread.start()
    try:
        revoked = subprocess.run(
            [sys.executable, "-m", "ductwork", "api-keys", "revoke", str(key_id),
             "--data-dir", str(world.data_dir), "--database-url", world.database_url],
            capture_output=True, text=True, check=False,
        )  # fmt: skip
        since = time.monotonic()
    finally:
        stop.set()
        for thread in threads:
            thread.join()
    assert revoked.returncode == 0, revoked.stderr
    for pid in (cluster.a, cluster.b):
        _until_refused(server, pid, "GET", path, since, headers=headers)
    for pid in (cluster.a, cluster.b):  # and it stays refused
        assert server.request(pid, "GET", path, headers=headers).status_code == 401


def test_a_revoked_automategreen_token_stops_working_on_every_worker(cluster: Cluster) -> None:
    """DELETE /tokens/{id} through one worker: that worker refuses the token at once, the
    other within the two-second cache of checked tokens."""
    email, password, _ = cluster.ag
    server = cluster.server
    for revoker, other in ((cluster.a, cluster.b), (cluster.b, cluster.a)):
        with server.through(revoker) as client:
            doomed = sign_in(client, email, password, desc="doomed")
            keeper = sign_in(client, email, password, desc="keeper")
        headers = {"Authorization": f"Bearer {doomed}"}
        for pid in (cluster.a, cluster.b):  # cached in both
            assert server.request(pid, "GET", f"{AG}/gateways", headers=headers).status_code == 200
        with server.through(other) as watcher:
            assert watcher.get(f"{AG}/gateways", headers=headers).status_code == 200
            deleted = server.request(revoker, "DELETE", f"{AG}/tokens/{claims(doomed)['id']}",
                                     headers={"Authorization": f"Bearer {keeper}"})  # fmt: skip
            since = time.monotonic()
            assert deleted.status_code == 204, deleted.text
        refused = server.request(revoker, "GET", f"{AG}/gateways", headers=headers)
        assert (refused.status_code, refused.text) == (401, "Unauthorized")
        _until_refused(server, other, "GET", f"{AG}/gateways", since, headers=headers)


def test_webhooks_go_out_once_with_two_deliverers(cluster: Cluster) -> None:
    """Vent moves through both workers enqueue one webhook each; with both workers' deliverers
    claiming due messages, every message reaches the receiver, signed, exactly once (the
    outbox's leases keep the two deliverers apart; it promises at least once, across crashes)."""
    server, receiver = cluster.server, Receiver()
    receiver.start()
    try:
        with server.through(cluster.a) as client:
            headers = bearer(token(client, cluster.flair, SCOPES))
            structure = first(client, headers, "structures")["id"]
            vent = first(client, headers, "vents")["id"]
            created = register(client, headers, structure, receiver.url, "vent")
        percents = [10, 20, 30, 40, 50, 60, 70, 80]
        for index, percent in enumerate(percents):
            with server.through((cluster.a, cluster.b)[index % 2]) as client:
                move_vent(client, headers, vent, percent)
        got = receiver.wait(len(percents), timeout=30)
        time.sleep(1.0)  # a duplicate would come now
        payloads = [verify(created["attributes"]["secret"], r) for r in receiver.got]
        ids = [r.headers["webhook-id"] for r in receiver.got]
        assert len(got) == len(percents)
        assert len(set(ids)) == len(ids), "a message was delivered twice"
        assert sorted(p["data"]["attributes"]["percent-open"] for p in payloads) == percents
        deadline = time.monotonic() + 10
        while True:  # each worker's deliverer records the answer after the POST
            listing = httpx.get(f"{server.base}/_ductwork/webhooks", timeout=10).json()
            mine = [d for d in listing if d["url"] == receiver.url]
            if all(d["status"] == "delivered" for d in mine) or time.monotonic() > deadline:
                break
            time.sleep(0.1)
        assert sorted(d["id"] for d in mine) == sorted(ids)
        assert [(d["status"], d["attempts"]) for d in mine] == [("delivered", 1)] * len(ids)
    finally:
        receiver.stop()


def test_a_killed_worker_is_replaced_and_sigterm_stops_them_all(
    tmp_path: Path, cluster: Cluster
) -> None:
    """SIGKILL one worker: the parent starts another, which answers; SIGTERM then stops the
    parent and every worker with status 0."""
    server = _start(tmp_path, cluster.world.database_url)
    try:
        first_pids = server.pids()
        assert first_pids == _children(server.process.pid)
        victim = min(first_pids)
        os.kill(victim, signal.SIGKILL)
        deadline = time.monotonic() + 60
        while True:
            now = _children(server.process.pid)
            if len(now) == WORKERS and victim not in now:
                break
            assert time.monotonic() < deadline, f"no replacement for worker {victim}: {now}"
            time.sleep(0.2)
        assert server.pids() == now
    except BaseException:
        server.process.kill()
        raise
    output = _stop(server)
    assert f"worker {victim} was killed by SIGKILL; starting another" in output
    assert _children(server.process.pid) == set()
    assert all(not Path(f"/proc/{pid}").exists() for pid in now)


def test_sqlite_with_several_workers_is_refused(tmp_path: Path) -> None:
    """SQLite takes one writer at a time: `--workers 2` on it exits 1 saying so."""
    refused = subprocess.run(
        [sys.executable, "-m", "ductwork", "serve", "--port", str(_free_port()),
         "--vendor-ports", "none", "--data-dir", str(tmp_path), "--no-demo",
         "--workers", "2"],
        capture_output=True, text=True, timeout=60, check=False,
    )  # fmt: skip
    assert refused.returncode == 1
    assert "--workers 2 needs PostgreSQL" in refused.stderr
    assert "Started server process" not in refused.stderr + refused.stdout


def test_a_worker_count_of_zero_is_refused(tmp_path: Path) -> None:
    """--workers takes 1 to 64."""
    refused = subprocess.run(
        [sys.executable, "-m", "ductwork", "serve", "--data-dir", str(tmp_path), "--workers", "0"],
        capture_output=True, text=True, timeout=60, check=False,
    )  # fmt: skip
    assert refused.returncode == 2
    assert "--workers" in refused.stderr


def test_workers_do_not_outlive_a_killed_parent(tmp_path: Path, cluster: Cluster) -> None:
    """SIGKILL the parent (no chance to stop anyone): its workers are sent SIGTERM by the
    kernel and stop, so nothing keeps serving on the port."""
    server = _start(tmp_path, cluster.world.database_url)
    pids = server.pids()
    server.process.kill()
    server.process.wait()
    deadline = time.monotonic() + 30
    while any(Path(f"/proc/{pid}").exists() for pid in pids):
        assert time.monotonic() < deadline, "a worker outlived its parent"
        time.sleep(0.1)
    with pytest.raises(httpx.TransportError):
        httpx.get(f"{server.base}/_ductwork/health", timeout=2)


def test_sighup_stops_every_worker(tmp_path: Path, cluster: Cluster) -> None:
    """SIGHUP (the terminal went away) stops the workers and the parent like SIGTERM."""
    server = _start(tmp_path, cluster.world.database_url)
    pids = server.pids()
    server.process.send_signal(signal.SIGHUP)
    assert server.process.wait(timeout=30) == 0, server.log.read_text()
    assert all(not Path(f"/proc/{pid}").exists() for pid in pids)
    assert "ductwork stopped." in server.log.read_text()
