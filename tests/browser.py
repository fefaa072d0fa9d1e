"""Browser fixtures: a real Streamlit server on a copy of the demo database, driven by Debian's
Chromium through Playwright (Playwright cannot download its own browser here). Registered once
for the whole suite (tests/conftest.py's pytest_plugins): the browser tier (tests/e2e) and the
reliability suite (tests/reliability) share one Chromium per worker.

Without /usr/bin/chromium the tier skips, unless REQUIRE_BROWSER=1 (set by .ci/run) makes that a
failure.
"""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import pytest

from bench.servers import ROOT, SERVER_SCRIPT
from bench.servers import StreamlitServer as BenchServer
from tests.conftest import missing_part

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


class StreamlitServer(BenchServer):
    """app.py on a SQLite file (bench.servers.StreamlitServer, the benchmark's server)."""

    def __init__(self, db_path: Path, log_path: Path, extra_env: dict[str, str] | None = None, bind: str = "127.0.0.1") -> None:
        env = {k: v for k, v in os.environ.items() if k not in ("DATABASE_URL", "DEMO_MODE", "COOKIE_KEY")}
        env.update({"SQLITE_PATH": str(db_path), "BCRYPT_ROUNDS": "4", **(extra_env or {})})
        self.db_path, self._env, self._bind = db_path, env, bind
        super().__init__(SERVER_SCRIPT, env=env, log_path=log_path, address=bind)
        self.url = f"http://127.0.0.1:{self.port}"  # bound to every interface or not, reached on loopback

    def restart(self) -> None:
        """Stop the process and start a new one on the same port and database (a server restart)."""
        self.stop()
        super().__init__(
            SERVER_SCRIPT, env=self._env, log_path=self.log_path.with_suffix(".restarted.log"), port=self.port, address=self._bind
        )
        self.url = f"http://127.0.0.1:{self.port}"


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

    def start(*, bind: str = "127.0.0.1", **extra_env: str) -> StreamlitServer:
        db_path = tmp_path / f"app-{len(servers)}.db"
        shutil.copyfile(sqlite_templates["demo"], db_path)
        server = StreamlitServer(db_path, tmp_path / f"server-{len(servers)}.log", extra_env, bind=bind)
        servers.append(server)
        return server

    yield start
    for server in servers:
        server.stop()


@pytest.fixture
def server(start_server) -> StreamlitServer:
    return start_server()


@pytest.fixture
def page(browser, request, start_server):  # servers stop after the screenshot
    context = browser.new_context(viewport={"width": 1366, "height": 900}, locale="th-TH")
    pg = context.new_page()
    pg.set_default_timeout(20_000)
    yield pg
    ARTIFACTS.mkdir(exist_ok=True)
    pg.screenshot(path=str(ARTIFACTS / f"{request.node.name[:80]}.png"), full_page=True)
    context.close()
