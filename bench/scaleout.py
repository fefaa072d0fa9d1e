"""deploy/scale-out.sh as a context manager: N Streamlit processes behind nginx on one PostgreSQL."""

from __future__ import annotations

import os
import shutil
import signal
import socket
import subprocess
import tempfile
import time
from pathlib import Path

from bench.servers import EXTRA_ENV, ROOT, cpu_seconds, free_port

SCRIPT = ROOT / "deploy" / "scale-out.sh"


def nginx_path() -> str | None:
    return shutil.which("nginx") or ("/usr/sbin/nginx" if Path("/usr/sbin/nginx").exists() else None)


def _free_run(n: int) -> int:
    """The first of n consecutive free loopback ports."""
    for _ in range(200):
        base = free_port()
        if base + n > 65000:
            continue
        ok = True
        for p in range(base, base + n):
            with socket.socket() as s:
                try:
                    s.bind(("127.0.0.1", p))
                except OSError:
                    ok = False
                    break
        if ok:
            return base
    raise RuntimeError("no free ports")


class ScaleOut:
    """`with ScaleOut(database_url, processes=2) as d:` d.url is nginx; d.app_urls are the processes."""

    def __init__(self, database_url: str, *, processes: int = 2, log_path: Path | None = None, timeout: float = 120) -> None:
        self.processes = processes
        self.port = free_port()
        self.app_port = _free_run(processes)
        self.url = f"http://127.0.0.1:{self.port}"
        self.app_urls = [f"http://127.0.0.1:{self.app_port + i}" for i in range(processes)]
        self.run_dir = Path(tempfile.mkdtemp(prefix="reform-scale-out-"))
        self.log_path = log_path or self.run_dir / "scale-out.log"
        env = {k: v for k, v in os.environ.items() if k not in ("SQLITE_PATH", "DEMO_MODE", "COOKIE_KEY")}
        env.update(
            DATABASE_URL=database_url,
            PORT=str(self.port),
            APP_PORT=str(self.app_port),
            PROCESSES=str(processes),
            RUN_DIR=str(self.run_dir),
            BCRYPT_ROUNDS="4",
            SEED_DEMO="0",
        )
        env.update(EXTRA_ENV)
        self._log = self.log_path.open("w")
        self.proc = subprocess.Popen(
            ["bash", str(SCRIPT)], cwd=ROOT, env=env, stdout=self._log, stderr=subprocess.STDOUT, start_new_session=True
        )
        deadline = time.time() + timeout
        while time.time() < deadline:
            if "ready: " in self.log_path.read_text(errors="replace"):
                return
            if self.proc.poll() is not None:
                break
            time.sleep(0.3)
        text = self.log_path.read_text(errors="replace")
        self.stop()
        raise RuntimeError(f"deploy/scale-out.sh did not become ready:\n{text[-3000:]}")

    def app_pids(self) -> list[int]:
        return [int(p.read_text()) for p in sorted(self.run_dir.glob("streamlit-*.pid"))]

    def rss_bytes(self) -> int:
        """Resident memory of the Streamlit processes (nginx is not counted)."""
        import psutil

        return sum(psutil.Process(pid).memory_info().rss for pid in self.app_pids())

    def cpu_seconds(self) -> float:
        return cpu_seconds(self.app_pids())

    def stop(self) -> None:
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)  # the script's trap stops nginx and the processes
            try:
                self.proc.wait(timeout=30)
            except subprocess.TimeoutExpired:
                os.killpg(self.proc.pid, signal.SIGKILL)  # the group this object started
                self.proc.wait(timeout=5)
        self._log.close()

    def __enter__(self) -> ScaleOut:
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()
