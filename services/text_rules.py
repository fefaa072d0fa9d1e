"""The rules every piece of free text obeys, wherever it is typed or imported: a length limit and
no control characters (PostgreSQL cannot store NUL, Excel files cannot hold the others, and none
of them is text anyone means to type). Tab and line breaks are text."""

from __future__ import annotations

from dataclasses import dataclass, field

CONTROL_CHARACTERS = frozenset({chr(c) for c in range(32) if chr(c) not in "\t\n\r"} | {"\x7f"})


@dataclass(frozen=True)
class FieldProblem:
    field: str
    message_key: str
    params: dict = field(default_factory=dict)
    sub_issue_code: str = ""


def text_problems(field_name: str, value: str | None, limit: int) -> list[FieldProblem]:
    """Too long, or holding control characters: the problems of one text, none if it is fine."""
    text = value or ""
    problems = []
    if len(text) > limit:
        problems.append(FieldProblem(field_name, "error.text_too_long", {"limit": f"{limit:,}", "length": f"{len(text):,}"}))
    if any(ch in CONTROL_CHARACTERS for ch in text):
        problems.append(FieldProblem(field_name, "error.text_control_chars"))
    return problems
