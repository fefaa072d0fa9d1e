"""The committee pack: each file built for the demo's current round and read back — PDF text and
fonts with pypdf, the deck with python-pptx, the workbook with openpyxl — showing the same
figures as services.overview; every build holding 250 agencies, and long listings cut in the PDF
and the deck, whole in the workbook."""

from __future__ import annotations

import dataclasses
import io
import re
import shutil
from datetime import date

import openpyxl
import pandas as pd
import pytest
from pptx import Presentation
from pypdf import PdfReader
from sqlmodel import select

from core.db import make_engine, read_session
from core.i18n import translate
from models import Round
from services import committee_pack, overview

AS_OF = date(2021, 10, 5)


def _squash(text: str) -> str:
    """Text without whitespace and the control codes pypdf leaves after a shaped sara am."""
    return re.sub(r"[\s\x00-\x1f]", "", text)


@pytest.fixture(scope="module")
def bundles(sqlite_templates, tmp_path_factory) -> dict[tuple[int, int], overview.RoundOverview]:
    path = tmp_path_factory.mktemp("pack") / "demo.db"
    shutil.copyfile(sqlite_templates["demo"], path)
    engine = make_engine(f"sqlite:///{path}")
    out = {}
    with read_session(engine) as s:
        for fy, months in ((2564, 12), (2563, 9)):
            rid = s.exec(select(Round.id).where(Round.fiscal_year == fy, Round.months == months)).one()
            out[(fy, months)] = overview.round_overview(session=s, round_id=rid)
    engine.dispose()
    return out


@pytest.fixture(scope="module")
def current(bundles) -> overview.RoundOverview:
    return bundles[(2564, 12)]


@pytest.fixture(scope="module")
def pdf(current) -> PdfReader:
    return PdfReader(io.BytesIO(committee_pack.build_pdf(current, as_of=AS_OF)))


def _pdf_text(reader: PdfReader) -> list[str]:
    return [page.extract_text() for page in reader.pages]


# ----------------------------------------------------------------------------- PDF
def test_pdf_shows_the_headline_strings_and_figures(pdf, current):
    text = _squash("".join(_pdf_text(pdf)))
    h = current.headline
    for key in (
        "pack.title",
        "overview.overall",
        "overview.change",
        "overview.agencies_reported",
        "overview.agencies_approved",
        "overview.items_delayed",
        "overview.items_returned",
        "overview.items_not_reported",
        "overview.evaluation",
        "overview.attention",
        "overview.projection",
        "overview.trend",
        "pack.heatmap",
    ):
        assert _squash(translate(key)) in text, key
    assert _squash(translate("round.label", fy=2564, months=12)) in text
    assert _squash(translate("overview.pct", value=overview.fmt_pct(h.overall))) in text  # ร้อยละ 89.6
    assert _squash(translate("overview.points", value=overview.fmt_change(h.change))) in text
    for m in h.main_issues:
        assert overview.fmt_pct(m.weighted_progress) in text
    for count in (h.items_delayed, h.items_returned, h.items_not_reported, h.agencies_reported):
        assert str(count) in text
    assert _squash(translate("overview.of_items", n=h.items_assigned)) in text
    assert _squash(translate("overview.of_agencies", n=h.agencies_total)) in text
    assert "85.00" in text and "มาตรฐานขั้นสูง" in text
    assert "5ตุลาคม2564" in text  # the as-of date, Buddhist Era
    for row in current.agencies.to_dict("records"):
        assert _squash(f"{row['submitted']}/{row['assigned']}") in text


def test_pdf_embeds_sarabun_numbers_its_pages_and_marks_demo_data(pdf):
    pages = _pdf_text(pdf)
    assert len(pages) > 1
    fonts = {}
    for page in pdf.pages:
        for font in page["/Resources"]["/Font"].values():
            font = font.get_object()
            descriptor = font["/DescendantFonts"][0].get_object()["/FontDescriptor"].get_object()
            fonts[str(font["/BaseFont"])] = "/FontFile2" in descriptor
    assert fonts and all("Sarabun" in name for name in fonts), fonts
    assert all(fonts.values()), "every font is embedded"
    for n, text in enumerate(pages, start=1):
        squashed = _squash(text)
        assert _squash(translate("pack.page", page=n, total=len(pages))) in squashed
        assert _squash(translate("pack.demo_marker")) in squashed


