"""The two renderers of a meeting document (agenda or minutes), from a hand-built `Document`: the
DOCX read back with python-docx (every text in order, A4 and the official margins, TH Sarabun New
16 pt for Latin and Thai, borderless attendance table, header with the PAGE field from page 2),
the PDF read back with pypdf (every Thai line, Sarabun embedded, "- ๒ -" and the running head
from page 2 only), and both drawn: the DOCX through LibreOffice, the PDF through pdftoppm."""

from __future__ import annotations

import io
import re
import shutil
import subprocess
import unicodedata
from pathlib import Path

import docx
import pytest
from docx.oxml.ns import qn
from docx.shared import Cm, Pt
from pypdf import PdfReader

from core.thaidate import thai_digits as to_thai_digits
from services.meeting_docs import document as d
from services.meeting_docs.docx import build_docx
from services.meeting_docs.pdf import build_pdf
from tests.conftest import missing_part

LONG = (
    "ฝ่ายเลขานุการรายงานว่า หน่วยงานในสังกัดสำนักงานปลัดกระทรวงศึกษาธิการได้รายงานผลการดำเนินงานตามแผนปฏิรูปองค์การ"
    "ประจำไตรมาสที่ ๒ ครบทุกหน่วยงานแล้ว โดยภาพรวมมีความก้าวหน้าร้อยละ ๖๕.๔๐ สูงกว่าค่าเป้าหมายที่กำหนดไว้ร้อยละ ๖๐.๐๐ "
    "ประเด็นที่มีความก้าวหน้ามากที่สุดได้แก่การพัฒนาระบบเทคโนโลยีสารสนเทศเพื่อการบริหารจัดการ ส่วนประเด็นที่ยังล่าช้ากว่าแผน "
    "ได้แก่การปรับปรุงโครงสร้างและอัตรากำลังของหน่วยงานระดับภูมิภาค เนื่องจากอยู่ระหว่างรอผลการพิจารณาของคณะกรรมการ"
    "ที่เกี่ยวข้อง ทั้งนี้ ฝ่ายเลขานุการได้ประสานหน่วยงานที่รับผิดชอบเพื่อเร่งรัดการดำเนินงานให้แล้วเสร็จภายในกำหนด "
    "และจะรายงานความคืบหน้าให้ที่ประชุมทราบในการประชุมครั้งต่อไป พร้อมทั้งเสนอแนวทางการแก้ไขปัญหาอุปสรรคที่พบ"
)

ROWS_PRESENT = d.Rows(
    (
        d.Row("๑.", "นายสมชาย ใจดี", "รองปลัดกระทรวงศึกษาธิการ", "ประธานคณะทำงาน"),
        d.Row("๒.", "นางสาวสมหญิง รักเรียน", "ผู้อำนวยการกองนโยบายและแผน แทน นายวิชัย เก่งกล้า ผู้อำนวยการสำนัก", "คณะทำงาน"),
        d.Row("๓.", "นายประเสริฐ มั่นคง", "นักวิเคราะห์นโยบายและแผนชำนาญการพิเศษ", "เลขานุการ"),
    )
)
ROWS_PLAIN = d.Rows(
    (
        d.Row("๑.", "นางมาลี ศรีสุข", "ผู้อำนวยการสำนักงานศึกษาธิการภาค ๑"),
        d.Row("๒.", "Mr. John Smith", "Adviser, Office of the Permanent Secretary"),
    )
)


