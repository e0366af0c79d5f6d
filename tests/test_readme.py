"""README.md's shell examples, run as written (bar the port) against a live `ductwork serve`."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from tests.conftest import _free_port

ROOT = Path(__file__).parent.parent
BLOCK = re.compile(r"```sh\n(.*?)```", re.S)


def examples() -> list[str]:
    """Every ```sh block of the README except the Quick start's make commands."""
    blocks = BLOCK.findall((ROOT / "README.md").read_text())
    return [b for b in blocks if "make serve" not in b]


@pytest.fixture(scope="module")
def readme_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[str, Path]]:
    """A fresh `ductwork serve` with the demo world, as `make serve` starts it."""
    data_dir = tmp_path_factory.mktemp("readme")
    port = _free_port()
    log = (data_dir / "serve.log").open("wb")
    process = subprocess.Popen(
        [str(ROOT / ".venv" / "bin" / "ductwork"), "serve", "--port", str(port), "--data-dir",
         str(data_dir), "--history-days", "0.05", "--vendor-ports", "none"],
        stdout=log, stderr=subprocess.STDOUT, cwd=ROOT,
    )  # fmt: skip
    base = f"http://localhost:{port}"
    deadline = time.monotonic() + 120
    while True:
        assert process.poll() is None, (data_dir / "serve.log").read_text()
        try:
            if httpx.get(f"{base}/_ductwork/health", timeout=1).status_code == 200:
                break
        except httpx.TransportError:
            pass
        assert time.monotonic() < deadline, "no health within 120 s"
        time.sleep(0.3)
    try:
        yield base, data_dir
    finally:
        process.terminate()
        process.wait(timeout=30)
        log.close()


def _run(block: str, base: str, data_dir: Path) -> subprocess.CompletedProcess[str]:
    env = dict(os.environ, DUCTWORK_DATA_DIR=str(data_dir))
    script = "set -euo pipefail\n" + block.replace("http://localhost:8000", base)
    return subprocess.run(["bash", "-c", script], cwd=ROOT, env=env, capture_output=True,
                          text=True, timeout=600, check=False)  # fmt: skip


def _documents(output: str) -> list[Any]:
    """The JSON documents curl printed back to back (curl adds no newline)."""
    decoder, found, position = json.JSONDecoder(), [], 0
    while position < len(output):
        if output[position].isspace():
            position += 1
            continue
        document, position = decoder.raw_decode(output, position)
        found.append(document)
    return found


def test_readme_has_the_examples() -> None:
    """The blocks this test runs exist (a renamed fence would silently skip them)."""
    assert len(examples()) >= 3


@pytest.mark.skipif(sys.platform == "win32", reason="bash examples")
def test_readme_examples_run_as_written(readme_server: tuple[str, Path]) -> None:
    """Each block exits 0 and prints what it promises, in the README's order."""
    base, data_dir = readme_server
    first, clock, http = examples()[:3]
    ran = _run(first, base, data_dir)
    assert ran.returncode == 0, ran.stderr
    devices, history, vents, house, switched, statuses = _documents(ran.stdout)[-6:]
    assert devices[0]["device_name"]
    assert history, "today's history by the barn's calendar is not empty"
    assert vents["data"][0]["type"] == "vents"
    assert house["devices"]
    assert switched["device"]["status"]["info"]["level"] == 100
    assert statuses["statuses"][-1]["info"]["level"] == 100
    ran = _run(clock, base, data_dir)
    assert ran.returncode == 0, ran.stderr
    ran = _run(http, base, data_dir)
    assert ran.returncode == 0, ran.stderr
    assert '"account":"demo@ductwork.local"' in ran.stdout.replace(" ", "")