def test_pdf_lists_attention_items_and_highlights(pdf, bundles):
    text = _squash("".join(_pdf_text(pdf)))
    for kind in overview.ATTENTION_KINDS[:3]:
        assert _squash(translate(f"overview.kind.{kind}")) in text
    assert "สนก." in text and "ศทก." in text
    nine = PdfReader(io.BytesIO(committee_pack.build_pdf(bundles[(2563, 9)], as_of=AS_OF)))
    nine_text = _squash("".join(_pdf_text(nine)))
    assert _squash(translate("overview.highlights")) in nine_text
    assert "e-Inspection" in nine_text and "ออนไลน์" in nine_text


def test_pdf_in_english(current):
    reader = PdfReader(io.BytesIO(committee_pack.build_pdf(current, lang="en", as_of=AS_OF)))
    text = " ".join(_pdf_text(reader))
    assert "Overall weighted progress" in text and "Items not reported" in text
    assert "5 October 2564 BE" in text and f"Page 1/{len(reader.pages)}" in text and "DEMO DATA" in text


# ----------------------------------------------------------------------------- PowerPoint
def _slide_texts(slide) -> list[str]:
    texts = []
    for shape in slide.shapes:
        if shape.has_table:
            texts += [cell.text for row in shape.table.rows for cell in row.cells]
        elif shape.has_text_frame:
            texts.append(shape.text_frame.text)
    return texts


def test_pptx_slides_tables_and_charts(current):
    deck = Presentation(io.BytesIO(committee_pack.build_pptx(current, as_of=AS_OF)))
    h = current.headline
    slides = list(deck.slides)
    # title, summary, heatmap, attention list, highlights, one per main issue, one per agency
    assert len(slides) == 5 + len(h.main_issues) + len(current.agencies) == 15
    assert _slide_texts(slides[0])[0].split("\n")[0] == translate("pack.title")
    summary = _slide_texts(slides[1])
    assert translate("overview.pct", value=overview.fmt_pct(h.overall)) in summary
    assert translate("overview.points", value=overview.fmt_change(h.change)) in summary
    assert {str(h.items_not_reported), str(h.items_returned), str(h.items_delayed), str(h.agencies_reported)} <= set(summary)
    charts = [shape.chart for shape in slides[1].shapes if shape.has_chart]
    assert charts and len(charts[0].plots[0].categories) == 12
    assert [s.name for s in charts[0].plots[0].series][0] == translate("overview.series.overall")
    assert list(charts[0].plots[0].series[0].values)[-1] == pytest.approx(round(h.overall, 2))
    subs = current.by_sub_issue.set_index("sub_issue_code")["weighted_progress"]
    for fig, slide in zip(h.main_issues, slides[5:8], strict=True):
        texts = _slide_texts(slide)
        assert any(translate("heatmap.main_short", n=fig.number) in t for t in texts)
        assert any(overview.fmt_pct(fig.weighted_progress) in t for t in texts)
        assert any(shape.has_chart for shape in slide.shapes)
    assert overview.fmt_pct(float(subs["2.5"])) in _slide_texts(slides[6])
    for agency, slide in zip(current.agencies.to_dict("records"), slides[8:], strict=True):
        texts = _slide_texts(slide)
        assert texts[0].startswith(agency["agency_short_name"])
        assert any(overview.fmt_pct(agency["weighted_progress"]) in t for t in texts)
        table = next(shape.table for shape in slide.shapes if shape.has_table)
        assert len(table.rows) == agency["assigned"] + 1
    run = slides[1].shapes.title.text_frame.paragraphs[0].runs[0]
    assert run.font.name == "Sarabun" and 'typeface="Sarabun"' in run.font._rPr.xml.split("<a:cs")[1]