def sample(*, demo: bool = True, thai_digits: bool = True, sections: int = 1) -> d.Document:
    """A minutes document with every kind of block; `sections` repeats the agenda items (pages)."""
    blocks: list[d.Block] = [
        d.Title(
            (
                "รายงานการประชุมคณะทำงานขับเคลื่อนการปฏิรูปองค์การ",
                "ครั้งที่ ๑/๒๕๖๗",
                "เมื่อวันพฤหัสบดีที่ ๑๕ กุมภาพันธ์ ๒๕๖๗",
                "ณ ห้องประชุมสำนักงานปลัดกระทรวงศึกษาธิการ ชั้น ๓",
            )
        ),
        d.Spacer(),
        d.Heading("ผู้มาประชุม"),
        ROWS_PRESENT,
        d.Heading("ผู้เข้าร่วมประชุม"),
        ROWS_PLAIN,
        d.Paragraph("เริ่มประชุมเวลา ๐๙.๓๐ น.", indent=False),
        d.Paragraph("นายสมชาย ใจดี รองปลัดกระทรวงศึกษาธิการ ประธานในการประชุม กล่าวเปิดประชุมและดำเนินการประชุมตามระเบียบวาระ ดังนี้"),
    ]
    for n in range(1, sections + 1):
        blocks += [
            d.Heading(f"ระเบียบวาระที่ {to_thai_digits(str(n))} เรื่องเพื่อทราบ"),
            d.Heading(f"{to_thai_digits(str(n))}.๑ ผลการดำเนินงานตามแผนปฏิรูปองค์การ ไตรมาสที่ ๒", level=2),
            d.Paragraph(LONG),
            d.Paragraph("ที่ประชุมรับทราบ", label="มติที่ประชุม"),
            d.Paragraph(
                "ให้ทุกหน่วยงานรายงานผลการดำเนินงานภายในวันที่ ๓๐ มีนาคม ๒๕๖๗ (หน่วยงานรับผิดชอบ: สนย. สป.)",
                label="ข้อสั่งการของประธาน",
                indent=False,
            ),
        ]
    blocks += [
        d.Spacer(),
        d.Paragraph("เลิกประชุมเวลา ๑๒.๐๐ น.", indent=False),
        d.Spacer(),
        d.Signature("ผู้จดรายงานการประชุม", "นายประเสริฐ มั่นคง", "นักวิเคราะห์นโยบายและแผนชำนาญการพิเศษ"),
        d.Spacer(),
        d.Signature("ผู้ตรวจรายงานการประชุม", "นางสาวสมหญิง รักเรียน", "ผู้อำนวยการกองนโยบายและแผน"),
    ]
    return d.Document(
        title="รายงานการประชุม ครั้งที่ ๑/๒๕๖๗",
        blocks=tuple(blocks),
        running_head="รายงานการประชุม ครั้งที่ ๑/๒๕๖๗",
        demo=demo,
        demo_mark="ข้อมูลสาธิต",
        thai_digits=thai_digits,
    )


def squash(text: str) -> str:
    """Text as extraction gives it back, for comparing: no whitespace, nor the control codes pypdf
    leaves after a shaped sara am (nor the extra sara aa it reads from LibreOffice's), Thai marks
    in canonical order (LibreOffice's PDF gives a tone mark before a lower vowel), and no dotted
    line (the signature's: a tab leader in the DOCX, dots in the PDF)."""
    text = unicodedata.normalize("NFC", re.sub(r"[\s\x00-\x1f]", "", text))  # marks in canonical order
    text = text.replace("\u0e4d\u0e32", "\u0e33").replace("\u0e33\u0e32", "\u0e33")
    return re.sub(r"\.{3,}", "", text)


def skeleton(text: str) -> str:
    """Text without Thai vowel and tone marks: LibreOffice's PDF maps some positioned mark glyphs
    back to the wrong mark (ได้ reads ไดู), though it draws them right."""
    return re.sub("[\u0e31\u0e34-\u0e3a\u0e47-\u0e4e]", "", text)


def expected_lines(doc: d.Document) -> list[str]:
    return [squash(line) for line in doc.text().split("\n") if squash(line)]


def page_bodies(reader: PdfReader, doc: d.Document) -> list[str]:
    """Each page's squashed text without its header (demo mark, page number, running head),
    which extraction gives first: a paragraph running over a page break reads as one again."""
    out = []
    for n, page in enumerate(reader.pages, start=1):
        text = squash(page.extract_text())
        pieces = [squash(doc.demo_mark)] if doc.demo else []
        if n >= 2:
            pieces += [f"-{n}-", f"-{to_thai_digits(str(n))}-", squash(doc.running_head)]
        stripped = True
        while stripped:
            stripped = False
            for piece in pieces:
                if piece and text.startswith(piece):
                    text, stripped = text[len(piece) :], True
        out.append(text)
    return out


def assert_in_order(lines: list[str], haystack: str) -> None:
    at = 0
    for line in lines:
        found = haystack.find(line, at)
        assert found >= 0, f"{line!r} missing (or out of order) after position {at}"
        at = found + len(line)


