"""Meeting 3/2563, built from the demo data, as the app's agenda and minutes: every fact the seed's
minutes record is in the generated text, in the DOCX read back and in the PDF's extracted text, in
the official order (title … ครั้งที่ … เมื่อ … ณ … attendance … เริ่มประชุม … วาระ 1–6 … เลิกประชุม …
signatures), on SQLite and PostgreSQL."""

import io
import re

import pytest
from sqlmodel import select

from core.db import read_session
from models import Meeting
from services import meetings
from services.meeting_docs.docx import build_docx
from services.meeting_docs.minutes import agenda_document, minutes_document
from services.meeting_docs.pdf import build_pdf
from tests.helpers import actor

# What the seed's minutes say (NOTES.md, "What the minutes say"), as the generated minutes must say it.
SEED_FACTS = [
    "รายงานการประชุมคณะทำงานติดตามผลการดำเนินงานตามข้อเสนอการเปลี่ยนแปลงในระยะ 3 ปี (พ.ศ. 2562 - 2564)",
    "ตามแผนปฏิรูปองค์การ สำนักงานปลัดกระทรวงศึกษาธิการ",
    "ครั้งที่ 3/2563",
    "เมื่อวันศุกร์ที่ 26 มิถุนายน 2563",
    "ณ ห้องประชุมจันทรเกษม ชั้น 1 อาคารราชวัลลภ กระทรวงศึกษาธิการ",
    "ผู้มาประชุม",
    "ดร.เกศทิพย์ ศุภวานิช",
    "ผู้ช่วยปลัดกระทรวงศึกษาธิการ",
    "แทน",  # the stand-in of สำนักนิติการ
    "ผู้เข้าร่วมประชุม",
    "เริ่มประชุมเวลา 09.30 น.",
    "ระเบียบวาระที่ 1 เรื่องที่ประธานแจ้งให้ที่ประชุมทราบ",
    "ได้ผลคะแนนประเมิน 85.00 ในระดับมาตรฐานขั้นสูง",
    "ทั้ง 7 หน่วยงาน",
    "ระเบียบวาระที่ 2 รับรองรายงานการประชุม",
    "ระเบียบวาระที่ 3 เรื่องสืบเนื่อง",
    "ระเบียบวาระที่ 4 เรื่องเพื่อทราบ",
    "ปีงบประมาณ พ.ศ. 2563 รอบ 9 เดือน",
    "จำนวน 7 หน่วยงาน",
    "1. สำนักงานคณะกรรมการข้าราชการครูและบุคลากรทางการศึกษา",
    "2. สำนักงานส่งเสริมการศึกษานอกระบบและการศึกษาตามอัธยาศัย",
    "3. สำนักงานคณะกรรมการการศึกษาเอกชน",
    "4. สำนักนโยบายและยุทธศาสตร์",
    "5. สำนักตรวจราชการและติดตามประเมินผล",
    "6. สำนักนิติการ",
    "7. ศูนย์เทคโนโลยีสารสนเทศและการสื่อสาร",
    "ใน 3 ประเด็นหลัก",
    "1. การปรับกระบวนการ ขั้นตอนการทำงาน",
    "2. การพัฒนาฐานข้อมูล Big Data ของกระทรวง",
    "3. การเปิดโอกาสทุกภาคส่วนให้มีส่วนร่วมและการกระจายอำนาจการตัดสินใจสู่ระดับการปฏิบัติ",
    "โดยมี 13 ประเด็นย่อย",
    "จัดการเรียนการสอนทางออนไลน์",  # the highlights in plan order: สช. (agency 3) before สตป. (agency 5)
    "ระบบ e-Inspection",
    "Covid-19",
    "ผลการประเมินส่วนราชการ ประจำปีงบประมาณ พ.ศ. 2562",
    "ได้ผลคะแนนประเมิน 85.00 อยู่ในระดับมาตรฐานขั้นสูง",
    "ข้อสั่งการของประธาน",
    "มติที่ประชุม",
    "ที่ประชุมรับทราบผลการดำเนินงานตามแผนฯ รอบ 9 เดือน",
    "คณะกรรมการนโยบายการกำกับองค์การที่ดี สำนักงานปลัดกระทรวงศึกษาธิการ",
    "ระเบียบวาระที่ 5 เรื่องเพื่อพิจารณา",
    "ระเบียบวาระที่ 6 เรื่องอื่น ๆ",
    "เลิกประชุมเวลา 11.30 น.",
    "ผู้จดรายงานการประชุม",
    "ผู้ตรวจรายงานการประชุม",
]


