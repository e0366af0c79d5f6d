"""Ids in the vendor's style: short random strings such as `HyErn3Blm` or `bksxGL4wMx`."""

from __future__ import annotations

import secrets

ALPHABET = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz_-"


def short_id(length: int = 10) -> str:
    """A random id of `length` characters (about 60 bits at 10), never starting with '-'."""
    first = secrets.choice(ALPHABET[:-1])
    return first + "".join(secrets.choice(ALPHABET) for _ in range(length - 1))
