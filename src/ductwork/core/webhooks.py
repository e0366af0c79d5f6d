"""Webhooks: a durable outbox, delivered at least once, signed per Standard Webhooks.

Vendors enqueue a message in the same transaction as the change it reports, so a change and
its webhook commit together. Deliverers (one loop per server process) claim due rows with a
lease — `SELECT ... FOR UPDATE SKIP LOCKED` on PostgreSQL, a compare-and-set on the row's
`claim` everywhere — POST them with httpx, and record the outcome; failures are retried with
exponential backoff on the real clock. A process that dies mid-delivery leaves a lease that
expires, and the message goes out again: at least once, across restarts and processes.
"""

from __future__ import annotations

import base64
import datetime as dt
import hashlib
import hmac
import logging
import os
import secrets
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import anyio.to_thread
import httpx
import sqlalchemy as sa
from sqlalchemy.engine import Connection, Engine

from ductwork.core.accounts import normalise_email
from ductwork.core.db import storable
from ductwork.core.egress import Egress, Refused
from ductwork.core.schema import accounts, metadata

log = logging.getLogger("ductwork.webhooks")

SECRET_PREFIX = "whsec_"  # noqa: S105  (the Standard Webhooks prefix, not a secret)
PENDING, DELIVERED, FAILED = "pending", "delivered", "failed"
MAX_ATTEMPTS = 12
LEASE_SECONDS = 60.0  # longer than one attempt may take
TIMEOUT_SECONDS = 10.0
BATCH = 20
RETRY_ENV, RETRY_MAX_ENV = "DUCTWORK_WEBHOOK_RETRY_SECONDS", "DUCTWORK_WEBHOOK_RETRY_MAX_SECONDS"
DEFAULT_RETRY, DEFAULT_RETRY_MAX = 5.0, 3600.0

deliveries = sa.Table(
    "webhook_deliveries",
    metadata,
    sa.Column("id", sa.String(40), primary_key=True),  # the webhook-id header: msg_...
    sa.Column(
        "account_id", sa.Integer, sa.ForeignKey("accounts.id", ondelete="CASCADE"), nullable=False
    ),
    sa.Column("vendor", sa.String(32), nullable=False),
    sa.Column("source", sa.String(64), nullable=False),  # the subscription, e.g. flair-callback:3
    sa.Column("event_type", sa.String(64), nullable=False),
    sa.Column("url", sa.String(2000), nullable=False),
    # The HTTP method; messages of a vendor's own rules (Automate Green actions) may GET.
    sa.Column("method", sa.String(8), nullable=False, server_default="POST"),
    # Kept to sign; never shown or logged. Empty: sent unsigned (a vendor rule's plain request).
    sa.Column("secret", sa.String(100), nullable=False),
    sa.Column("payload", sa.Text, nullable=False),  # the exact body that is signed and sent
    sa.Column("status", sa.String(16), nullable=False),
    sa.Column("attempts", sa.Integer, nullable=False),
    sa.Column("next_attempt_at", sa.Float, nullable=False),  # real time
    sa.Column("claim", sa.String(32), nullable=True),
    sa.Column("last_status_code", sa.Integer, nullable=True),
    sa.Column("last_error", sa.String(500), nullable=True),
    sa.Column("created_at", sa.Float, nullable=False),
    sa.Column("delivered_at", sa.Float, nullable=True),
    sa.Index("ix_webhook_deliveries_due", "status", "next_attempt_at"),
    sa.Index("ix_webhook_deliveries_source", "source"),
)


def new_secret() -> str:
    """A Standard Webhooks signing secret: `whsec_` and 32 random bytes in base64."""
    return SECRET_PREFIX + base64.b64encode(secrets.token_bytes(32)).decode()


def sign(secret: str, message_id: str, timestamp: int, body: str) -> str:
    """The webhook-signature header: `v1,` and the base64 HMAC-SHA256 of `id.timestamp.body`
    keyed by the secret's decoded bytes."""
    key = base64.b64decode(secret.removeprefix(SECRET_PREFIX))
    content = f"{message_id}.{timestamp}.{body}".encode()
    return "v1," + base64.b64encode(hmac.new(key, content, hashlib.sha256).digest()).decode()


