"""The agenda's drafted text, written as the secretariat writes it: the previous minutes to adopt
(item 2), the chair's directives still open (item 3), and the round's results as a paragraph
(item 4), from the same figures as the chair's overview (`services.overview.RoundOverview`)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING

import pandas as pd

from core import names
from core.i18n import translate
from core.thaidate import format_date
from models import ResolutionKind
from services.overview import fmt_pct

if TYPE_CHECKING:
    from models import Directive, Meeting
    from services.meetings import AnswerView
    from services.overview import RoundOverview

HIGHLIGHTS_IN_PROSE = 3  # the first notable results named in item 4; the page lists them all
DELAYED_IN_PROSE = 5  # delayed items named one by one; past that, only their number


def meeting_ref(meeting: Meeting, lang: str = "th") -> str:
    return translate("meeting.number", lang, number=meeting.number, year=meeting.year_be)


def default_resolution_kind(section: int) -> str:
    """The usual resolution of an item of this section: 2 รับรอง, 5 เห็นชอบ, the rest รับทราบ."""
    return {2: ResolutionKind.adopt, 5: ResolutionKind.approve}.get(section, ResolutionKind.acknowledge).value


def resolution_text(kind: str, text: str, lang: str = "th") -> str:
    """What the minutes print after "มติที่ประชุม": the text as written, or the usual sentence of
    its form when the text is empty."""
    if text.strip():
        return text.strip()
    return translate(f"resolution.sentence.{kind}", lang) if kind and kind != ResolutionKind.other else ""


def previous_minutes(meeting: Meeting, lang: str = "th") -> tuple[str, str]:
    """Item 2: the minutes of `meeting`, to be adopted."""
    title = translate("agenda.draft.previous_title", lang, ref=meeting_ref(meeting, lang))
    body = translate(
        "agenda.draft.previous_body", lang, ref=meeting_ref(meeting, lang), date=format_date(meeting.held_on, lang=lang)
    )
    return title, body


def adoption_resolution(meeting: Meeting, corrections: str, lang: str = "th") -> str:
    if corrections.strip():
        return translate("agenda.adopted_with", lang, ref=meeting_ref(meeting, lang), corrections=corrections.strip())
    return translate("agenda.adopted_as_is", lang, ref=meeting_ref(meeting, lang))


def carried_directive(
    directive: Directive, meeting_of: Meeting, answers: Sequence[AnswerView], lang: str = "th"
) -> tuple[str, str]:
    """Item 3: a directive still open, with each assigned agency's latest answer."""
    title = translate(
        "agenda.draft.directive_title",
        lang,
        ref=meeting_ref(meeting_of, lang),
        due=format_date(directive.due_on, lang=lang),
    )
    lines = [translate("agenda.draft.directive_body", lang, text=directive.text)]
    for a in answers:
        if a.answer_id is None:
            lines.append(translate("agenda.draft.no_answer", lang, agency=names.agency_name(a, lang)))
        else:
            lines.append(
                translate(
                    "agenda.draft.answer",
                    lang,
                    agency=names.agency_name(a, lang),
                    text=a.text,
                    date=format_date(a.answered_at.date(), short=True, lang=lang) if a.answered_at else "",
                )
            )
    return title, "\n".join(lines)


def _spaced(name: str, lang: str) -> str:
    """An agency's name after a Thai word: an abbreviation (สนย.) is set off by a space, a name that
    starts with a word (สำนักงาน กศน.) is written on."""
    return name if lang != "th" or name.startswith("สำนัก") else f" {name}"


def listing(parts: Sequence[str], lang: str = "th") -> str:
    """ "ก ข และ ค": Thai lists by spaces, with และ before the last part."""
    parts = list(parts)
    if len(parts) > 1:
        parts[-1] = translate("prose.and", lang) + parts[-1]
    return (" " if lang == "th" else ", ").join(parts)


def _numbered(names: Sequence[str], lang: str) -> str:
    """The way the seed lists agencies and main issues: "1. ก 2. ข และ 3. ค"."""
    return listing([f"{n}. {name}" for n, name in enumerate(names, start=1)], lang)


