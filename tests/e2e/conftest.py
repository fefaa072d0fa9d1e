"""Browser fixtures: a real Streamlit server on a copy of the demo database, driven by Debian's
Chromium through Playwright (Playwright cannot download its own browser here).

Without /usr/bin/chromium the tier skips, unless REQUIRE_BROWSER=1 (set by .ci/run) makes that a
failure.
"""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest

from tests.conftest import missing_part

ROOT = Path(__file__).resolve().parents[2]
CHROMIUM = os.environ.get("CHROMIUM_PATH", "/usr/bin/chromium")
ARTIFACTS = ROOT / "test-artifacts"
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--disable-dev-shm-usage",
]


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class StreamlitServer:
    def __init__(self, db_path: Path, log_path: Path, extra_env: dict[str, str] | None = None) -> None:
        self.port = _free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        env = {k: v for k, v in os.environ.items() if k not in ("DATABASE_URL", "DEMO_MODE", "COOKIE_KEY")}
        env.update({"SQLITE_PATH": str(db_path), "BCRYPT_ROUNDS": "4", **(extra_env or {})})
        self.log = log_path.open("w")
        self.proc = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "streamlit",
                "run",
                "app.py",
                "--server.port",
                str(self.port),
                "--server.address",
                "127.0.0.1",
                "--server.headless",
                "true",
            ],
            cwd=ROOT,
            env=env,
            stdout=self.log,
            stderr=subprocess.STDOUT,
        )
        deadline = time.time() + 60
        while time.time() < deadline:
            try:
                with urllib.request.urlopen(f"{self.url}/_stcore/health", timeout=2) as r:
                    if r.status == 200:
                        return
            except OSError:
                time.sleep(0.3)
        self.stop()
        raise RuntimeError(f"Streamlit did not start; see {log_path}")

    def stop(self) -> None:
        self.proc.terminate()
        try:
            self.proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self.proc.kill()
        self.log.close()


@pytest.fixture(scope="session")
def browser():
    from playwright.sync_api import expect

    expect.set_options(timeout=10_000)  # two workers and their servers share two cores in CI
    if not Path(CHROMIUM).exists():
        missing_part("REQUIRE_BROWSER", "browser", f"no Chromium at {CHROMIUM} (make test installs it with apt-get as root)")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        b = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield b
        b.close()


@pytest.fixture
def start_server(sqlite_templates, tmp_path):
    servers: list[StreamlitServer] = []

    def start(**extra_env: str) -> StreamlitServer:
        db_path = tmp_path / f"app-{len(servers)}.db"
        shutil.copyfile(sqlite_templates["demo"], db_path)
        server = StreamlitServer(db_path, tmp_path / f"server-{len(servers)}.log", extra_env)
        servers.append(server)
        return server

    yield start
    for server in servers:
        server.stop()


@pytest.fixture
def server(start_server) -> StreamlitServer:
    return start_server()


@pytest.fixture
def page(browser, request, start_server):  # noqa: ARG001  (servers stop after the screenshot)
    context = browser.new_context(viewport={"width": 1366, "height": 900}, locale="th-TH")
    pg = context.new_page()
    pg.set_default_timeout(20_000)
    yield pg
    ARTIFACTS.mkdir(exist_ok=True)
    pg.screenshot(path=str(ARTIFACTS / f"{request.node.name[:80]}.png"), full_page=True)
    context.close()