@dataclass(frozen=True, slots=True)
class Backoff:
    """Delay before retry n (from 1): `first · 2^(n-1)` seconds, at most `ceiling`."""

    first: float = DEFAULT_RETRY
    ceiling: float = DEFAULT_RETRY_MAX

    @classmethod
    def from_environment(cls) -> Backoff:
        """The schedule, shortened by the two environment variables (tests use that)."""
        return cls(
            float(os.environ.get(RETRY_ENV, DEFAULT_RETRY)),
            float(os.environ.get(RETRY_MAX_ENV, DEFAULT_RETRY_MAX)),
        )

    def delay(self, attempts: int) -> float:
        """Seconds to wait after the `attempts`-th failed attempt."""
        return float(min(self.first * 2 ** (attempts - 1), self.ceiling))


@dataclass(frozen=True, slots=True)
class Claimed:
    """A delivery this process holds the lease of."""

    id: str
    url: str
    secret: str
    payload: str
    attempts: int
    claim: str
    method: str = "POST"


def _iso(at: float | None) -> str | None:
    return None if at is None else dt.datetime.fromtimestamp(at, dt.UTC).isoformat()


class Outbox:
    """Enqueue, claim, deliver and list webhook deliveries."""

    def __init__(
        self,
        engine: Engine,
        *,
        transport: httpx.BaseTransport | None = None,
        now: Callable[[], float] = time.time,
        backoff: Backoff | None = None,
        egress: Egress | None = None,
    ) -> None:
        self._engine = engine
        self.egress = egress or Egress()
        self._transport = transport
        self._now = now
        self.backoff = backoff or Backoff.from_environment()
        self.wake = threading.Event()

    def enqueue(
        self,
        connection: Connection,
        *,
        account_id: int,
        vendor: str,
        source: str,
        event_type: str,
        url: str,
        secret: str,
        payload: str,
        method: str = "POST",
    ) -> str:
        """Add a message inside the caller's transaction; it is due at once. An empty
        `secret` sends it unsigned, an empty `payload` with no body."""
        message_id = "msg_" + secrets.token_hex(16)
        now = self._now()
        connection.execute(
            sa.insert(deliveries).values(
                id=message_id,
                account_id=account_id,
                vendor=vendor,
                source=source,
                event_type=event_type,
                url=url,
                method=method,
                secret=secret,
                payload=payload,
                status=PENDING,
                attempts=0,
                next_attempt_at=now,
                created_at=now,
            )
        )
        self.wake.set()
        return message_id

    def cancel(self, connection: Connection, source: str) -> None:
        """Drop the undelivered messages of a subscription (it was deleted)."""
        connection.execute(
            sa.delete(deliveries).where(
                deliveries.c.source == source, deliveries.c.status == PENDING
            )
        )

    def claim(self, limit: int = BATCH) -> list[Claimed]:
        """Lease up to `limit` due messages to this process for LEASE_SECONDS."""
        now = self._now()
        claim = secrets.token_hex(16)
        found: list[Claimed] = []
        with self._engine.begin() as connection:
            rows = connection.execute(
                sa.select(deliveries)
                .where(deliveries.c.status == PENDING, deliveries.c.next_attempt_at <= now)
                .order_by(deliveries.c.next_attempt_at, deliveries.c.id)
                .limit(limit)
                .with_for_update(skip_locked=True)  # PostgreSQL; SQLite relies on the CAS
            ).all()
            for row in rows:
                won = connection.execute(
                    sa.update(deliveries)
                    .where(
                        deliveries.c.id == row.id,
                        deliveries.c.status == PENDING,
                        deliveries.c.next_attempt_at == row.next_attempt_at,
                    )
                    .values(claim=claim, next_attempt_at=now + LEASE_SECONDS)
                ).rowcount
                if won == 1:
                    found.append(
                        Claimed(
                            row.id,
                            row.url,
                            row.secret,
                            row.payload,
                            row.attempts,
                            claim,
                            row.method,
                        )
                    )
        return found

    def attempt(self, message: Claimed, client: httpx.Client) -> None:
        """POST one message and record the outcome (only while this process holds it)."""
        timestamp = int(self._now())
        headers = {"content-type": "application/json"} if message.payload else {}
        if message.secret:
            headers.update({
                "webhook-id": message.id,
                "webhook-timestamp": str(timestamp),
                "webhook-signature": sign(message.secret, message.id, timestamp, message.payload),
            })  # fmt: skip
        code: int | None = None
        error: str | None = None
        refused = False
        try:
            url, extensions = message.url, {}
            if self._transport is None:
                # Resolved once and checked; the request goes to the checked address.
                pinned = self.egress.pin(message.url)
                url, headers["host"] = pinned.url, pinned.host_header
                extensions = {"sni_hostname": pinned.server_name}
            else:  # an injected transport reaches no network: literal addresses only
                self.egress.check(message.url, resolve=False)
            response = client.request(message.method, url, content=message.payload.encode(),
                                      headers=headers, extensions=extensions)  # fmt: skip
            code = response.status_code
            if not 200 <= code < 300:
                error = f"HTTP {code}"
        except Refused as exc:
            error, refused = str(exc)[:500], True
        except OSError as exc:  # the name did not resolve
            error = f"cannot resolve the receiver: {exc}"[:500]
        except httpx.HTTPError as exc:
            error = f"{type(exc).__name__}: {exc}"[:500]
        attempts = message.attempts + 1
        now = self._now()
        values: dict[str, Any] = {"attempts": attempts, "last_status_code": code, "claim": None}
        if error is None:
            values.update(status=DELIVERED, delivered_at=now, last_error=None)
        elif refused or attempts >= MAX_ATTEMPTS:  # a refused address is not tried again
            values.update(status=FAILED, last_error=error)
        else:
            values.update(next_attempt_at=now + self.backoff.delay(attempts), last_error=error)
        if error is not None:
            log.info("webhook %s attempt %d failed: %s", message.id, attempts, error)
        with self._engine.begin() as connection:
            connection.execute(
                sa.update(deliveries)
                .where(deliveries.c.id == message.id, deliveries.c.claim == message.claim)
                .values(**values)
            )

    def deliver_due(self) -> int:
        """Claim and attempt every due message, batch by batch; returns how many were tried."""
        tried = 0
        with httpx.Client(transport=self._transport, timeout=TIMEOUT_SECONDS) as client:
            # One message at a time: a process killed mid-delivery then strands at most the
            # one it was sending (its lease runs out, it goes again), not a whole batch a
            # minute late (bench/crash.py found that).
            while batch := self.claim(1):
                for message in batch:
                    self.attempt(message, client)
                tried += len(batch)
        return tried

    def listing(self, email: str | None = None, limit: int = 200) -> list[dict[str, Any]]:
        """Deliveries, newest first, for the control plane: everything but the secret."""
        query = (
            sa.select(deliveries, accounts.c.email)
            .join(accounts, accounts.c.id == deliveries.c.account_id)
            .order_by(deliveries.c.created_at.desc(), deliveries.c.id)
            .limit(limit)
        )
        if email is not None:
            if not storable(email):
                return []
            query = query.where(accounts.c.email == normalise_email(email))
        with self._engine.connect() as connection:
            rows = connection.execute(query).all()
        return [
            {
                "id": r.id,
                "account": r.email,
                "vendor": r.vendor,
                "source": r.source,
                "event_type": r.event_type,
                "url": r.url,
                "method": r.method,
                "status": r.status,
                "attempts": r.attempts,
                "next_attempt_at": _iso(r.next_attempt_at) if r.status == PENDING else None,
                "last_status_code": r.last_status_code,
                "last_error": r.last_error,
                "created_at": _iso(r.created_at),
                "delivered_at": _iso(r.delivered_at),
                "payload": r.payload,
            }
            for r in rows
        ]


POLL_SECONDS = 1.0


class Deliverer:
    """The background loop of one process: deliver what is due, then sleep until woken."""

    def __init__(self, outbox: Outbox, poll: float = POLL_SECONDS) -> None:
        self._outbox = outbox
        self._poll = poll
        self._stop = threading.Event()

    def _wait(self) -> None:
        self._outbox.wake.wait(self._poll)
        self._outbox.wake.clear()

    async def run(self) -> None:
        """Deliver until stopped; a failing pass is logged and retried on the next one."""
        while not self._stop.is_set():
            try:
                await anyio.to_thread.run_sync(self._outbox.deliver_due)
            except Exception:
                log.exception("webhook delivery pass failed; retrying")
            await anyio.to_thread.run_sync(self._wait, abandon_on_cancel=True)

    def stop(self) -> None:
        """End the loop after the current pass."""
        self._stop.set()
        self._outbox.wake.set()