# ----------------------------------------------------------------------------- DOCX
@pytest.fixture(scope="module")
def docx_bytes() -> bytes:
    return build_docx(sample())


@pytest.fixture(scope="module")
def word(docx_bytes) -> docx.document.Document:
    return docx.Document(io.BytesIO(docx_bytes))


def body_texts(document) -> list[str]:
    """Paragraph and table-cell texts in document order."""
    out = []
    for el in document.element.body.iterchildren():
        if el.tag == qn("w:p"):
            out.append("".join(t.text or "" for t in el.iter(qn("w:t"))))
        elif el.tag == qn("w:tbl"):
            for tr in el.iter(qn("w:tr")):
                out.append(" ".join("".join(t.text or "" for t in tc.iter(qn("w:t"))) for tc in tr.iter(qn("w:tc"))))
    return out


def test_docx_holds_every_text_in_order(word):
    doc = sample()
    assert_in_order(expected_lines(doc), squash("\n".join(body_texts(word))))
    texts = body_texts(word)
    for line in doc.text().split("\n"):  # whole lines, spaces included (the signature has a tab for its dots)
        if not line.startswith("("):
            assert line in texts, line


def twips(length: int) -> int:
    """A length in twentieths of a point, the unit Word stores."""
    return round(length / 635)


def test_docx_page_is_a4_with_the_official_margins(word):
    (section,) = word.sections
    assert twips(section.page_width) == twips(Cm(d.PAGE_WIDTH_CM)) == 11906
    assert twips(section.page_height) == twips(Cm(d.PAGE_HEIGHT_CM)) == 16838
    assert twips(section.top_margin) == twips(Cm(d.MARGIN_TOP_CM))
    assert twips(section.left_margin) == twips(Cm(d.MARGIN_LEFT_CM))
    assert twips(section.right_margin) == twips(Cm(d.MARGIN_RIGHT_CM))
    assert twips(section.bottom_margin) == twips(Cm(d.MARGIN_BOTTOM_CM))


def _effective(run_el, paragraph_style, styles_el, tag: str, attr: str) -> str | None:
    """A run property as Word resolves it: the run, the paragraph's style and its bases, then the
    document defaults."""
    rpr = run_el.find(qn("w:rPr"))
    if rpr is not None and rpr.find(qn(tag)) is not None:
        return rpr.find(qn(tag)).get(qn(attr))
    style = paragraph_style
    while style is not None:
        srpr = style.element.find(qn("w:rPr"))
        if srpr is not None and srpr.find(qn(tag)) is not None:
            return srpr.find(qn(tag)).get(qn(attr))
        style = style.base_style
    default = styles_el.find(qn("w:docDefaults")).find(qn("w:rPrDefault")).find(qn("w:rPr")).find(qn(tag))
    return default.get(qn(attr)) if default is not None else None


def _all_paragraphs(document):
    yield from document.paragraphs
    for table in document.tables:
        for row in table.rows:
            for cell in row.cells:
                yield from cell.paragraphs


def test_docx_every_run_is_th_sarabun_new_16pt_for_latin_and_thai(word):
    styles_el = word.styles.element
    runs = 0
    for p in _all_paragraphs(word):
        for run in p.runs:
            runs += 1
            for attr in ("w:ascii", "w:hAnsi", "w:eastAsia", "w:cs"):
                assert _effective(run._r, p.style, styles_el, "w:rFonts", attr) == "TH Sarabun New", (attr, run.text)
            for tag in ("w:sz", "w:szCs"):
                assert _effective(run._r, p.style, styles_el, tag, "w:val") == "32", (tag, run.text)
    assert runs >= 30
    # a theme font (w:asciiTheme …) would win over the named font: none in the styles used
    defaults = styles_el.find(qn("w:docDefaults")).find(qn("w:rPrDefault")).find(qn("w:rPr"))
    for rpr in [defaults] + [
        word.styles[n].element.find(qn("w:rPr")) for n in ("Normal", "Title", "Heading 1", "Heading 2", "Header")
    ]:
        assert not [k for k in rpr.find(qn("w:rFonts")).attrib if "theme" in k.lower()]
    normal = word.styles["Normal"].element.find(qn("w:rPr"))
    assert normal.find(qn("w:lang")).get(qn("w:bidi")) == "th-TH"
    assert word.styles["Normal"].font.size == Pt(16)
    # the header's page number is 16 pt too; the running head and the demo mark are smaller
    header = word.sections[0].header.paragraphs[0]
    for run in header.runs:
        assert _effective(run._r, header.style, styles_el, "w:rFonts", "w:cs") == "TH Sarabun New"
        if "-" in run.text or run._r.find(qn("w:fldChar")) is not None or run._r.find(qn("w:instrText")) is not None:
            assert _effective(run._r, header.style, styles_el, "w:szCs", "w:val") == "32", run.text