def _against(actual: float | None, expected: float | None, lang: str) -> str:
    if actual is None or expected is None or pd.isna(actual) or pd.isna(expected):
        return ""
    gap = round(float(actual) - float(expected), 1)
    if gap > 0:
        return translate("prose.above", lang, gap=f"{gap:.1f}")
    if gap < 0:
        return translate("prose.below", lang, gap=f"{-gap:.1f}")
    return translate("prose.as_expected", lang)


def round_results(ov: RoundOverview, lang: str = "th") -> tuple[str, str]:
    """Item 4: the reviewed round's results as paragraphs like the seed's, not a table."""
    h, rnd = ov.headline, ov.round
    round_name = translate("round.label", lang, fy=rnd.fiscal_year, months=rnd.months)
    title = translate("agenda.draft.results_title", lang, round=round_name)
    name_col = "agency_name_en" if lang == "en" else "agency_name_th"
    agencies = ov.agencies
    shorts = names.column(agencies, "agency_short_name", lang)
    agency_names = [str(n) if str(n) else str(s) for n, s in zip(agencies[name_col], shorts, strict=True)]
    main_names = [names.main_issue_name(m, lang) for m in h.main_issues]
    sub_count = int(ov.cells["sub_issue_code"].nunique()) if not ov.cells.empty else 0
    first = translate(
        "prose.results_intro",
        lang,
        round=round_name,
        start=format_date(rnd.period_start, lang=lang),
        end=format_date(rnd.period_end, lang=lang),
        agencies=len(agency_names),
        agency_list=_numbered(agency_names, lang),
        mains=len(main_names),
        main_list=_numbered(main_names, lang),
        subs=sub_count,
    )
    first += " " + translate("prose.reported", lang, reported=h.agencies_reported, total=h.agencies_total)
    if h.overall is not None:
        first += " " + translate(
            "prose.overall",
            lang,
            overall=fmt_pct(h.overall),
            expected=fmt_pct(h.expected_progress),
            against=_against(h.overall, h.expected_progress, lang),
        )
    per_main = [
        translate(
            "prose.main_issue",
            lang,
            number=m.number,
            progress=fmt_pct(m.weighted_progress),
            against=_against(m.weighted_progress, m.expected_progress, lang),
        )
        for m in h.main_issues
        if m.weighted_progress is not None
    ]
    if per_main:
        first += " " + translate("prose.by_main_issue", lang, list=" ".join(per_main))
    paragraphs = [first.strip()]

    delayed = ov.cells[ov.cells["status"] == "delayed"] if not ov.cells.empty else ov.cells
    if h.items_delayed:
        if 0 < len(delayed) <= DELAYED_IN_PROSE:
            named = listing(
                [
                    translate("prose.item_of", lang, code=r.sub_issue_code, agency=names.agency_name(r, lang))
                    for r in delayed.itertuples()
                ],
                lang,
            )
            paragraphs.append(translate("prose.delayed_named", lang, n=h.items_delayed, items=named))
        else:
            paragraphs.append(translate("prose.delayed", lang, n=h.items_delayed))
    else:
        paragraphs.append(translate("prose.none_delayed", lang))
    if h.items_not_reported or h.items_returned:
        paragraphs[-1] += " " + translate("prose.open_items", lang, missing=h.items_not_reported, returned=h.items_returned)

    if not ov.highlights.empty:
        named = [
            translate("prose.highlight", lang, agency=names.agency_name(r, lang), text=str(r.achievements).strip())
            for r in ov.highlights.head(HIGHLIGHTS_IN_PROSE).itertuples()
            if str(r.achievements).strip()
        ]
        if named:
            paragraphs.append(translate("prose.highlights", lang, list=" ".join(named)))

    ev = ov.latest_evaluation
    if ev is not None:
        paragraphs.append(
            translate(
                "prose.evaluation",
                lang,
                fy=ev.fiscal_year,
                component=ev.component,
                score=f"{ev.score:.2f}",
                level=ev.level_en if lang == "en" and ev.level_en else ev.level_th,
            )
        )
    return title, "\n".join(paragraphs)