def _flat(text: str) -> str:
    """Text without whitespace (PDF extraction and DOCX tables break lines where the files do) and
    without what pypdf reads after a shaped sara am (ำ): HarfBuzz draws it as two glyphs, and
    fpdf2's text layer maps the second one to a control code or "#" (the page itself is right)."""
    return re.sub(r"(?<=ำ)#", "", re.sub(r"[\s\x00-\x1f]", "", text))


@pytest.fixture
def demo_detail(demo_db):
    with read_session(demo_db) as s:
        meeting = s.exec(select(Meeting).where(Meeting.number == 3, Meeting.year_be == 2563)).one()
        return meetings.detail(session=s, actor=actor(demo_db, "chair"), meeting_id=meeting.id)


def _in_order(text: str, facts: list[str]) -> None:
    flat, at = _flat(text), 0
    for fact in facts:
        found = flat.find(_flat(fact), at)
        assert found >= 0, f"not found (in order): {fact!r}"
        at = found


def test_the_generated_minutes_hold_every_fact_of_the_seed_in_the_official_order(demo_detail):
    _in_order(minutes_document(demo_detail).text(), SEED_FACTS)


def test_the_docx_read_back_holds_every_fact(demo_detail):
    from docx import Document as read_docx

    doc = read_docx(io.BytesIO(build_docx(minutes_document(demo_detail))))
    parts = []
    for block in doc.element.body.iterchildren():  # paragraphs and tables in document order
        if block.tag.endswith("}p"):
            parts.append("".join(t.text or "" for t in block.iter() if t.tag.endswith("}t")))
        elif block.tag.endswith("}tbl"):
            parts.append(" ".join(t.text or "" for t in block.iter() if t.tag.endswith("}t")))
    _in_order("\n".join(parts), SEED_FACTS)
    assert doc.core_properties.title == "รายงานการประชุม ครั้งที่ 3/2563"


def test_the_pdf_text_holds_every_fact(demo_detail):
    import pypdf

    reader = pypdf.PdfReader(io.BytesIO(build_pdf(minutes_document(demo_detail))))
    _in_order("\n".join(page.extract_text() for page in reader.pages), SEED_FACTS)
    fonts = {str(f.get_object().get("/BaseFont", "")) for page in reader.pages for f in page["/Resources"]["/Font"].values()}
    assert any("Sarabun" in f for f in fonts), fonts


def test_thai_digits_are_offered_in_the_documents(demo_detail):
    text = minutes_document(demo_detail, thai_digits=True).text()
    assert "ครั้งที่ ๓/๒๕๖๓" in text and "เมื่อวันศุกร์ที่ ๒๖ มิถุนายน ๒๕๖๓" in text and "๘๕.๐๐" in text
    assert not re.search(r"[0-9]", text.replace("Covid-19", "").replace("Big Data", ""))


def test_the_agenda_has_the_six_items_and_no_resolutions(demo_detail):
    text = agenda_document(demo_detail).text()
    assert text.startswith("ระเบียบวาระการประชุมคณะทำงานติดตามผล")
    assert "เวลา 09.30 น." in text
    for n in range(1, 7):
        assert f"ระเบียบวาระที่ {n} " in text
    assert "มติที่ประชุม" not in text and "ผู้มาประชุม" not in text
    assert "ระบบ e-Inspection" in text  # item 4's drafted results are circulated with the agenda
