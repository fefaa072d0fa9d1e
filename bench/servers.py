"""Processes and databases the benchmark runs against: `streamlit run` servers and PostgreSQL databases."""

from __future__ import annotations

import os
import secrets
import shutil
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import sqlalchemy as sa
from sqlalchemy.engine import Engine, make_url

from core.db import make_engine

ROOT = Path(__file__).resolve().parents[1]
BENCH_DIR = ROOT / "bench"
SERVER_SCRIPT = ROOT / "server.py"  # app.py inside st.App, with the login cookie and access rules (server.py)
WORK_DIR = ROOT / "bench-results" / "tmp"  # git-ignored
PG_ADMIN_URL = os.environ.get(
    "BENCH_POSTGRES_URL", os.environ.get("TEST_POSTGRES_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/postgres")
)
COOKIE_KEY = secrets.token_urlsafe(48)  # outside demo mode the app wants a real key
# Extra environment for every app server (python -m bench --server-env KEY=VALUE), e.g. a Streamlit
# option to try: STREAMLIT_RUNNER_POST_SCRIPT_GC=false.
EXTRA_ENV: dict[str, str] = {}


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def app_env(database_url: str) -> dict[str, str]:
    """Environment of an app server on `database_url` (a sqlite:/// URL or PostgreSQL)."""
    env = {k: v for k, v in os.environ.items() if k not in ("DATABASE_URL", "SQLITE_PATH", "DEMO_MODE", "COOKIE_KEY")}
    env.update({"BCRYPT_ROUNDS": "4", "COOKIE_KEY": COOKIE_KEY, "DEMO_MODE": "false", **EXTRA_ENV})
    if database_url.startswith("sqlite:///"):
        env["SQLITE_PATH"] = database_url.removeprefix("sqlite:///")
    else:
        env["DATABASE_URL"] = database_url
    return env


class StreamlitServer:
    """`python -m streamlit run SCRIPT` on a free loopback port, until stop()."""

    def __init__(
        self,
        script: Path,
        *,
        env: dict[str, str] | None = None,
        log_path: Path,
        cwd: Path = ROOT,
        port: int | None = None,
        address: str = "127.0.0.1",
    ) -> None:
        self.port = port or free_port()
        self.url = f"http://{address}:{self.port}"
        self.log_path = log_path
        log_path.parent.mkdir(parents=True, exist_ok=True)
        self.log = log_path.open("w")
        self.proc = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "streamlit",
                "run",
                str(script),
                "--server.port",
                str(self.port),
                "--server.address",
                address,
                "--server.headless",
                "true",
                "--browser.gatherUsageStats",
                "false",
            ],
            cwd=cwd,
            env=env if env is not None else dict(os.environ),
            stdout=self.log,
            stderr=subprocess.STDOUT,
        )
        deadline = time.time() + 90
        while time.time() < deadline:
            if self.proc.poll() is not None:
                break
            try:
                with urllib.request.urlopen(f"{self.url}/_stcore/health", timeout=2) as r:
                    if r.status == 200:
                        return
            except OSError:
                time.sleep(0.3)
        self.stop()
        raise RuntimeError(f"Streamlit ({script.name}) did not start; see {log_path}")

    @property
    def pid(self) -> int:
        return self.proc.pid

    def rss_bytes(self) -> int:
        """Resident memory of the server process (and any children)."""
        import psutil

        proc = psutil.Process(self.proc.pid)
        return proc.memory_info().rss + sum(c.memory_info().rss for c in proc.children(recursive=True))

    def cpu_seconds(self) -> float:
        """User + system CPU time the server process (and any children) has used so far."""
        return cpu_seconds([self.proc.pid])

    def stop(self) -> None:
        if self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(timeout=15)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(timeout=5)
        self.log.close()

    def __enter__(self) -> StreamlitServer:
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()


def cpu_seconds(pids: list[int]) -> float:
    import psutil

    total = 0.0
    for pid in pids:
        proc = psutil.Process(pid)
        for p in [proc, *proc.children(recursive=True)]:
            t = p.cpu_times()
            total += t.user + t.system
    return total


