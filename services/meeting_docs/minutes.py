"""A meeting laid out as an agenda (for circulation before the meeting) or as its minutes
(รายงานการประชุม), in the order and wording of the Regulation on Correspondence (NOTES.md,
"Minutes format"): title, ครั้งที่, เมื่อวัน…ที่, ณ, the three attendance lists, เริ่มประชุมเวลา,
ระเบียบวาระที่ 1–6 each with its text and มติที่ประชุม, เลิกประชุมเวลา, the note-taker and the checker."""

from __future__ import annotations

from core import names
from core.i18n import translate
from core.thaidate import format_date, format_time, thai_digits
from models import AttendanceKind
from services.meeting_docs.document import Block, Document, Heading, Paragraph, Row, Rows, Signature, Spacer, Title
from services.meeting_docs.prose import listing, meeting_ref, resolution_text
from services.meetings import MeetingDetail

WEEKDAYS_TH = ("จันทร์", "อังคาร", "พุธ", "พฤหัสบดี", "ศุกร์", "เสาร์", "อาทิตย์")


def _when(detail: MeetingDetail, lang: str) -> str:
    m = detail.meeting
    if lang == "en":
        return translate("minutes.when", lang, weekday=m.held_on.strftime("%A"), date=format_date(m.held_on, lang=lang))
    return translate("minutes.when", lang, weekday=WEEKDAYS_TH[m.held_on.weekday()], date=format_date(m.held_on, lang=lang))


def _title_lines(detail: MeetingDetail, kind: str, lang: str) -> tuple[str, ...]:
    m = detail.meeting
    head = translate(f"minutes.{kind}_title", lang, group=m.group_name or detail.plan_name)
    lines = [head, meeting_ref(m, lang), _when(detail, lang)]
    if kind == "agenda" and m.starts_at is not None:
        lines[-1] += " " + translate("minutes.at_time", lang, time=format_time(m.starts_at, lang=lang))
    if m.venue:
        lines.append(translate("minutes.venue_line", lang, venue=m.venue))
    return tuple(lines)


def _attendance_rows(rows, lang: str, *, absent: bool = False) -> Rows:
    out = []
    for n, a in enumerate(rows, start=1):
        if a.kind == AttendanceKind.substitute:
            name = a.stand_in_name
            position = " ".join(
                p for p in (a.stand_in_position, translate("minutes.instead_of", lang, name=a.name, position=a.position)) if p
            ).strip()
        else:
            name, position = a.name, a.position
        note = a.reason if absent else a.group_role
        out.append(Row(number=f"{n}.", name=name, position=position, note=note))
    return Rows(rows=tuple(out))


def _item_number(section: int, position: int, count: int) -> str:
    return f"{section}.{position}" if count > 1 else ""


def _sections(detail: MeetingDetail, lang: str, *, minutes: bool) -> list[Block]:
    blocks: list[Block] = []
    for section in detail.sections:
        heading = translate("minutes.section", lang, number=section.number, title=section.title)
        if section.number == 2 and detail.previous is not None:
            heading += " " + meeting_ref(detail.previous, lang)
        blocks.append(Heading(heading, level=1))
        if not section.items:
            blocks.append(Paragraph(translate("minutes.none", lang)))
            continue
        count = len(section.items)
        for n, item in enumerate(section.items, start=1):
            number = _item_number(section.number, n, count)
            if item.title:
                blocks.append(Heading(f"{number} {item.title}".strip(), level=2))
            for paragraph in (p.strip() for p in item.body.split("\n")):
                if paragraph:
                    blocks.append(Paragraph(paragraph))
            if minutes:
                for d in detail.directives_of(item.id):
                    agencies = listing([names.agency_name(a, lang) for a in d.agencies], lang)
                    blocks.append(
                        Paragraph(
                            translate(
                                "minutes.directive",
                                lang,
                                text=d.text,
                                agencies=agencies,
                                due=format_date(d.due_on, lang=lang),
                            ),
                            label=translate("minutes.directive_label", lang),
                        )
                    )
                text = resolution_text(item.resolution_kind, item.resolution, lang)
                if text:
                    blocks.append(Paragraph(text, label=translate("minutes.resolution_label", lang)))
    return blocks