def test_docx_layout_of_blocks(word):
    doc = sample()
    by_text = {p.text: p for p in word.paragraphs}
    for line in doc.blocks[0].lines:
        p = by_text[line]
        assert p.style.name == "Title" and p.style.font.bold
        assert p.style.paragraph_format.alignment == docx.enum.text.WD_ALIGN_PARAGRAPH.CENTER
    h1, h2 = by_text["ผู้มาประชุม"], by_text["๑.๑ ผลการดำเนินงานตามแผนปฏิรูปองค์การ ไตรมาสที่ ๒"]
    assert h1.style.name == "Heading 1" and h1.style.font.bold and h1.style.paragraph_format.keep_with_next
    assert not h1.style.paragraph_format.left_indent
    assert h2.style.name == "Heading 2" and twips(h2.style.paragraph_format.left_indent) == twips(Cm(d.ITEM_INDENT_CM))
    assert h2.style.paragraph_format.keep_with_next
    body = by_text[LONG]
    assert twips(body.paragraph_format.first_line_indent) == twips(Cm(d.PARAGRAPH_INDENT_CM))
    assert body._p.pPr.find(qn("w:jc")).get(qn("w:val")) == "thaiDistribute"
    start = by_text["เริ่มประชุมเวลา ๐๙.๓๐ น."]
    assert start.paragraph_format.first_line_indent is None
    resolution = by_text["มติที่ประชุม ที่ประชุมรับทราบ"]
    assert resolution.runs[0].text == "มติที่ประชุม" and resolution.runs[0].bold
    assert not resolution.runs[1].bold
    # signature: three lines kept together, the first with a dotted tab leader, the others centred
    signs = [p for p in word.paragraphs if p.text.startswith("(ลงชื่อ)")]
    assert len(signs) == 2
    first = signs[0]
    assert first.paragraph_format.keep_with_next and first.paragraph_format.left_indent > Cm(3)
    assert first.paragraph_format.tab_stops[0].leader == docx.enum.text.WD_TAB_LEADER.DOTS
    i = [p._p for p in word.paragraphs].index(first._p)
    name, position = word.paragraphs[i + 1], word.paragraphs[i + 2]
    assert name.text == "(นายประเสริฐ มั่นคง)" and name.paragraph_format.keep_with_next
    assert name.alignment == position.alignment == docx.enum.text.WD_ALIGN_PARAGRAPH.CENTER
    # the centre of the name's line lies in the right half of the page
    left, right = name.paragraph_format.left_indent or 0, name.paragraph_format.right_indent or 0
    content = Cm(d.PAGE_WIDTH_CM - d.MARGIN_LEFT_CM - d.MARGIN_RIGHT_CM)
    centre_cm = d.MARGIN_LEFT_CM + (left + content - right) / 2 / Cm(1)
    assert centre_cm > d.PAGE_WIDTH_CM / 2
    # spacers are empty paragraphs
    assert sum(1 for p in word.paragraphs if p.text == "") == sum(isinstance(b, d.Spacer) for b in doc.blocks)


def test_docx_attendance_is_a_borderless_table_with_the_columns(word):
    present, plain = word.tables
    assert [round(c.width / Cm(1), 2) for c in present.columns] == [1.25, 5.5, 5.75, 3.5]  # with notes
    assert [round(c.width / Cm(1), 2) for c in plain.columns] == [1.25, 5.5, 9.25]  # no note: no column
    for table in (present, plain):
        borders = table._tbl.tblPr.find(qn("w:tblBorders"))
        assert {el.get(qn("w:val")) for el in borders} == {"nil"}
        assert table.style is None or "Grid" not in table.style.name
    assert [c.text for c in present.rows[1].cells] == [
        "๒.",
        "นางสาวสมหญิง รักเรียน",
        "ผู้อำนวยการกองนโยบายและแผน แทน นายวิชัย เก่งกล้า ผู้อำนวยการสำนัก",
        "คณะทำงาน",
    ]


