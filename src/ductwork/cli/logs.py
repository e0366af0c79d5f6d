"""The access log without secrets: uvicorn's access line with the values of credential-like
query parameters masked (`?access_token=` is how Automate Green's GETs carry a token; OAuth
clients put codes, client secrets and passwords in query strings too)."""

from __future__ import annotations

import logging
import re
from copy import copy

from uvicorn.logging import AccessFormatter

MASK = "***"
SECRET_NAMES = (
    "access_token", "token", "refresh_token", "code", "client_secret", "password", "key",
    "api_key", "apikey", "secret", "pass", "user[password]", "id_token", "assertion",
)  # fmt: skip


def _name(name: str) -> str:
    """A parameter name as a pattern: its brackets also percent-encoded."""
    return re.escape(name).replace(r"\[", r"(?:\[|%5B)").replace(r"\]", r"(?:\]|%5D)")


_SECRET = re.compile(r"(?i)([?&](?:" + "|".join(map(_name, SECRET_NAMES)) + r")=)[^&#\s]*")


def mask(path: str) -> str:
    """A request target with the values of its credential-like query parameters masked."""
    return _SECRET.sub(lambda found: found.group(1) + MASK, path) if "?" in path else path


class MaskingAccessFormatter(AccessFormatter):
    """uvicorn's access formatter, with `mask` applied to the request target."""

    def formatMessage(self, record: logging.LogRecord) -> str:
        """The access line, secrets masked."""
        args = record.args
        if isinstance(args, tuple) and len(args) == 5:
            record = copy(record)
            client, method, target, version, status = args
            record.args = (client, method, mask(str(target)), version, status)
        return super().formatMessage(record)