def _document(detail: MeetingDetail, blocks: list[Block], kind: str, lang: str, thai: bool) -> Document:
    m = detail.meeting
    title = translate(f"minutes.{kind}_file_title", lang, ref=meeting_ref(m, lang))
    if thai:
        blocks = [_digits(b) for b in blocks]
    return Document(
        title=title,
        blocks=tuple(blocks),
        running_head=title,
        demo=detail.is_demo,
        demo_mark=translate("minutes.demo_mark", lang),
        thai_digits=thai,
        lang=lang,
    )


def _digits(block: Block) -> Block:
    """The same block with Thai digits (๐–๙) in every number."""
    if isinstance(block, Title):
        return Title(tuple(thai_digits(line) for line in block.lines))
    if isinstance(block, Heading):
        return Heading(thai_digits(block.text), block.level)
    if isinstance(block, Paragraph):
        return Paragraph(thai_digits(block.text), label=thai_digits(block.label), indent=block.indent)
    if isinstance(block, Rows):
        return Rows(
            tuple(
                Row(thai_digits(r.number), thai_digits(r.name), thai_digits(r.position), thai_digits(r.note)) for r in block.rows
            )
        )
    if isinstance(block, Signature):
        return Signature(
            thai_digits(block.role), thai_digits(block.name), thai_digits(block.position), sign_label=block.sign_label
        )
    return block


def agenda_document(detail: MeetingDetail, *, lang: str = "th", thai_digits: bool = False) -> Document:
    """The agenda (ระเบียบวาระการประชุม) sent to members before the meeting: no resolutions."""
    blocks: list[Block] = [Title(_title_lines(detail, "agenda", lang)), Spacer()]
    blocks += _sections(detail, lang, minutes=False)
    return _document(detail, blocks, "agenda", lang, thai_digits)


def minutes_document(detail: MeetingDetail, *, lang: str = "th", thai_digits: bool = False) -> Document:
    """The minutes (รายงานการประชุม) in the official form."""
    m = detail.meeting
    blocks: list[Block] = [Title(_title_lines(detail, "minutes", lang)), Spacer()]
    for key, rows, absent in (
        ("present", detail.present(), False),
        ("absent", detail.absent(), True),
        ("participants", detail.participants(), False),
    ):
        if not rows and key != "present":
            continue
        blocks.append(Heading(translate(f"minutes.{key}", lang)))
        blocks.append(_attendance_rows(rows, lang, absent=absent) if rows else Paragraph(translate("minutes.none", lang)))
    if m.starts_at is not None:
        blocks.append(Paragraph(translate("minutes.started", lang, time=format_time(m.starts_at, lang=lang)), indent=False))
    if m.chair_name:
        blocks.append(Paragraph(translate("minutes.chair_opened", lang, name=m.chair_name, position=m.chair_title)))
    blocks += _sections(detail, lang, minutes=True)
    if m.ends_at is not None:
        blocks.append(Spacer())
        blocks.append(Paragraph(translate("minutes.ended", lang, time=format_time(m.ends_at, lang=lang)), indent=False))
    blocks.append(Spacer())
    sign = translate("minutes.sign", lang)
    if m.note_taker_name:
        blocks.append(Signature(translate("minutes.note_taker", lang), m.note_taker_name, m.note_taker_position, sign_label=sign))
    if m.checker_name:
        blocks.append(Signature(translate("minutes.checker", lang), m.checker_name, m.checker_position, sign_label=sign))
    return _document(detail, blocks, "minutes", lang, thai_digits)


def file_name(detail: MeetingDetail, kind: str, extension: str) -> str:
    m = detail.meeting
    return f"{kind}_{m.number}-{m.year_be}.{extension}"
