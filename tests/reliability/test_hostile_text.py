"""The hostile-text corpus (tests/reliability/hostile.py) through every free-text field and name:
stored exactly in the database, refused cleanly where it is too long or holds a NUL, kept as text
in every spreadsheet the app writes, intact in the PDF and the deck; and, in Chromium, never
rendered as markup, a link or an image on any page that shows it."""

from __future__ import annotations

import csv
import io
import re
import zipfile

import openpyxl
import pytest
from playwright.sync_api import Page, expect
from pptx import Presentation
from pypdf import PdfReader
from sqlmodel import select

from core.db import make_engine, read_session, write_session
from core.i18n import translate
from models import AuditLog, ProgressReport, ReviewEvent, User
from services import committee_pack, errors, excel_io, heatmap, overview, progress, review, users
from services.permissions import Actor
from services.progress import ReportInput, ValidationFailed
from services.spreadsheet_safety import looks_like_formula, unneutralise_csv
from tests import figures
from tests.browser import ARTIFACTS
from tests.e2e.helpers import go, login, settle
from tests.helpers import actor, agency_id, open_round, report
from tests.reliability import hostile

FIELDS = ("achievements", "obstacles", "next_steps", "evidence", "status_reason")


def _save_all_fields(engine, text: str):
    """focal_bps writes `text` into every narrative field of its returned item 2.4."""
    rid = open_round(engine).id
    current = report(engine, "BPS", "2.4", rid)
    data = ReportInput.from_report(current)
    for name in FIELDS:
        setattr(data, name, text)
    a = actor(engine, "focal_bps")
    with write_session(engine, a) as s:
        return progress.save_report(
            session=s, actor=a, assignment_id=current.assignment_id, round_id=rid, expected_version=current.version, data=data
        )


def _no_formula_cells(xlsx: bytes) -> bool:
    with zipfile.ZipFile(io.BytesIO(xlsx)) as z:
        return not any(b"<f>" in z.read(n) or b"<f " in z.read(n) for n in z.namelist() if n.startswith("xl/worksheets/"))


def test_every_field_stores_the_corpus_exactly_and_refuses_what_it_cannot_store(demo_db, request):
    tried = writes = checked = 0
    for text in hostile.ACCEPTED.values():
        _save_all_fields(demo_db, text)
        stored = report(demo_db, "BPS", "2.4", open_round(demo_db).id)
        assert [getattr(stored, name) for name in FIELDS] == [text.strip()] * len(FIELDS)
        tried, writes, checked = tried + 1, writes + len(FIELDS), checked + len(FIELDS)
    before = report(demo_db, "BPS", "2.4", open_round(demo_db).id)
    for name, text in hostile.REFUSED.items():
        with pytest.raises(ValidationFailed) as exc:
            _save_all_fields(demo_db, text)
        keys = {p.message_key for p in exc.value.problems}
        assert keys == {"error.text_too_long" if name == "too_long" else "error.text_control_chars"}
        assert all(re.search("[\u0e00-\u0e7f]", translate(p.message_key, **p.params)) for p in exc.value.problems)
        tried, writes = tried + 1, writes + len(FIELDS)
    assert report(demo_db, "BPS", "2.4", open_round(demo_db).id).version == before.version  # nothing written

    # a reviewer's comment, a focal point's answer, an account's name
    rid = open_round(demo_db).id
    sec, bie = actor(demo_db, "secretariat"), actor(demo_db, "focal_bie")
    for i, text in enumerate(hostile.ACCEPTED.values()):
        item = report(demo_db, "BIE", "3.2", rid)
        with write_session(demo_db, sec) as s:
            review.return_for_correction(session=s, actor=sec, report_id=item.id, expected_version=item.version, comment=text)
        with write_session(demo_db, bie) as s:
            review.answer_return(session=s, actor=bie, report_id=item.id, answer=text)
        with write_session(demo_db, bie) as s:
            review.submit_agency_round(session=s, actor=bie, agency_id=agency_id(demo_db, "BIE"), round_id=rid)
        with write_session(demo_db, sec) as s:
            users.create_user(
                session=s,
                actor=sec,
                username=f"hostile{i}",
                display_name=text,
                role="viewer",
                password="long-enough-1",
                bcrypt_rounds=4,
            )
        with read_session(demo_db) as s:
            events = s.exec(select(ReviewEvent).where(ReviewEvent.report_id == item.id).order_by(ReviewEvent.id.desc())).all()
            assert [e.comment for e in events[1:3]] == [text.strip(), text.strip()]  # answer, return (newest first)
            assert s.exec(select(User).where(User.username == f"hostile{i}")).one().display_name == text.strip()
        tried, writes, checked = tried + 1, writes + 3, checked + 3
    for text in hostile.REFUSED.values():
        item = report(demo_db, "BIE", "3.2", rid)
        with pytest.raises(errors.ProgressError), write_session(demo_db, sec) as s:
            review.return_for_correction(session=s, actor=sec, report_id=item.id, expected_version=item.version, comment=text)
        with pytest.raises(users.UserInputError), write_session(demo_db, sec) as s:
            users.create_user(
                session=s, actor=sec, username="refusedone", display_name=text, role="viewer", password="long-enough-1"
            )
        tried, writes = tried + 1, writes + 2
    with read_session(demo_db) as s:
        assert s.exec(select(User).where(User.username == "refusedone")).first() is None
        assert not any(
            "\x00" in (r.new_value or "") for r in s.exec(select(AuditLog).where(AuditLog.entity == "progress_report"))
        )
    figures.record(request, texts_tried=tried, texts_fields=writes, texts_checked=checked)