def test_docx_header_page_number_from_page_two(word):
    section = word.sections[0]
    assert section.different_first_page_header_footer
    header = section.header._element
    assert "".join(t.text for t in header.iter(qn("w:instrText"))).strip() == "PAGE"
    # Thai digits through the section's number format, which Word applies to the PAGE field
    assert section._sectPr.find(qn("w:pgNumType")).get(qn("w:fmt")) == "thaiNumbers"
    text = "".join(t.text for t in header.iter(qn("w:t")))
    assert "- ๒ -" in text and "รายงานการประชุม ครั้งที่ ๑/๒๕๖๗" in text and "ข้อมูลสาธิต" in text
    first = section.first_page_header._element
    assert "".join(t.text for t in first.iter(qn("w:t"))) == "ข้อมูลสาธิต"  # demo: only the mark on page 1
    assert not list(first.iter(qn("w:instrText")))
    runs = section.header.paragraphs[0].runs
    mark = next(r for r in runs if r.text == "ข้อมูลสาธิต")
    assert mark.font.color.rgb is not None and mark.font.color.rgb[0] > 150 and mark.font.bold  # red
    head = next(r for r in runs if r.text.startswith("รายงานการประชุม"))
    assert head.font.size < Pt(16)


def test_docx_without_demo_or_thai_digits():
    word = docx.Document(io.BytesIO(build_docx(sample(demo=False, thai_digits=False))))
    section = word.sections[0]
    assert "".join(t.text for t in section.first_page_header._element.iter(qn("w:t"))) == ""
    header = section.header._element
    text = "".join(t.text for t in header.iter(qn("w:t")))
    assert "ข้อมูลสาธิต" not in text and "- 2 -" in text
    assert section._sectPr.find(qn("w:pgNumType")) is None


def test_docx_metadata(word):
    assert word.core_properties.title == "รายงานการประชุม ครั้งที่ ๑/๒๕๖๗"
    assert word.core_properties.language == "th"


def test_docx_is_plain_text_no_pictures_or_text_boxes(docx_bytes):
    import zipfile

    with zipfile.ZipFile(io.BytesIO(docx_bytes)) as archive:
        names = archive.namelist()
        xml = archive.read("word/document.xml")
    assert not [n for n in names if n.startswith("word/media/")]
    assert b"<w:drawing" not in xml and b"<w:pict" not in xml and b"txbxContent" not in xml


# ----------------------------------------------------------------------------- PDF
@pytest.fixture(scope="module")
def pdf_bytes() -> bytes:
    return build_pdf(sample())


@pytest.fixture(scope="module")
def long_pdf() -> PdfReader:
    return PdfReader(io.BytesIO(build_pdf(sample(sections=4))))


def test_pdf_holds_every_line_in_order(pdf_bytes):
    reader = PdfReader(io.BytesIO(pdf_bytes))
    assert len(reader.pages) == 2
    assert_in_order(expected_lines(sample()), "".join(page_bodies(reader, sample())))


def test_pdf_wraps_the_long_paragraph_between_words(pdf_bytes):
    """The 600-character paragraph takes several lines, each ending at a word boundary."""
    from services.committee_pack.text import words

    reader = PdfReader(io.BytesIO(pdf_bytes))
    lines = [ln for page in reader.pages for ln in page.extract_text(extraction_mode="layout").split("\n")]
    body = [squash(ln) for ln in lines if squash(ln) and squash(ln) in squash(LONG)]
    body = [ln for ln in body if len(ln) > 20]
    assert len(body) >= 5, body
    boundaries = {0}
    at = 0
    for word in words(LONG):
        at += len(squash(word))
        boundaries.add(at)
    flat = squash(LONG)
    for line in body:
        start = flat.find(line)
        assert start in boundaries and start + len(line) in boundaries, line