# ----------------------------------------------------------------------------- Excel
def test_xlsx_sheets_and_figures(current):
    book = openpyxl.load_workbook(io.BytesIO(committee_pack.build_xlsx(current, as_of=AS_OF)))
    h = current.headline
    mains = [translate("pack.sheet.main", n=m.number) for m in h.main_issues]
    assert book.sheetnames == ["สรุป", "ตารางความก้าวหน้า", *mains, "รายหน่วยงาน", "รายการที่ควรติดตาม", "คาดว่าไม่แล้วเสร็จ"]
    summary = book["สรุป"]
    assert [c.value for c in summary[1]] == ["รายการ", "ค่า", "หมายเหตุ"]
    values = {row[0]: row[1] for row in summary.iter_rows(min_row=2, values_only=True)}
    assert values[translate("overview.overall")] == pytest.approx(h.overall)
    assert values[translate("overview.change")] == pytest.approx(h.change)
    assert values[translate("overview.expected")] == h.expected_progress
    for key, figure in (
        ("overview.agencies_reported", h.agencies_reported),
        ("overview.agencies_approved", h.agencies_approved),
        ("overview.items_assigned", h.items_assigned),
        ("overview.items_delayed", h.items_delayed),
        ("overview.items_returned", h.items_returned),
        ("overview.items_not_reported", h.items_not_reported),
    ):
        assert values[translate(key)] == figure, key
    assert values[translate("overview.evaluation")] == 85.0
    for m in h.main_issues:
        assert values[f"{translate('heatmap.main_short', n=m.number)} {m.name_th}"] == pytest.approx(m.weighted_progress)
    for m, name in zip(h.main_issues, mains, strict=True):
        sheet = book[name]
        assert sheet.freeze_panes == "A2"
        header = [c.value for c in sheet[1]]
        # the Thai workbook names agencies by their Thai short names, not English codes
        assert header[:2] == ["หน่วยงาน", "รหัสประเด็นย่อย"] and "ความก้าวหน้า (ร้อยละ)" in header
        rows = list(sheet.iter_rows(min_row=2, values_only=True))
        assert len(rows) == m.assigned
        cells = current.cells.set_index(["agency_short_name", "sub_issue_code"])
        progress_col = header.index("ความก้าวหน้า (ร้อยละ)")
        for row in rows:
            expected = cells.loc[(row[0], row[1]), "progress_pct"]
            assert row[progress_col] == (None if pd.isna(expected) else pytest.approx(float(expected)))
        assert sheet.column_dimensions["C"].width > 20  # the sub-issue's name
    missing = [r for r in book["รายการที่ควรติดตาม"].iter_rows(min_row=2, values_only=True) if r[0] == "ยังไม่รายงาน"]
    assert {(r[1], r[2]) for r in missing} == {("สนก.", "1.1"), ("ศทก.", "2.5")}  # BLA, ICT


def test_xlsx_keeps_formula_like_plan_and_agency_names_as_text(current, tmp_path):
    from tests.test_excel_io import formula_parts, libreoffice_csv

    plan_name, bla, ict = '=HYPERLINK("http://example.invalid","x")', "=1+1", "@SUM(A1)"

    def renamed(frame: pd.DataFrame) -> pd.DataFrame:
        names = {"BLA": bla, "ICT": ict}
        return frame.assign(
            agency_short_name=[names.get(c, n) for c, n in zip(frame["agency_code"], frame["agency_short_name"], strict=True)]
        )

    hostile = dataclasses.replace(
        current,
        plan=dataclasses.replace(current.plan, name_th=plan_name),
        cells=renamed(current.cells),
        agencies=renamed(current.agencies),
        attention=renamed(current.attention),
    )
    data = committee_pack.build_xlsx(hostile, as_of=AS_OF)
    assert formula_parts(data) == []
    book = openpyxl.load_workbook(io.BytesIO(data))
    plan_cell = book["สรุป"]["B2"]
    assert (plan_cell.value, plan_cell.data_type, plan_cell.quotePrefix) == (plan_name, "s", True)
    agencies = {row[0].value: row[0] for row in book["รายหน่วยงาน"].iter_rows(min_row=2)}  # by Thai short name
    assert (agencies[bla].value, agencies[bla].data_type, agencies[bla].quotePrefix) == (bla, "s", True)
    assert (agencies[ict].value, agencies[ict].quotePrefix) == (ict, True)
    assert agencies["สนย."].quotePrefix is False  # BPS

    sheets = libreoffice_csv({"pack.xlsx": data}, tmp_path)["pack"]
    assert sheets["สรุป"][1][1] == plan_name  # literally: a formula would show "x"
    names = {row[0] for row in sheets["รายหน่วยงาน"][1:]}
    assert {bla, ict} <= names  # literally, not "2"
    missing = {row[2]: row[1] for row in sheets["รายการที่ควรติดตาม"][1:] if row[0] == "ยังไม่รายงาน"}
    assert missing["1.1"] == bla


