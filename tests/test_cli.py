"""The command line a real deployment starts with: empty database, first admin, plan file."""

import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent


def _cli(*args, env_extra, input_text=None):
    env = {k: v for k, v in os.environ.items() if k not in ("DATABASE_URL", "DEMO_MODE", "COOKIE_KEY")}
    env.update(env_extra)
    return subprocess.run(
        [sys.executable, "cli.py", *args], cwd=ROOT, env=env, capture_output=True, text=True, timeout=120, input=input_text
    )


@pytest.fixture
def real_env(tmp_path):
    return {"SQLITE_PATH": str(tmp_path / "real.db"), "DEMO_MODE": "false", "COOKIE_KEY": "r" * 48, "BCRYPT_ROUNDS": "4"}


def test_real_deployment_starts_empty_then_first_admin_from_cli(real_env):
    assert _cli("migrate", env_extra=real_env).returncode == 0
    import sqlite3

    con = sqlite3.connect(real_env["SQLITE_PATH"])
    assert con.execute("select count(*) from app_user").fetchone() == (0,)
    assert con.execute("select count(*) from plan").fetchone() == (0,)
    done = _cli("create-admin", "boss", env_extra=real_env | {"ADMIN_PASSWORD": "a-strong-password"})
    assert done.returncode == 0, done.stderr
    assert con.execute("select username, role from app_user").fetchall() == [("boss", "admin")]
    again = _cli("create-admin", "boss", env_extra=real_env | {"ADMIN_PASSWORD": "a-strong-password"})
    assert again.returncode == 1 and "username_taken" in again.stderr


def test_check_config_refuses_unsafe_key_outside_demo(real_env):
    refused = _cli("check-config", env_extra=real_env | {"COOKIE_KEY": "short"})
    assert refused.returncode == 1 and "shorter than 32 bytes" in refused.stderr
    assert _cli("check-config", env_extra=real_env).returncode == 0


def test_load_plan_reports_line_and_loads_nothing_on_error(real_env, tmp_path):
    text = (ROOT / "data" / "plan_demo.yaml").read_text(encoding="utf-8")
    bad = tmp_path / "bad.yaml"
    bad.write_text(text.replace("{agency: BLA, output: รายงาน", "{agency: XYZ, output: รายงาน"), encoding="utf-8")
    result = _cli("load-plan", str(bad), env_extra=real_env)
    assert result.returncode == 1
    assert "unknown agency 'XYZ'" in result.stderr and "line " in result.stderr
    ok = _cli("load-plan", str(ROOT / "data" / "plan_demo.yaml"), env_extra=real_env)
    assert ok.returncode == 0, ok.stderr
    import sqlite3

    con = sqlite3.connect(real_env["SQLITE_PATH"])
    assert con.execute("select count(*) from plan").fetchone() == (1,)
    assert con.execute("select count(*) from reporting_round").fetchone() == (12,)