def test_pdf_embeds_sarabun(pdf_bytes):
    reader = PdfReader(io.BytesIO(pdf_bytes))
    fonts = {}
    for page in reader.pages:
        for font in page["/Resources"]["/Font"].values():
            font = font.get_object()
            fonts[str(font["/BaseFont"])] = font
    assert any("Sarabun" in name and "Bold" not in name for name in fonts), fonts
    assert any("Sarabun-Bold" in name or "SarabunB" in name or "Bold" in name for name in fonts), fonts
    for font in fonts.values():
        descriptor = font["/DescendantFonts"][0].get_object()["/FontDescriptor"].get_object()
        assert "/FontFile2" in descriptor  # embedded (subset) TrueType
    assert reader.metadata.title == "รายงานการประชุม ครั้งที่ ๑/๒๕๖๗"
    assert reader.trailer["/Root"]["/Lang"] == "th"


def test_pdf_is_a4(pdf_bytes):
    page = PdfReader(io.BytesIO(pdf_bytes)).pages[0]
    assert round(float(page.mediabox.width) / 72 * 2.54, 1) == d.PAGE_WIDTH_CM
    assert round(float(page.mediabox.height) / 72 * 2.54, 1) == d.PAGE_HEIGHT_CM


def test_pdf_long_document_numbers_pages_from_two(long_pdf):
    pages = [squash(p.extract_text()) for p in long_pdf.pages]
    assert len(pages) >= 3
    head = squash("รายงานการประชุม ครั้งที่ ๑/๒๕๖๗")
    assert "-๑-" not in pages[0] and "-๒-" not in pages[0] and head not in pages[0]
    assert "ข้อมูลสาธิต" in pages[0]  # the demo mark on every page, the first included
    for n, page in enumerate(pages[1:], start=2):
        assert f"-{to_thai_digits(str(n))}-" in page and head in page and "ข้อมูลสาธิต" in page
    assert_in_order(expected_lines(sample(sections=4)), "".join(page_bodies(long_pdf, sample(sections=4))))


def test_pdf_arabic_page_numbers_and_no_demo_mark():
    reader = PdfReader(io.BytesIO(build_pdf(sample(demo=False, thai_digits=False, sections=4))))
    pages = [squash(p.extract_text()) for p in reader.pages]
    assert "-2-" in pages[1] and "-2-" not in pages[0]
    assert not any("ข้อมูลสาธิต" in p for p in pages)


def _filled(lines: int, tail: list[d.Block]) -> d.Document:
    """`lines` one-line paragraphs, then `tail`: as `lines` grows, `tail` meets the foot of page 1."""
    filler = [d.Paragraph(f"บรรทัดที่ {n} ของเนื้อหา", indent=False) for n in range(lines)]
    return d.Document(title="ทดสอบ", blocks=(d.Title(("หัวเรื่อง",)), *filler, *tail))


def _page_lines(reader: PdfReader) -> list[list[str]]:
    return [[squash(ln) for ln in page.extract_text(extraction_mode="layout").split("\n") if squash(ln)] for page in reader.pages]


def test_pdf_never_leaves_a_heading_at_the_foot_of_a_page():
    tail = [d.Heading("ระเบียบวาระที่ ๒ เรื่องเพื่อพิจารณา"), d.Heading("๒.๑ การปรับปรุงแผน", level=2), d.Paragraph(LONG)]
    broke = 0
    for lines in range(24, 34):
        pages = _page_lines(PdfReader(io.BytesIO(build_pdf(_filled(lines, tail)))))
        if len(pages) < 2:
            continue
        broke += 1
        assert pages[0][-1] not in {squash(tail[0].text), squash(tail[1].text)}, lines
        assert sum(squash(LONG[:12]) in line for line in pages[0]) in (0, 1)
    assert broke >= 5


def test_pdf_keeps_a_signature_on_one_page():
    sign = d.Signature("ผู้จดรายงานการประชุม", "นายประเสริฐ มั่นคง", "นักวิเคราะห์นโยบายและแผนชำนาญการพิเศษ")
    parts = [squash(sign.role), squash(f"({sign.name})"), squash(sign.position)]
    for lines in range(26, 32):
        pages = ["".join(p) for p in _page_lines(PdfReader(io.BytesIO(build_pdf(_filled(lines, [sign])))))]
        on = {i for i, page in enumerate(pages) for part in parts if part in page}
        assert len(on) == 1, (lines, on)


