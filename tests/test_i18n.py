import re
from pathlib import Path

import pytest

from core.i18n import LANGUAGES, MissingTranslation, catalog, translate
from models import (
    AttendanceKind,
    DirectiveState,
    MinutesState,
    ProgressStatus,
    ResolutionKind,
    Role,
    RoundState,
    SubmissionState,
)
from services.progress import EDITABLE_FIELDS

ROOT = Path(__file__).resolve().parent.parent
SOURCES = [
    *ROOT.glob("app.py"),
    *ROOT.glob("pages/*.py"),
    *ROOT.glob("ui/*.py"),
    *ROOT.glob("core/*.py"),
    *ROOT.glob("services/**/*.py"),
]
LITERAL_KEY = re.compile(r"""\b(?:t|translate)\(\s*["']([a-z_]+\.[a-z0-9_.]+)["']""")
KEY_IN_STRING = re.compile(
    r"""["']((?:error|nav|home|users|login|account|round|state|lang|col|meeting|demo|app)\.[a-z0-9_.]+)["']"""
)


@pytest.mark.parametrize("key", sorted(catalog()))
def test_every_key_has_both_languages(key):
    for lang in LANGUAGES:
        assert catalog()[key].get(lang, "").strip(), f"{key} has no {lang} text"


def test_every_entry_is_exactly_a_thai_and_an_english_string():
    """Read as YAML, not through catalog(): an unquoted comma in a flow mapping turns
    `en: Yes, remove it` into the boolean True and a stray key, which catalog() would show as "True"."""
    import yaml

    raw = yaml.safe_load((ROOT / "core" / "catalog.yaml").read_text(encoding="utf-8"))
    wrong = {
        key: entry
        for key, entry in raw.items()
        if not isinstance(entry, dict)
        or set(entry) != set(LANGUAGES)
        or not all(isinstance(v, str) and v.strip() for v in entry.values())
    }
    assert not wrong, f"entries that are not exactly a Thai and an English string: {wrong}"


def test_every_key_used_in_code_exists():
    used = set()
    for path in SOURCES:
        text = path.read_text(encoding="utf-8")
        used |= set(LITERAL_KEY.findall(text)) | set(KEY_IN_STRING.findall(text))
    missing = sorted(k for k in used if k not in catalog() and not k.endswith("."))  # "x." + value: tested below
    assert not missing, f"keys used in code but missing from the catalog: {missing}"


def test_keys_built_from_enums_exist():
    keys = [f"role.{r.value}" for r in Role] + [f"state.{s.value}" for s in SubmissionState]
    keys += [f"round.state.{s.value}" for s in RoundState] + ["state.missing"]
    keys += [f"status.{s.value}" for s in ProgressStatus]
    keys += [f"field.{name}" for name in (*EDITABLE_FIELDS, "report", "review_comment", "submission_state", "version")]
    keys += [f"review.{kind}" for kind in ("submit", "approve", "return", "answer", "correct")]
    keys += [f"rounds.event.{action}" for action in ("open", "close", "reopen", "due")]
    keys += [f"minutes_state.{s.value}" for s in MinutesState] + [f"attendance.{k.value}" for k in AttendanceKind]
    keys += [f"resolution.{k.value}" for k in ResolutionKind] + [f"directive_state.{s.value}" for s in DirectiveState]
    keys += [f"resolution.sentence.{k.value}" for k in ResolutionKind if k != ResolutionKind.other]
    keys += [f"agenda.section.{n}" for n in range(1, 7)] + [
        f"meetings.file.{k}_{f}" for k in ("agenda", "minutes") for f in ("docx", "pdf")
    ]
    missing = [k for k in keys if k not in catalog()]
    assert not missing


def test_translate_fills_parameters_and_thai_is_default():
    assert translate("round.label", fy=2563, months=9) == "ปีงบประมาณ พ.ศ. 2563 รอบ 9 เดือน"
    assert translate("round.label", "en", fy=2563, months=9) == "FY2563 (BE), 9-month round"


def test_unknown_key_raises():
    with pytest.raises(MissingTranslation):
        translate("no.such.key")
