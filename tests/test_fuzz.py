"""Conformance fuzzing, the bounded version of bench/fuzz.py (`make fuzz` runs >= 10,000 cases
per API): schemathesis with all its checks against every published OpenAPI document of a real
`ductwork serve` with the demo world, on SQLite and on PostgreSQL. Every API must end with no
failure (server errors, undocumented statuses or bodies, schema-valid requests refused,
invalid ones accepted...), and the server must log no error. What a vendor's real behaviour
makes non-conformant on purpose is allowed, with its reason, in schemathesis.toml."""

from __future__ import annotations

import os
import sys
from pathlib import Path

import pytest

from tests.conftest import POSTGRES_DEFAULT, POSTGRES_ENV

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "bench"))
import fuzz  # bench/ is not a package: its directory goes on the path

pytestmark = pytest.mark.live

# The budget: the documents' examples and about 300 random cases per API on each database.
# `make fuzz` adds schemathesis's coverage phase (every parameter, body field and status with
# its boundary values: some 25,000 cases for Flair alone, minutes per database) and runs
# >= 10,000 cases per API.
BUDGET = {"sqlite": (300, "examples,fuzzing"), "postgresql": (300, "examples,fuzzing")}


@pytest.mark.parametrize("database", list(BUDGET))
def test_every_published_document_holds_under_schemathesis(database: str) -> None:
    postgres = os.environ.get(POSTGRES_ENV, POSTGRES_DEFAULT)
    cases, phases = BUDGET[database]
    outcomes, errors = fuzz.run(database, postgres, cases, seed=1, workers=2, phases=phases)
    assert [o.target.name for o in outcomes] == list(fuzz.API_NAMES)
    for outcome in outcomes:
        assert outcome.cases > 0, outcome.target.name
        assert outcome.status == 0, f"{outcome.target.name}:\n{outcome.output[-20000:]}"
    assert errors == [], "the server logged errors:\n" + "\n".join(errors[:50])
