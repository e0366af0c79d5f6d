"""What a data directory holds beside its database: the demo credentials and the record of the
server running on it. Cheap to import (no SQLAlchemy), so `ductwork credentials` starts fast."""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

DATABASE_URL_ENV = "DUCTWORK_DATABASE_URL"
CREDENTIALS_FILE = "credentials.json"
SERVER_FILE = "server.json"


def normalise_url(url: str) -> str:
    """Map the plain `postgresql://` scheme onto the psycopg 3 driver SQLAlchemy should use."""
    for prefix in ("postgresql://", "postgres://"):
        if url.startswith(prefix):
            return "postgresql+psycopg://" + url[len(prefix) :]
    return url


def default_url(data_dir: Path) -> str:
    """The embedded default: one SQLite file inside the data directory."""
    return f"sqlite:///{(data_dir / 'ductwork.sqlite3').resolve()}"


def resolve_url(data_dir: Path, database_url: str | None) -> str:
    """Pick the database URL: explicit option, then environment, then embedded SQLite."""
    url = database_url or os.environ.get(DATABASE_URL_ENV) or default_url(data_dir)
    return normalise_url(url)


def write_private(path: Path, document: dict[str, Any]) -> None:
    """Write a JSON file readable by its owner only (it may hold secrets), atomically."""
    partial = path.with_suffix(".tmp")
    partial.write_text(json.dumps(document, indent=2))
    os.chmod(partial, 0o600)
    partial.replace(path)


def read_json(path: Path) -> dict[str, Any] | None:
    """A JSON object from a file, or None when there is none (or it is not an object)."""
    try:
        loaded = json.loads(path.read_text())
    except (FileNotFoundError, json.JSONDecodeError):
        return None
    return loaded if isinstance(loaded, dict) else None


def record_server(data_dir: Path, document: dict[str, Any]) -> None:
    """Note the running server (pid, base URL, database URL, vendor root URLs) for the CLI."""
    write_private(data_dir / SERVER_FILE, {"pid": os.getpid(), **document})


def forget_server(data_dir: Path) -> None:
    """Remove this process's server record (another server's stays)."""
    record = read_json(data_dir / SERVER_FILE)
    if record is not None and record.get("pid") == os.getpid():
        (data_dir / SERVER_FILE).unlink(missing_ok=True)


def _alive(pid: Any) -> bool:
    if not isinstance(pid, int) or pid <= 0:
        return False
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:  # alive, another user's
        return True
    return True


def running_server(data_dir: Path) -> dict[str, Any] | None:
    """The record of the server running on this data directory, if its process is alive."""
    record = read_json(data_dir / SERVER_FILE)
    if record is None or not _alive(record.get("pid")):
        return None
    return record
