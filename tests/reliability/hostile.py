"""The hostile-text corpus the reliability suite sends through every free-text field and name.

Each string is something an outside probe used, or its family: Markdown that makes images (which
the browser fetches, Referer and all) and disguised links, HTML and script, emphasis, LaTeX and
Streamlit's colour and icon directives, bare URLs and addresses that autolink, spreadsheet
formulas starting with = + - @ (after a tab too), bidi overrides and zero-width characters.
`TOO_LONG` (100 kB) and `WITH_NUL` must be refused, not stored.
"""

from __future__ import annotations

HOST = "host.invalid"  # a reserved name: nothing can ever answer it

ACCEPTED: dict[str, str] = {
    "md_image_link": f"ผลงาน ![](http://{HOST}/t.png) [ดูหลักฐานฉบับเต็ม](http://{HOST}/phish)",
    "md_reference_link": f"ดูได้ที่ [นี่][1]\n\n[1]: http://{HOST}/ref",
    "html_script": f"<script>alert(1)</script><img src=http://{HOST}/x.png onerror=alert(1)><b>หนา</b>",
    "emphasis_heading": "**ตัวหนา** _เอียง_ ~~ขีดฆ่า~~\n# หัวข้อใหญ่\n- รายการ\n1. ลำดับ\n> อ้างอิง\n    โค้ด",
    "latex": "ค่า $\\frac{1}{2}$ และ $$x^2$$ บาท",
    "directives": ":red[ตัวแดง] :blue-background[พื้นฟ้า] :material/home: :smile: :streamlit:",
    "autolinks": f"www.{HOST} http://{HOST}/auto <http://{HOST}/angle> ติดต่อ a@{HOST}",
    "formula_hyperlink": f'=HYPERLINK("http://{HOST}","x")',
    "formula_plus": "+1+1",
    "formula_minus": "-2+3 ดำเนินการแล้ว",
    "formula_at": "@SUM(A1:A2)",
    "formula_after_tab": "ข้อความ\t=1+1",
    "bidi_zero_width": "ผลงาน \u202eกลับด้าน\u202c ศูนย์\u200bกว้าง\ufeff \u2066แยก\u2069",
    "entities_table": "&lt;b&gt; &amp; | a | b |\n|---|---|",
}
TOO_LONG = "ก" * 100_000
WITH_NUL = "ผลงาน\x00ซ่อน"
REFUSED: dict[str, str] = {"too_long": TOO_LONG, "nul": WITH_NUL}

# What must never appear in a page built from the corpus: an element made by markup in user text.
MARKUP_SELECTORS = [
    f'img[src*="{HOST}"]',
    f'a[href*="{HOST}"]',
    '[data-testid="stMarkdownContainer"] a:not([href^="#"])',  # the app's own texts hold no link (headings: anchors)
    '[data-testid="stMarkdownContainer"] img',  # nor an image (an emoji shortcode becomes one)
    '[data-testid="stMarkdownContainer"] .katex',
    '[data-testid="stMarkdownContainer"] script',
    '[data-testid="stMarkdownContainer"] del',
    '[data-testid="stMarkdownContainer"] blockquote',
    '[data-testid="stMarkdownContainer"] em',
    '[data-testid="stMarkdownContainer"] table',
    '[data-testid="stMarkdownContainer"] code',
    # a "# heading" typed into a text (the app's own titles, ui.widgets.title, hold a .page-title mark)
    ':is([data-testid="stMarkdown"], [data-testid="stCaptionContainer"], [data-testid="stAlertContainer"], summary) h1:not(:has(.page-title))',
]


def plant(engine) -> dict:  # an Engine holding the demo data
    """Write the corpus into the demo database through the services, as people would: every
    report of the open round gets one string in each narrative field (and is marked a highlight,
    so it reaches the overview, the presentation and the pack), the secretariat returns an item
    with one as its comment and the focal point answers with another, an account is named with
    one, and the seven agencies' short names carry the formula-like ones (as an admin could
    type them into a plan). Returns where each string went."""
    from sqlmodel import select

    from core.db import write_session
    from models import Agency, ProgressReport, Round, RoundState, User
    from services import progress, users
    from services.permissions import Actor
    from services.progress import ReportInput

    with write_session(engine, Actor.system("hostile-corpus")) as s:
        rnd = s.exec(select(Round).where(Round.state == RoundState.open)).one()
        reports = s.exec(select(ProgressReport).where(ProgressReport.round_id == rnd.id).order_by(ProgressReport.id)).all()
        secretariat = users.actor_for(users.get_by_username(session=s, username="secretariat"))
        texts = list(ACCEPTED.values())
        planted: dict = {"reports": {}, "agencies": {}, "round_id": rnd.id}
        for i, report in enumerate(reports):
            text = texts[i % len(texts)]
            data = ReportInput.from_report(report)
            data.achievements = data.obstacles = data.next_steps = text
            data.evidence = text[:1000]
            data.notable = True
            saved = progress.save_report(
                session=s,
                actor=secretariat,
                assignment_id=report.assignment_id,
                round_id=rnd.id,
                expected_version=report.version,
                data=data,
            )
            planted["reports"][saved.id] = text
        formulas = [v for k, v in ACCEPTED.items() if k.startswith("formula")] + [ACCEPTED["md_image_link"][:100]]
        for agency, text in zip(s.exec(select(Agency).order_by(Agency.sort_order)).all(), formulas, strict=False):
            agency.short_name_th = text[:100]
            s.add(agency)
            planted["agencies"][agency.code] = text[:100]
        account = s.exec(select(User).where(User.username == "viewer")).one()
        account.display_name = ACCEPTED["html_script"]
        s.add(account)
        planted["meeting"] = _plant_meeting(s, secretariat, texts)
    return planted


def _plant_meeting(s, secretariat, texts: list[str]) -> int:
    """Meeting 3/2563 carries the corpus: its venue, an item of ระเบียบวาระที่ 6 per string (title
    and text), a directive to สนย. and that agency's answer."""
    from sqlmodel import select

    from models import Agency, Meeting
    from services import meetings, users

    meeting = s.exec(select(Meeting).where(Meeting.number == 3, Meeting.year_be == 2563)).one()
    one_line = [t for t in texts if "\n" not in t]
    meetings.update_meeting(session=s, actor=secretariat, meeting_id=meeting.id, expected_version=None, venue=one_line[0])
    items = [
        meetings.add_item(
            session=s, actor=secretariat, meeting_id=meeting.id, section=6, title=one_line[i % len(one_line)][:500], body=text
        )
        for i, text in enumerate(texts)
    ]
    bps = s.exec(select(Agency).where(Agency.code == "BPS")).one()
    directive = meetings.add_directive(
        session=s,
        actor=secretariat,
        item_id=items[0].id,
        text=ACCEPTED["md_image_link"],
        agency_ids=[bps.id],
        due_on=meeting.held_on,
    )
    focal = users.actor_for(users.get_by_username(session=s, username="focal_bps"))
    meetings.answer_directive(session=s, actor=focal, directive_id=directive.id, text=ACCEPTED["autolinks"])
    return meeting.id