def test_every_spreadsheet_keeps_the_corpus_as_text_and_the_pdf_and_deck_keep_it_intact(demo_db, request):
    planted = hostile.plant(demo_db)
    rid = planted["round_id"]
    checked = 0
    # the Excel template of an agency: no formula cell; uploaded back unchanged, it changes nothing
    focal = actor(demo_db, "focal_bps")
    with read_session(demo_db) as s:
        template = excel_io.build_template(session=s, actor=focal, round_id=rid, agency_id=agency_id(demo_db, "BPS"))
        assert _no_formula_cells(template)
        back = excel_io.read_upload(session=s, actor=focal, round_id=rid, agency_id=agency_id(demo_db, "BPS"), data=template)
    assert back.ok and not back.changes, back.problems
    ws = openpyxl.load_workbook(io.BytesIO(template))[excel_io.SHEET]
    stored = {v for k, v in planted["reports"].items()}
    cells = [c for row in ws.iter_rows(min_row=2) for c in row if isinstance(c.value, str) and c.value in stored]
    assert cells and all(c.data_type == "s" for c in cells)
    assert all(c.quotePrefix for c in cells if looks_like_formula(c.value))
    checked += len(cells)

    # the heatmap's CSV and workbook, with formula-like agency names
    with read_session(demo_db) as s:
        grid = heatmap.round_grid(session=s, round_id=rid)
    cells_view = heatmap.view_cells(grid, sort="plan", main_filter=(), status_filter=(), open_cell=None, language="th")
    rows = list(csv.reader(io.StringIO(heatmap.grid_csv(cells_view).decode("utf-8-sig"))))
    assert set(planted["agencies"].values()) <= {unneutralise_csv(r[0]) for r in rows[1:]}  # exact, once read back
    assert not any(looks_like_formula(r[0]) for r in rows[1:])  # every formula-like name carries its apostrophe
    grid_xlsx = heatmap.grid_xlsx(cells_view)
    assert _no_formula_cells(grid_xlsx)
    checked += len(rows) - 1

    # the committee pack: the workbook keeps text as text; the PDF and the deck keep it intact
    with read_session(demo_db) as s:
        bundle = overview.round_overview(session=s, round_id=rid)
    pack_xlsx = committee_pack.build_xlsx(bundle)
    assert _no_formula_cells(pack_xlsx)
    book = openpyxl.load_workbook(io.BytesIO(pack_xlsx))
    texts = {c.value for sheet in book for row in sheet.iter_rows() for c in row if isinstance(c.value, str)}
    assert set(planted["agencies"].values()) <= texts
    checked += len(planted["agencies"])
    deck = Presentation(io.BytesIO(committee_pack.build_pptx(bundle)))
    deck_text = "\n".join(
        cell.text
        for slide in deck.slides
        for shape in slide.shapes
        for cell in (
            [c for r in shape.table.rows for c in r.cells] if shape.has_table else [shape] if shape.has_text_frame else []
        )
    )
    for name in planted["agencies"].values():
        assert name in deck_text, name
        checked += 1
    pdf_text = re.sub(
        r"[\s\x00-\x1f]", "", "".join(p.extract_text() for p in PdfReader(io.BytesIO(committee_pack.build_pdf(bundle))).pages)
    )
    for key in ("md_image_link", "emphasis_heading", "latex", "directives", "formula_hyperlink", "formula_at"):
        probe = re.sub(r"\s", "", hostile.ACCEPTED[key])[:40]  # the highlight's opening words, markup included
        assert probe in pdf_text, (key, probe)
        checked += 1
    figures.record(request, texts_checked=checked)