def test_pdf_signature_sits_in_the_right_half():
    doc = sample(sections=0)
    reader = PdfReader(io.BytesIO(build_pdf(doc)))
    xs: dict[str, float] = {}

    def visit(text, cm, tm, font, size):
        if text.strip():
            xs.setdefault(squash(text), tm[4])

    for page in reader.pages:
        page.extract_text(visitor_text=visit)
    from fpdf import FPDF

    fpdf = FPDF(unit="pt")
    fpdf.add_font("Sarabun", "", "assets/fonts/Sarabun-Regular.ttf")
    fpdf.set_font("Sarabun", "", 16)
    fpdf.set_text_shaping(True)
    half = d.PAGE_WIDTH_CM / 2 / 2.54 * 72
    for sign in (b for b in doc.blocks if isinstance(b, d.Signature)):
        name = f"({sign.name})"
        x = next(x for t, x in xs.items() if t.startswith(squash(name)))
        assert x + fpdf.get_string_width(name) / 2 > half + 20  # the name's centre: in the right half
    label = min(x for t, x in xs.items() if t.startswith("(ลงชื่อ)"))
    assert label > (d.MARGIN_LEFT_CM + 4) / 2.54 * 72  # the block stands well away from the margin


# ----------------------------------------------------------------------------- drawn
def _tool(name: str) -> str:
    found = shutil.which(name)
    if found is None:
        missing_part("REQUIRE_OFFICE", "libreoffice", f"no {name} (apt-get install libreoffice-writer-nogui poppler-utils)")
    return found


def _png_pages(pdf: Path, out: Path) -> list[Path]:
    subprocess.run([_tool("pdftoppm"), "-png", "-r", "60", str(pdf), str(out / pdf.stem)], check=True, timeout=120)
    return sorted(out.glob(f"{pdf.stem}*.png"))


def _pdf_pages(pdf: Path) -> int:
    return len(PdfReader(str(pdf)).pages)


def test_docx_renders_in_libreoffice(tmp_path):
    soffice = _tool("soffice")
    _tool("pdftoppm")
    doc = sample(sections=4)
    source = tmp_path / "minutes.docx"
    source.write_bytes(build_docx(doc))
    command = [soffice, f"-env:UserInstallation={(tmp_path / 'lo-profile').as_uri()}", "--headless", "--norestore"]
    subprocess.run([*command, "--convert-to", "pdf", "--outdir", str(tmp_path), str(source)], check=True, timeout=300)
    pdf = tmp_path / "minutes.pdf"
    assert pdf.exists()
    pages = _pdf_pages(pdf)
    assert 3 <= pages <= 8
    pngs = _png_pages(pdf, tmp_path)
    assert len(pngs) == pages and all(p.stat().st_size > 5000 for p in pngs)
    reader = PdfReader(str(pdf))
    texts = [squash(p.extract_text()) for p in reader.pages]
    # the PAGE field from page 2 on; LibreOffice ignores the Thai number format (Word applies it)
    assert "-2-" in texts[1] or "-๒-" in texts[1]
    assert "-2-" not in texts[0] and "-๒-" not in texts[0] and "-1-" not in texts[0]
    assert "ข้อมูลสาธิต" in texts[0] and "ข้อมูลสาธิต" in texts[-1]
    # every text but the attendance rows in order (LibreOffice reads a table row line by line
    # across its cells, so a cell wrapped over two lines does not come back in one piece)
    body = skeleton("".join(page_bodies(reader, doc)))
    rows = {
        squash(" ".join(p for p in (r.number, r.name, r.position, r.note) if p))
        for b in doc.blocks
        if isinstance(b, d.Rows)
        for r in b.rows
    }
    assert_in_order([skeleton(line) for line in expected_lines(doc) if line not in rows], body)
    for block in (b for b in doc.blocks if isinstance(b, d.Rows)):
        for row in block.rows:
            assert squash(row.position.split()[0]) in texts[0]


def test_pdf_renders_with_pdftoppm(tmp_path):
    for sections, expected in ((1, 2), (4, None)):
        pdf = tmp_path / f"minutes{sections}.pdf"
        pdf.write_bytes(build_pdf(sample(sections=sections)))
        pages = _pdf_pages(pdf)
        if expected is not None:
            assert pages == expected
        pngs = _png_pages(pdf, tmp_path)
        assert len(pngs) == pages and all(p.stat().st_size > 5000 for p in pngs)
