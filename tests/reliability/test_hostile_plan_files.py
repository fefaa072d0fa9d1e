"""Hostile plan files: disguised, damaged, oversized and malicious files are refused cleanly.

Each file of the corpus goes through the library (`load_plan_file`, and `parse_plan` when the
file is UTF-8 text) and through `python cli.py load-plan FILE` on a fresh, migrated SQLite
database. A clean refusal is: PlanFileError with short one-line problems from the library; exit
status 1, no traceback, a "load-plan: refused: FILE: …" first line and at most the capped listing
on stderr from the command line; and not one row added or changed in any table.

A control test loads the demo plan through the same harness, so a harness that refuses
everything cannot pass. The figures count each corpus file once (refused cleanly = by both paths).
"""

from __future__ import annotations

import io
import os
import random
import sqlite3
import subprocess
import sys
import zipfile
from collections.abc import Callable
from pathlib import Path

import pytest

from services.plan_loader import MAX_FILE_BYTES, PlanFileError, load_plan_file, parse_plan
from tests import figures
from tests.conftest import sqlite_copy

ROOT = Path(__file__).resolve().parents[2]
DEMO = ROOT / "data" / "plan_demo.yaml"
DEMO_TEXT = DEMO.read_text(encoding="utf-8")
DEMO_BYTES = DEMO.read_bytes()
TABLES = (
    "plan",
    "agency",
    "main_issue",
    "sub_issue",
    "assignment",
    "expected_progress",
    "evaluation_level_band",
    "reporting_round",
    "app_user",
    "audit_log",
)
MAX_STDERR_LINES = 1 + 20 + 1  # header, the first 20 problems, "… and N more"
SHELL_MARKER = "hostile-plan-was-executed"


# ---------------------------------------------------------------- the corpus
def _xlsx() -> bytes:
    from openpyxl import Workbook

    book = Workbook()
    book.active.append(["code", "name_th"])
    book.active.append(["BPS", "สำนักนโยบายและยุทธศาสตร์"])
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def _zip_of_yaml() -> bytes:
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as archive:
        archive.writestr("plan.yaml", DEMO_TEXT)
    return out.getvalue()


def _billion_laughs() -> str:
    lines = ['a: &a ["lol","lol","lol","lol","lol","lol","lol","lol","lol"]']
    for prev, name in zip("abcdefgh", "bcdefghi", strict=True):
        lines.append(f"{name}: &{name} [{', '.join(f'*{prev}' for _ in range(9))}]")
    return "\n".join(lines) + "\n"