# ----------------------------------------------------------------------------- databases
def sqlite_database(name: str) -> str:
    """A fresh (deleted) SQLite file in the work folder; returns its URL."""
    WORK_DIR.mkdir(parents=True, exist_ok=True)
    path = WORK_DIR / f"{name}.db"
    for suffix in ("", "-wal", "-shm"):
        Path(f"{path}{suffix}").unlink(missing_ok=True)
    return f"sqlite:///{path}"


def _pg_admin() -> Engine:
    return sa.create_engine(PG_ADMIN_URL, isolation_level="AUTOCOMMIT", pool_pre_ping=True)


def postgres_available() -> str | None:
    """None when the PostgreSQL server answers; otherwise why not."""
    admin = _pg_admin()
    try:
        with admin.connect() as conn:
            conn.exec_driver_sql("SELECT 1")
        return None
    except Exception as exc:
        return f"no PostgreSQL server at {PG_ADMIN_URL} ({type(exc).__name__})"
    finally:
        admin.dispose()


def postgres_database(name: str) -> str:
    """A fresh (dropped and created) PostgreSQL database; returns its URL."""
    admin = _pg_admin()
    try:
        with admin.connect() as conn:
            conn.exec_driver_sql(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
            conn.exec_driver_sql(f'CREATE DATABASE "{name}"')
    finally:
        admin.dispose()
    return make_url(PG_ADMIN_URL).set(database=name).render_as_string(hide_password=False)


def drop_postgres_database(name: str) -> None:
    admin = _pg_admin()
    try:
        with admin.connect() as conn:
            conn.exec_driver_sql(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    finally:
        admin.dispose()


def engine_for(url: str) -> Engine:
    return make_engine(url)


def database_size_bytes(engine: Engine) -> int:
    if engine.dialect.name == "sqlite":
        path = Path(engine.url.database or "")
        return sum(Path(f"{path}{s}").stat().st_size for s in ("", "-wal") if Path(f"{path}{s}").exists())
    with engine.connect() as conn:
        return int(conn.execute(sa.text("SELECT pg_database_size(current_database())")).scalar_one())


# ----------------------------------------------------------------------------- profiling
PROFILED_APP = '''"""Generated by bench/servers.py: runs the real app.py under pyinstrument, one profile per page."""
import sys
import types

import pyinstrument
from streamlit.runtime.scriptrunner import get_script_run_ctx

REAL_APP = {real_app!r}
OUT_DIR = {out_dir!r}
state = sys.modules.get("_bench_profiles")
if state is None:
    state = types.ModuleType("_bench_profiles")
    state.sessions = {{}}
    state.runs = {{}}
    sys.modules["_bench_profiles"] = state

with open(REAL_APP, encoding="utf-8") as _f:
    _code = compile(_f.read(), REAL_APP, "exec")
_profiler = pyinstrument.Profiler(interval=0.001)
_profiler.start()
try:
    exec(_code, {{"__name__": "__main__", "__file__": REAL_APP}})
finally:
    _session = _profiler.stop()
    _ctx = get_script_run_ctx()
    _key = _ctx.pages_manager.current_page_script_hash if _ctx else "unknown"
    state.runs[_key] = state.runs.get(_key, 0) + 1
    if state.runs[_key] > 1:  # warm runs only: the first run of a page in this process is left out
        _old = state.sessions.get(_key)
        state.sessions[_key] = _session if _old is None else pyinstrument.session.Session.combine(_old, _session)
        state.sessions[_key].save(f"{{OUT_DIR}}/{{_key}}.pyisession")
'''


def profiled_root(out_dir: Path) -> Path:
    """A folder that mirrors the project (symlinks) with an app.py that profiles the real one.

    st.navigation resolves page files against the main script's folder, so the wrapper must sit
    where app.py sits: in a mirror of the project root."""
    root = WORK_DIR / "profile-root"
    if root.exists():
        shutil.rmtree(root)
    root.mkdir(parents=True)
    out_dir.mkdir(parents=True, exist_ok=True)
    for entry in ROOT.iterdir():
        if entry.name in ("app.py", "bench-results", ".git"):
            continue
        (root / entry.name).symlink_to(entry)
    (root / "app.py").write_text(PROFILED_APP.format(real_app=str(ROOT / "app.py"), out_dir=str(out_dir)), encoding="utf-8")
    return root