# ----------------------------------------------------------------------------- scale and helpers
def _scaled(ov: overview.RoundOverview, n: int) -> overview.RoundOverview:
    """The demo bundle with its agencies repeated up to `n` (no database needed)."""
    base = list(ov.agencies["agency_id"])
    cells, agencies = [], []
    for i in range(n):
        src, new = base[i % len(base)], 10_000 + i
        rename = {"agency_id": new, "agency_code": f"AG{i:03d}", "agency_order": i}
        c = ov.cells[ov.cells["agency_id"] == src].assign(**rename)
        cells.append(c.assign(agency_short_name=c["agency_short_name"] + f" {i}"))
        a = ov.agencies[ov.agencies["agency_id"] == src].assign(agency_id=new, agency_code=f"AG{i:03d}")
        agencies.append(a.assign(agency_short_name=a["agency_short_name"] + f" {i}"))
    return dataclasses.replace(ov, cells=pd.concat(cells, ignore_index=True), agencies=pd.concat(agencies, ignore_index=True))


def test_every_build_holds_250_agencies(current):
    """At the ministry's 250 agencies (the benchmark times these builds: `make bench`) each file
    holds every agency: a deck slide of its own, a row of the workbook's agency sheet and of the
    PDF's heatmap."""
    big = _scaled(current, 250)
    names = list(big.agencies["agency_short_name"])
    book = openpyxl.load_workbook(io.BytesIO(committee_pack.build_xlsx(big, as_of=AS_OF)))
    sheet = book[translate("pack.sheet.agencies")]
    assert [row[0] for row in sheet.iter_rows(min_row=2, values_only=True)] == names
    deck = Presentation(io.BytesIO(committee_pack.build_pptx(big, as_of=AS_OF)))
    titles = [s.shapes.title.text for s in deck.slides if s.shapes.title is not None]
    firsts = [t.split(" · ")[0] for t in titles if " · " in t]
    assert set(names) <= set(firsts)
    text = _squash("".join(_pdf_text(PdfReader(io.BytesIO(committee_pack.build_pdf(big, as_of=AS_OF))))))
    assert all(_squash(name) in text for name in names[100:])  # three-digit suffixes: no name is another's prefix


def _long_listings(ov: overview.RoundOverview, times: int) -> overview.RoundOverview:
    """The bundle with its attention list and projection each repeated `times` (in their order:
    by kind, lowest first)."""
    attention = pd.concat([ov.attention] * times, ignore_index=True)
    attention = attention.iloc[attention["kind"].map(overview.ATTENTION_KINDS.index).argsort(kind="stable")]
    projection = pd.concat([ov.projection] * times, ignore_index=True)
    projection = projection.iloc[projection["projected_end"].argsort(kind="stable")].reset_index(drop=True)
    return dataclasses.replace(ov, attention=attention.reset_index(drop=True), projection=projection)