PAGES_AS = [
    ("chair", "nav.overview", "overview.title"),
    ("chair", "nav.present", None),
    ("secretariat", "nav.review", "review.title"),
    ("focal_bps", "nav.entry", "entry.title"),
    ("focal_bps", "nav.home", "home.title"),
    ("admin", "nav.users", "users.title"),
    ("chair", "nav.meetings", "meetings.title"),
    ("secretariat", "nav.meetings", "meetings.title"),
]


def test_no_page_renders_the_corpus_as_markup_a_link_or_an_image(browser, server, request):
    engine = make_engine(f"sqlite:///{server.db_path}")
    planted = hostile.plant(engine)
    returned = report(engine, "BPS", "2.4", planted["round_id"])  # returned: its comment shows on home and entry
    with write_session(engine, Actor.system("hostile-corpus")) as s:
        returned = s.get(ProgressReport, returned.id)
        returned.review_comment = hostile.ACCEPTED["md_image_link"]
        s.add(returned)
    fetched: list[str] = []
    places = 0
    for username, nav, heading in PAGES_AS + [("chair", "nav.heatmap", "heatmap.title")]:
        context = browser.new_context(viewport={"width": 1366, "height": 900})
        page: Page = context.new_page()
        page.on("request", lambda r: fetched.append(r.url) if hostile.HOST in r.url else None)
        login(page, server.url, username)
        go(page, translate(nav, "th"), translate(heading, "th") if heading else translate("present.summary_title", "th"))
        settle(page)
        if nav == "nav.heatmap":  # every cell's detail panel
            page.goto(f"{server.url}/heatmap?cell=BPS~2.4")
            settle(page)
        if nav == "nav.present":  # a slide shows two highlights: the agency whose name carries a link
            code = next(code for code, text in planted["agencies"].items() if hostile.HOST in text)
            page.goto(f"{server.url}/present?view=agency-{code}")
            settle(page)
        if nav != "nav.users":  # the corpus is on the page (the users table is a canvas, not text) before it is checked
            expect(page.locator("body")).to_contain_text(hostile.HOST, timeout=30_000)
        for summary in page.locator("details:not([open]) > summary").all():  # open the expanders: items, history
            if summary.is_visible():
                summary.click(timeout=5000)
        settle(page)
        for selector in hostile.MARKUP_SELECTORS:
            found = [e.evaluate("e => e.parentElement.parentElement.outerHTML")[:600] for e in page.locator(selector).all()]
            assert not found, (username, nav, selector, found)
            places += 1
        ARTIFACTS.mkdir(exist_ok=True)
        page.screenshot(path=str(ARTIFACTS / f"hostile-{username}-{nav.removeprefix('nav.')}.png"), full_page=True)
        context.close()
    assert fetched == [], fetched  # no page made the browser fetch anything from the corpus's host
    figures.record(request, texts_checked=places, texts_rendered_as_markup=0)
