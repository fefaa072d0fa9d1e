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


# ---------------------------------------------------------------- refusals: one clear line, never a traceback
DEMO_TEXT = (ROOT / "data" / "plan_demo.yaml").read_text(encoding="utf-8")
TABLES = ("plan", "agency", "main_issue", "sub_issue", "assignment", "evaluation_level_band", "reporting_round", "audit_log")


def _rows(real_env) -> dict[str, int]:
    import sqlite3

    con = sqlite3.connect(real_env["SQLITE_PATH"])
    try:
        return {t: con.execute(f"select count(*) from {t}").fetchone()[0] for t in TABLES}
    finally:
        con.close()


def _plan_with(name: str = "Test plan", agencies: str = "  - {code: AA, name_th: Agency, short_name_th: A}\n") -> str:
    return (
        f"plan:\n  name_th: {name}\n  first_fiscal_year: 2562\n  last_fiscal_year: 2564\nagencies:\n{agencies}"
        'main_issues:\n  - number: 1\n    name_th: Main\n    sub_issues:\n      - {code: "1.1", name_th: Sub}\n'
    )


def _write(path: Path, content: bytes | str) -> Path:
    if isinstance(content, str):
        content = content.encode("utf-8")
    path.write_bytes(content)
    return path


def _latin1(d: Path) -> Path:
    return _write(d / "latin1.yaml", _plan_with(name="Caf\xe9 plan").encode("latin-1"))


def _missing(d: Path) -> Path:
    return d / "no-such-plan.yaml"


def _folder(d: Path) -> Path:
    (d / "plans").mkdir()
    return d / "plans"


def _same_twice(d: Path) -> Path:
    return ROOT / "data" / "plan_demo.yaml"  # loaded once already by the test


def _negative_target(d: Path) -> Path:
    assert "target: 30," in DEMO_TEXT
    return _write(d / "negative.yaml", DEMO_TEXT.replace("target: 30,", "target: -5,", 1))


def _huge_name(d: Path) -> Path:
    return _write(d / "name.yaml", _plan_with(name="x" * 5_000_000))


def _twenty_mb(d: Path) -> Path:
    path = d / "huge.yaml"
    with path.open("w", encoding="utf-8") as fh:
        fh.write(DEMO_TEXT)
        while fh.tell() < 20_000_000:
            fh.write("# filler line of an oversized plan file\n" * 1000)
    return path


def _sixty_thousand_agencies(d: Path) -> Path:
    rows = "".join(f"  - {{code: A{i:05d}}}\n" for i in range(60_000))  # terse: under the size cap
    return _write(d / "agencies.yaml", _plan_with(agencies=rows))


REFUSED = [
    (_latin1, "line 2: the file is not UTF-8 text (save it as UTF-8)"),
    (_missing, "there is no such file"),
    (_folder, "this is a folder, not a plan file"),
    (_same_twice, "line 9, plan.name_th: a plan with this name is already in the database"),
    (_negative_target, "main_issues[0].sub_issues[0].assignments[0].target: Input should be greater than or equal to 0"),
    (_huge_name, "a plan file may be at most 2 MB"),
    (_twenty_mb, "a plan file may be at most 2 MB"),
    (_sixty_thousand_agencies, "agencies: 60,000 agencies: a plan file may hold at most 2,000"),
]


@pytest.mark.parametrize(("make", "reason"), REFUSED, ids=[m.__name__.strip("_") for m, _ in REFUSED])
def test_load_plan_refuses_bad_input_in_one_line(real_env, tmp_path, make, reason):
    assert _cli("migrate", env_extra=real_env).returncode == 0
    if make is _same_twice:
        first = _cli("load-plan", str(ROOT / "data" / "plan_demo.yaml"), env_extra=real_env)
        assert first.returncode == 0, first.stderr
    before = _rows(real_env)
    path = make(tmp_path)
    result = _cli("load-plan", str(path), env_extra=real_env)
    assert result.returncode == 1
    assert "Traceback" not in result.stderr
    (line,) = result.stderr.splitlines()
    assert line.startswith(f"load-plan: refused: {path}: ") and reason in line
    assert result.stdout == ""
    assert _rows(real_env) == before


def test_many_problems_are_listed_one_per_line_and_capped(real_env, tmp_path):
    rows = "".join(f"  - {{code: bad{i}, name_th: Agency, short_name_th: A}}\n" for i in range(35))
    path = _write(tmp_path / "codes.yaml", _plan_with(agencies=rows))
    result = _cli("load-plan", str(path), env_extra=real_env)
    assert result.returncode == 1 and "Traceback" not in result.stderr
    header, *problems, more = result.stderr.splitlines()
    assert header == f"load-plan: refused: {path}: the plan was not loaded, 35 problems:"
    assert len(problems) == 20 and all(p.startswith("  line ") and "agencies[" in p for p in problems)
    assert more == "  … and 15 more"


@pytest.mark.parametrize(
    ("args", "extra", "code", "text"),
    [
        ((), {}, 2, "cli.py: usage error: the following arguments are required: command"),
        (("bogus",), {}, 2, "cli.py: usage error: argument command: invalid choice: 'bogus'"),
        (("load-plan",), {}, 2, "cli.py load-plan: usage error: the following arguments are required: file"),
        (("migrate",), {"BCRYPT_ROUNDS": "abc"}, 1, "migrate: refused: "),
        (("migrate",), {"DATABASE_URL": "postgresql+psycopg://postgres@127.0.0.1:1/none"}, 1, "migrate: database error: "),
        (("load-plan", "x.yaml"), {"DATABASE_URL": "nonsense://"}, 1, "load-plan: refused: x.yaml: there is no such file"),
        (("create-admin", "boss"), {}, 1, "create-admin: refused: no password given"),
        (("create-admin", "boss"), {"ADMIN_PASSWORD": "short"}, 1, "create-admin: refused: "),
    ],
    ids=["no-command", "unknown-command", "no-file", "bad-setting", "no-database", "no-file-first", "no-password", "weak"],
)
def test_every_error_is_one_line_with_its_exit_code(real_env, args, extra, code, text):
    result = _cli(*args, env_extra=real_env | extra, input_text="")
    assert result.returncode == code
    assert "Traceback" not in result.stderr
    (line,) = result.stderr.splitlines()
    assert line.startswith(text)


def test_remind_posts_the_notices_of_the_open_round_and_says_e_mail_is_off(demo_sqlite_path):
    import sqlite3

    env = {"SQLITE_PATH": str(demo_sqlite_path), "BCRYPT_ROUNDS": "4"}
    none = _cli("remind", env_extra=env)
    assert none.returncode == 1 and "say when" in none.stderr
    later = _cli("remind", "--before", "400", env_extra=env)  # the demo's open round is not due then
    assert later.returncode == 0 and "no open round is due for a reminder today" in later.stdout
    done = _cli("remind", "--now", env_extra=env)
    assert done.returncode == 0, done.stderr
    assert "SMTP_HOST is not set" in done.stdout
    assert done.stdout.count("e-mail off") == 5
    con = sqlite3.connect(demo_sqlite_path)
    assert con.execute("select count(*), min(by_id) from reminder").fetchone() == (5, None)