def test_long_listings_are_cut_in_the_pdf_and_the_deck_and_whole_in_the_workbook(current):
    from services.committee_pack.labels import ATTENTION_ROWS_PER_KIND, PROJECTION_ROWS, Labels, Translator

    assert not current.attention.empty and not current.projection.empty
    long = _long_listings(current, 40)
    counts = long.attention["kind"].value_counts()
    assert counts.max() > ATTENTION_ROWS_PER_KIND and len(long.projection) > PROJECTION_ROWS
    L = Labels(Translator("th"), long)
    attention = L.attention_listing()
    want = long.attention.groupby("kind", sort=False).head(ATTENTION_ROWS_PER_KIND)
    pd.testing.assert_frame_equal(attention.rows, want)  # the first of each kind, in their order
    for kind, n in counts.items():
        assert f"{translate('overview.kind.' + kind)} {n:,}" in attention.note
    assert f"{len(want):,} จากทั้งหมด {len(long.attention):,}" in attention.note
    projection = L.projection_listing()
    pd.testing.assert_frame_equal(projection.rows, long.projection.iloc[:PROJECTION_ROWS])  # the lowest
    assert f"{len(long.projection):,}" in projection.note
    # the short demo lists are shown whole, with no note
    assert Labels(Translator("th"), current).attention_listing().note == ""
    assert Labels(Translator("th"), current).projection_listing().note == ""

    text = _squash("".join(_pdf_text(PdfReader(io.BytesIO(committee_pack.build_pdf(long, as_of=AS_OF))))))
    assert _squash(attention.note) in text and _squash(projection.note) in text
    deck = Presentation(io.BytesIO(committee_pack.build_pptx(long, as_of=AS_OF)))
    heading = translate("overview.attention")
    listed = [s for s in deck.slides if s.shapes.title is not None and s.shapes.title.text.startswith(heading)]
    assert len(listed) == -(-len(want) // 7)  # LIST_ROWS a slide
    assert all(attention.note in _slide_texts(s) for s in listed)
    rows = sum(len(next(sh.table for sh in s.shapes if sh.has_table).rows) - 1 for s in listed)
    assert rows == len(want)
    book = openpyxl.load_workbook(io.BytesIO(committee_pack.build_xlsx(long, as_of=AS_OF)))
    assert book[translate("pack.sheet.attention")].max_row == 1 + len(long.attention)
    sheet = book[translate("pack.sheet.projection")]
    assert sheet.max_row == 1 + len(long.projection)
    first = next(sheet.iter_rows(min_row=2, max_row=2, values_only=True))
    assert first[1] == long.projection["sub_issue_code"].iloc[0]
    assert first[5] == pytest.approx(long.projection["projected_end"].iloc[0])


@pytest.mark.parametrize(
    "text",
    [
        "การเปิดโอกาสทุกภาคส่วนให้มีส่วนร่วมและการกระจายอำนาจการตัดสินใจสู่ระดับการปฏิบัติ",
        "ระบบ e-Inspection ของสำนักตรวจราชการและติดตามประเมินผลติดตามสถานการณ์ (Covid-19) ได้ทุกจังหวัด",
        "ผู้ปลัดที่สำนักงานน้ำ" * 5,
    ],
)
@pytest.mark.parametrize("width", [8, 25, 60])
def test_wrap_keeps_thai_clusters_and_fits_the_width(text, width):
    measure = len  # one unit per code point: combining marks count, so this is strict
    lines = committee_pack.wrap(measure, text, width)
    assert "".join(lines).replace(" ", "") == text.replace(" ", "")
    assert all(measure(line) <= width for line in lines if len(committee_pack.clusters(line)) > 1)
    combining = re.compile(r"^[\u0e31\u0e34-\u0e3a\u0e47-\u0e4e]")
    assert not any(combining.match(line) for line in lines), "no line starts with a vowel or tone mark"
    assert not any(line.startswith(")") or line.endswith("(") for line in lines)


def test_a_long_highlight_is_cut_visibly_and_never_runs_past_the_footer(bundles):
    """The probe: a 100,000-character highlight ran over the footer and off the page and the rest
    was silently dropped. Text now stops at the field limit (4,000), and the PDF cuts a highlight
    it cannot fit with a note saying how much it shows."""
    long_text = ("ผลการดำเนินงานที่โดดเด่น " * 200)[:4000]
    nine = bundles[(2563, 9)]  # the round with the e-Inspection and online-teaching highlights
    highlights = nine.highlights.copy()
    highlights.loc[highlights.index[0], "achievements"] = long_text
    reader = PdfReader(io.BytesIO(committee_pack.build_pdf(dataclasses.replace(nine, highlights=highlights), as_of=AS_OF)))
    text = _squash("".join(_pdf_text(reader)))
    note = re.search(r"แสดง([\d,]+)จาก4,000ตัวอักษร", text)
    assert note and 0 < int(note.group(1).replace(",", "")) < 4000  # cut, and says so
    footer_top_pt = 11 * 72 / 25.4  # the footer rule, 11 mm above the page's bottom edge
    for page in reader.pages:
        low: list[str] = []

        def visit(run, _cm, tm, _font, _size, low=low):
            if run.strip() and tm[5] < footer_top_pt:
                low.append(run.strip())

        page.extract_text(visitor_text=visit)
        body_below_footer = [r for r in low if "ผลการดำเนินงาน" in r or "โดดเด่น" in r]
        assert not body_below_footer, body_below_footer


def test_pptx_heatmap_slides_take_as_many_agencies_as_their_name_lines_fit():
    """A name that wraps in the agency column takes two rows' height (PowerPoint and LibreOffice
    grow the row): fewer agencies go on that slide, so the table stays clear of the legend."""
    from services.committee_pack.pptx import HEAT_ROWS, _chars_per_line, _chunks_by_lines, _lines

    per_line = _chars_per_line(2.1)
    assert _lines("สพป.กรุงเทพมหานคร 1", per_line) == 1  # tone marks and vowels above take no room
    assert _lines("สำนักงานเขตพื้นที่การศึกษาประถมศึกษากรุงเทพมหานคร", per_line) == 3
    names = ["ศทก."] * 5 + ["สำนักงานเขตพื้นที่การศึกษาประถมศึกษากรุงเทพมหานคร"] + ["สนย."] * 5
    chunks = _chunks_by_lines(names, HEAT_ROWS, lambda n: _lines(n, per_line))
    assert [n for c in chunks for n in c] == names  # every agency once, in order
    assert all(sum(_lines(n, per_line) for n in c) <= HEAT_ROWS for c in chunks)
    assert len(chunks[0]) < HEAT_ROWS


def test_pptx_slides_written_as_text_are_well_formed_and_read_back(bundles):
    """The deck's slides are written as XML text (not through python-pptx's shape API): each part
    parses, numbers its shapes as python-pptx does, and names, highlights and marks with XML's
    special characters read back as they were."""
    import zipfile

    from lxml import etree

    nine = bundles[(2563, 9)]  # a round with highlights
    name = "A&B <สนก.> \"q\" 'x'"
    hostile = dataclasses.replace(
        nine,
        cells=nine.cells.assign(agency_short_name=name),
        agencies=nine.agencies.assign(agency_short_name=name),
        attention=nine.attention.assign(agency_short_name=name),
        highlights=nine.highlights.assign(agency_short_name=name, achievements="line 1\nline 2 & <b>done</b>"),
    )
    data = committee_pack.build_pptx(hostile, as_of=AS_OF)
    deck = Presentation(io.BytesIO(data))
    slides = list(deck.slides)
    assert len(slides) == 5 + len(nine.headline.main_issues) + len(nine.agencies)
    assert [s.slide_id for s in slides] == list(range(256, 256 + len(slides)))
    for slide in slides:
        ids = [shape.shape_id for shape in slide.shapes]
        assert ids == list(range(2, 2 + len(ids)))  # python-pptx's numbering, 1 being the shape tree
        assert slide.slide_layout.name in ("Title Only", "Blank")
        texts = _slide_texts(slide)
        assert translate("pack.demo_marker") in texts  # the demo plan's marker on every slide
    heat = next(shape.table for shape in slides[2].shapes if shape.has_table)
    assert heat.cell(2, 0).text == name
    assert heat.cell(0, 1).is_merge_origin and heat.cell(0, 2).is_spanned
    for agency_slide in slides[-len(nine.agencies) :]:
        assert agency_slide.shapes.title.text.startswith(name)
    highlights = [
        s for s in slides if s.shapes.title is not None and s.shapes.title.text.startswith(translate("overview.highlights"))
    ]
    assert highlights and all(any("line 1\nline 2 & <b>done</b>" in t for t in _slide_texts(s)) for s in highlights)
    assert any(t.startswith(name) for t in _slide_texts(highlights[0]))
    with zipfile.ZipFile(io.BytesIO(data)) as package:
        for part in (n for n in package.namelist() if n.startswith("ppt/slides/slide")):
            etree.fromstring(package.read(part))  # well-formed