def _huge() -> bytes:
    body = DEMO_BYTES[DEMO_BYTES.index(b"agencies:") :]
    return DEMO_BYTES + (b"# again\n" + body) * (20_000_000 // len(body) + 1)


def _cut_inside_a_character() -> bytes:
    cut = DEMO_BYTES.index("สำนักงานคณะกรรมการการศึกษาเอกชน".encode()) + 1  # one byte into a 3-byte character
    return DEMO_BYTES[:cut]


def _tabs() -> str:
    return DEMO_TEXT.replace("\n  - code: OTEPC\n    name_th:", "\n  - code: OTEPC\n\tname_th:", 1)


def _bom_latin1() -> bytes:
    return b"\xef\xbb\xbf" + "plan:\n  name_th: Plan caf\xe9\n  first_fiscal_year: 2562\n".encode("latin-1")


CORPUS: list[tuple[str, Callable[[], bytes | str]]] = [
    ("binary-junk", lambda: random.Random(20200626).randbytes(64 * 1024)),
    ("xlsx-renamed", _xlsx),
    ("zip-of-the-demo-plan", _zip_of_yaml),
    ("pdf-renamed", lambda: b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n1 0 obj\n<< /Type /Catalog >>\nendobj\n" + bytes(range(256)) * 8),
    ("png-renamed", lambda: b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR" + bytes(512)),
    ("truncated-yaml", lambda: DEMO_TEXT[: DEMO_TEXT.index("{agency: BLA, output:") + 12]),
    ("truncated-mid-character", _cut_inside_a_character),
    ("empty", lambda: b""),
    ("whitespace-only", lambda: "\n\n   \n\t\n"),
    ("nul-byte", lambda: DEMO_TEXT.replace("name_th: สำนักนิติการ", "name_th: สำนัก\x00นิติการ", 1)),
    ("bom-then-latin-1", _bom_latin1),
    ("latin-1", lambda: DEMO_TEXT.encode("utf-8").replace("สำนักนิติการ".encode(), "Bureau l\xe9gal".encode("latin-1"), 1)),
    ("utf-16", lambda: DEMO_TEXT.encode("utf-16")),
    ("windows-874", lambda: DEMO_TEXT.encode("cp874", errors="replace")),
    ("yaml-alias-bomb", _billion_laughs),
    ("recursive-alias", lambda: "plan: &p\n  name_th: x\n  self: *p\n"),
    ("merge-key-alias", lambda: DEMO_TEXT.replace("plan:\n", "base: &b {demo: true}\nplan:\n  <<: *b\n", 1)),
    ("huge-20mb", _huge),
    ("huge-single-line", lambda: "plan: {name_th: " + "ก" * (MAX_FILE_BYTES // 3 - 100) + "}\n"),
    ("deeply-nested-flow", lambda: "plan: " + "[" * 200_000 + "]" * 200_000 + "\n"),
    ("deeply-nested-block", lambda: "".join(" " * i + f"k{i}:\n" for i in range(2_000)) + " " * 2_000 + "v\n"),
    ("many-values", lambda: "agencies: [" + "0," * 400_000 + "]\n"),
    ("sixty-thousand-agencies", lambda: DEMO_TEXT.replace("agencies:\n", "agencies:\n" + "  - {code: ZZ}\n" * 60_000, 1)),
    ("python-object-tag", lambda: f'plan: !!python/object/apply:os.system ["touch {SHELL_MARKER}"]\n'),
    ("unknown-tag", lambda: "plan: !include /etc/passwd\n"),
    ("two-documents", lambda: DEMO_TEXT + "\n---\n" + DEMO_TEXT),
    ("top-level-list", lambda: "- plan\n- agencies\n"),
    ("json-scalar", lambda: '"just a string"\n'),
    ("tab-indentation", _tabs),
    ("huge-integer", lambda: DEMO_TEXT.replace("first_fiscal_year: 2562", "first_fiscal_year: " + "9" * 10_000, 1)),
    ("impossible-date", lambda: DEMO_TEXT.replace("first_fiscal_year: 2562", "first_fiscal_year: 2562-13-45", 1)),
    ("nan-target", lambda: DEMO_TEXT.replace("target: 30,", "target: .nan,", 1)),
    ("negative-target", lambda: DEMO_TEXT.replace("target: 30,", "target: -5,", 1)),
    ("control-characters", lambda: DEMO_TEXT.replace("name_en: Bureau of Legal Affairs", "name_en: \x1b[31mred\x1b[0m", 1)),
    ("long-unknown-key", lambda: DEMO_TEXT.replace("  demo: true\n", "  demo: true\n  ? " + "k" * 500_000 + "\n  : 1\n", 1)),
]
IDS = [name for name, _ in CORPUS]


# ---------------------------------------------------------------- harness
def _rows(db: Path) -> dict[str, int]:
    con = sqlite3.connect(db)
    try:
        return {t: con.execute(f"select count(*) from {t}").fetchone()[0] for t in TABLES}
    finally:
        con.close()


def _cli(db: Path, *args: str) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if k not in ("DATABASE_URL", "DEMO_MODE", "COOKIE_KEY", "CLI_DEBUG")}
    env.update({"SQLITE_PATH": str(db), "DEMO_MODE": "false", "COOKIE_KEY": "r" * 48, "BCRYPT_ROUNDS": "4"})
    return subprocess.run(
        [sys.executable, "cli.py", *args],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        stdin=subprocess.DEVNULL,
    )


@pytest.fixture
def fresh_db(sqlite_templates: dict[str, Path], tmp_path: Path) -> Path:
    """A migrated, empty SQLite database of its own."""
    return sqlite_copy(sqlite_templates, "empty", tmp_path)


def _library_refuses(path: Path, content: bytes) -> PlanFileError:
    with pytest.raises(PlanFileError) as exc:
        load_plan_file(path)
    try:
        text = content.decode("utf-8")
    except UnicodeDecodeError:
        text = None
    if text is not None:  # the same content handed over as text is refused the same way
        with pytest.raises(PlanFileError):
            parse_plan(text)
    for problem in exc.value.problems:
        shown = str(problem)
        assert "\n" not in shown and len(shown) < 600, shown[:200]
    return exc.value


# ---------------------------------------------------------------- tests
@pytest.mark.parametrize(("name", "make"), CORPUS, ids=IDS)
def test_hostile_plan_file_is_refused_cleanly(request, fresh_db, tmp_path, name, make):
    content = make()
    content = content.encode("utf-8") if isinstance(content, str) else content
    path = tmp_path / f"{name}.yaml"
    path.write_bytes(content)

    _library_refuses(path, content)

    before = _rows(fresh_db)
    result = _cli(fresh_db, "load-plan", str(path))
    lines = result.stderr.splitlines()
    tracebacks = result.stderr.count("Traceback")
    assert tracebacks == 0, result.stderr[-2000:]
    assert result.returncode == 1, (result.returncode, result.stderr[-500:])
    assert lines and lines[0].startswith(f"load-plan: refused: {path}: "), lines[:1]
    assert len(lines) <= MAX_STDERR_LINES and all(len(line) < 700 for line in lines)
    assert "\x1b" not in result.stderr  # escape sequences from the file do not reach the terminal
    assert result.stdout == ""
    after = _rows(fresh_db)
    changed = sum(abs(after[t] - before[t]) for t in TABLES)
    assert changed == 0, {t: (before[t], after[t]) for t in TABLES if before[t] != after[t]}
    assert not (ROOT / SHELL_MARKER).exists() and not (tmp_path / SHELL_MARKER).exists()

    figures.record(request, inputs_tried=1, inputs_refused=1, tracebacks=tracebacks, rows_changed_by_refusals=changed)


def test_control_the_demo_plan_loads_through_the_same_harness(fresh_db, tmp_path):
    path = tmp_path / "plan.yaml"
    path.write_bytes(DEMO_BYTES)
    assert load_plan_file(path).plan.demo is True
    result = _cli(fresh_db, "load-plan", str(path))
    assert result.returncode == 0, result.stderr
    assert result.stderr == "" and result.stdout.startswith("loaded plan ")
    rows = _rows(fresh_db)
    assert (rows["plan"], rows["agency"], rows["sub_issue"], rows["reporting_round"]) == (1, 7, 13, 12)
