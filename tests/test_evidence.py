"""Evidence: files allowed by extension, first bytes and structure, size cap, generated names,
access; links validated strictly and rendered through `safe_href`.

The real files below are generated here (fpdf2, Pillow, openpyxl, python-pptx, hand-written
OOXML/ODF parts, and a minimal OLE compound file) and reused by tests/reliability.
"""

import io
import logging
import struct
import zipfile

import pytest
from fpdf import FPDF
from openpyxl import Workbook
from PIL import Image
from pptx import Presentation
from pypdf import PdfReader, PdfWriter

from core.db import read_session, write_session
from core.i18n import catalog
from services import evidence
from services.errors import ProgressError
from services.permissions import PermissionDenied
from tests.helpers import actor, open_round, report


# ---------------------------------------------------------------- real minimal files
def make_pdf(text: str = "Evidence, round 12") -> bytes:
    pdf = FPDF()
    pdf.add_page()
    pdf.set_font("helvetica", size=12)
    pdf.cell(text=text)
    return bytes(pdf.output())


def make_image(fmt: str, size: tuple[int, int] = (64, 48)) -> bytes:
    buf = io.BytesIO()
    Image.effect_noise(size, 64).convert("RGB").save(buf, fmt)  # noise: no tiny, trivially short file
    return buf.getvalue()


def _zip(members: list[tuple[str, bytes]], *, stored_first: bool = False) -> bytes:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as zf:
        for i, (name, data) in enumerate(members):
            kind = zipfile.ZIP_STORED if stored_first and i == 0 else zipfile.ZIP_DEFLATED
            zf.writestr(name, data, compress_type=kind)
    return buf.getvalue()


def make_docx() -> bytes:
    """The minimal parts of a WordprocessingML package (Word opens it)."""
    ct = (
        '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>'
        '<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">'
        '<Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/>'
        '<Default Extension="xml" ContentType="application/xml"/>'
        '<Override PartName="/word/document.xml" '
        'ContentType="application/vnd.openxmlformats-officedocument.wordprocessingml.document.main+xml"/></Types>'
    )
    rels = (
        '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>'
        '<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">'
        '<Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/officeDocument" '
        'Target="word/document.xml"/></Relationships>'
    )
    doc = (
        '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>'
        '<w:document xmlns:w="http://schemas.openxmlformats.org/wordprocessingml/2006/main">'
        "<w:body><w:p><w:r><w:t>หลักฐาน</w:t></w:r></w:p></w:body></w:document>"
    )
    return _zip([("[Content_Types].xml", ct.encode()), ("_rels/.rels", rels.encode()), ("word/document.xml", doc.encode())])


def make_xlsx() -> bytes:
    wb = Workbook()
    wb.active["A1"] = "หลักฐาน"
    buf = io.BytesIO()
    wb.save(buf)
    return buf.getvalue()


def make_pptx() -> bytes:
    buf = io.BytesIO()
    Presentation().save(buf)
    return buf.getvalue()


def make_odf(ext: str) -> bytes:
    """mimetype first and stored, a manifest and content.xml (LibreOffice opens it)."""
    media = evidence.ALLOWED[ext][0]
    body = {".odt": "office:text", ".ods": "office:spreadsheet", ".odp": "office:presentation"}[ext]
    manifest = (
        '<?xml version="1.0" encoding="UTF-8"?>'
        '<manifest:manifest xmlns:manifest="urn:oasis:names:tc:opendocument:xmlns:manifest:1.0" manifest:version="1.2">'
        f'<manifest:file-entry manifest:full-path="/" manifest:media-type="{media}"/>'
        '<manifest:file-entry manifest:full-path="content.xml" manifest:media-type="text/xml"/></manifest:manifest>'
    )
    content = (
        '<?xml version="1.0" encoding="UTF-8"?>'
        '<office:document-content xmlns:office="urn:oasis:names:tc:opendocument:xmlns:office:1.0" office:version="1.2">'
        f"<office:body><{body}/></office:body></office:document-content>"
    )
    return _zip(
        [("mimetype", media.encode()), ("META-INF/manifest.xml", manifest.encode()), ("content.xml", content.encode())],
        stored_first=True,
    )


OLE_STREAM = {".doc": ("WordDocument", b"\xec\xa5"), ".xls": ("Workbook", b"\x09\x08"), ".ppt": ("PowerPoint Document", b"")}


def make_ole(stream_name: str, payload: bytes) -> bytes:
    """A valid OLE compound file (version 3, 512-byte sectors) holding one 4 KB stream.

    olefile cannot create files, so the header, FAT and directory are written here: sector 0 is
    the FAT, sector 1 the directory, sectors 2… the stream (4,096 bytes: at the mini-stream cutoff,
    so no mini FAT is needed).
    """
    free, end, fat_sect, nostream = 0xFFFFFFFF, 0xFFFFFFFE, 0xFFFFFFFD, 0xFFFFFFFF
    payload = payload.ljust(4096, b"\0")
    n = -(-len(payload) // 512)
    fat = [fat_sect, end] + [3 + i for i in range(n - 1)] + [end]
    fat += [free] * (128 - len(fat))
    header = evidence.OLE_MAGIC + b"\0" * 16
    header += struct.pack("<HHHHH6sIIIIIIIII", 0x3E, 3, 0xFFFE, 9, 6, b"\0" * 6, 0, 1, 1, 0, 4096, end, 0, end, 0)
    header += struct.pack("<109I", 0, *([free] * 108))

    def entry(name: str, kind: int, child: int, start: int, size: int) -> bytes:
        raw = name.encode("utf-16-le") + b"\0\0" if name else b""
        return struct.pack(
            "<64sHBBIII16sIQQIQ", raw, len(raw), kind, 1, nostream, nostream, child, b"\0" * 16, 0, 0, 0, start, size
        )

    directory = entry("Root Entry", 5, 1, end, 0) + entry(stream_name, 2, nostream, 2, len(payload))
    directory += entry("", 0, nostream, 0, 0) * 2
    return header + struct.pack("<128I", *fat) + directory + payload.ljust(n * 512, b"\0")


def make_office97(ext: str) -> bytes:
    name, leading = OLE_STREAM[ext]
    return make_ole(name, leading + b"\0" * 64)


REAL_FILES = {
    ".pdf": make_pdf,
    ".doc": lambda: make_office97(".doc"),
    ".xls": lambda: make_office97(".xls"),
    ".ppt": lambda: make_office97(".ppt"),
    ".docx": make_docx,
    ".xlsx": make_xlsx,
    ".pptx": make_pptx,
    ".odt": lambda: make_odf(".odt"),
    ".ods": lambda: make_odf(".ods"),
    ".odp": lambda: make_odf(".odp"),
    ".png": lambda: make_image("PNG"),
    ".jpg": lambda: make_image("JPEG"),
    ".jpeg": lambda: make_image("JPEG"),
}
ZIP_TYPES = (".docx", ".xlsx", ".pptx", ".odt", ".ods", ".odp")

PDF = make_pdf()
PNG = make_image("PNG")
MAX = 1024 * 1024


def refused_key(name: str, data: bytes, max_bytes: int = MAX) -> str:
    with pytest.raises(ProgressError) as exc:
        evidence.check_file(name, data, max_bytes=max_bytes)
    assert exc.value.message_key in catalog()
    return exc.value.message_key


# ---------------------------------------------------------------- fixtures
@pytest.fixture
def store(tmp_path):
    return tmp_path / "evidence"


@pytest.fixture
def returned_bps(demo_db):
    return report(demo_db, "BPS", "2.4", open_round(demo_db).id)  # returned: the focal point may edit it


def _add(engine, who, report_id, name, data, evidence_dir, max_bytes=MAX):
    a = actor(engine, who)
    with write_session(engine, a) as s:
        return evidence.add_file(
            session=s, actor=a, report_id=report_id, filename=name, data=data, evidence_dir=evidence_dir, max_bytes=max_bytes
        )


# ---------------------------------------------------------------- files through the database
def test_a_pdf_is_stored_under_a_generated_name_and_read_back(demo_db, returned_bps, store):
    ev = _add(demo_db, "focal_bps", returned_bps.id, "../../etc/หลักฐาน รอบ 12.pdf", PDF, store)
    assert ev.original_name == "หลักฐาน รอบ 12.pdf"
    assert ev.stored_name.endswith(".pdf") and "หลักฐาน" not in ev.stored_name and "/" not in ev.stored_name
    assert (store / ev.stored_name).read_bytes() == PDF
    with read_session(demo_db) as s:
        got = evidence.read_file(session=s, actor=actor(demo_db, "chair"), evidence_id=ev.id, evidence_dir=store)
    assert (got.name, got.content_type, got.data) == ("หลักฐาน รอบ 12.pdf", "application/pdf", PDF)


def test_another_agencys_focal_point_cannot_download(demo_db, returned_bps, store):
    ev = _add(demo_db, "focal_bps", returned_bps.id, "a.png", PNG, store)
    with read_session(demo_db) as s, pytest.raises(PermissionDenied):
        evidence.read_file(session=s, actor=actor(demo_db, "focal_ict"), evidence_id=ev.id, evidence_dir=store)


@pytest.mark.parametrize(
    ("name", "data", "key"),
    [
        ("run.exe", b"MZ\x90\x00", "error.evidence.type"),
        ("page.html", b"<html>", "error.evidence.type"),
        ("fake.pdf", b"<script>alert(1)</script>", "error.evidence.content_mismatch"),
        ("empty.pdf", b"", "error.evidence.empty"),
        ("big.pdf", PDF + b"0" * 2048, "error.evidence.too_big"),
        ("html.pdf", b"%PDF-1.7\n<html><script>alert(1)</script></html>\n%%EOF\n", "error.evidence.pdf_invalid"),
    ],
)
def test_unacceptable_files_are_refused_and_nothing_is_stored(demo_db, returned_bps, store, name, data, key):
    with pytest.raises(ProgressError) as exc:
        _add(demo_db, "focal_bps", returned_bps.id, name, data, store, max_bytes=max(1024, len(PDF) + 1))
    assert exc.value.message_key == key
    assert not store.exists() or list(store.iterdir()) == []


def test_focal_point_cannot_attach_to_another_agency(demo_db, returned_bps, store):
    with pytest.raises(PermissionDenied):
        _add(demo_db, "focal_ict", returned_bps.id, "a.pdf", PDF, store)
    assert not store.exists() or list(store.iterdir()) == []


def test_a_name_with_nul_and_windows_folders_is_cleaned_for_display(demo_db, returned_bps, store):
    ev = _add(demo_db, "focal_bps", returned_bps.id, "C:\\Users\\x\\รายงาน\x00 รอบ\x0712.xlsx", make_xlsx(), store)
    assert ev.original_name == "รายงาน รอบ12.xlsx"
    assert ev.stored_name.endswith(".xlsx") and "รายงาน" not in ev.stored_name


# ---------------------------------------------------------------- structure (no database)
@pytest.mark.parametrize("ext", evidence.ALLOWED_EXTENSIONS)
def test_a_real_file_of_every_allowed_type_is_accepted(ext):
    assert evidence.check_file(f"หลักฐาน{ext.upper()}", REAL_FILES[ext](), max_bytes=MAX) == (ext, evidence.ALLOWED[ext][0])


@pytest.mark.parametrize("ext", evidence.ALLOWED_EXTENSIONS)
def test_the_first_half_of_a_real_file_is_refused_as_damaged(ext):
    data = REAL_FILES[ext]()
    key = refused_key(f"a{ext}", data[: len(data) // 2])
    assert key in ("error.evidence.pdf_invalid", "error.evidence.office_invalid", "error.evidence.image_invalid")


def test_a_truncated_larger_jpeg_is_refused_although_its_header_is_whole():
    data = make_image("JPEG", (800, 600))
    assert refused_key("a.jpg", data[: len(data) * 3 // 4]) == "error.evidence.image_invalid"


def test_damaged_pdfs_do_not_fill_the_log(caplog):
    caplog.set_level(logging.DEBUG, logger="")  # root at DEBUG: only our own pypdf setting stands in the way
    for data in (
        b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n",
        PDF[:-200] + b"%%EOF\n",
        PDF.replace(b"/Pages", b"/Pagez"),
    ):
        refused_key("a.pdf", data)
    assert [r.getMessage() for r in caplog.records if r.name.startswith("pypdf") and r.levelno >= logging.WARNING] == []


def _encrypted_pdf(user_password: str) -> bytes:
    writer = PdfWriter(clone_from=PdfReader(io.BytesIO(PDF)))
    writer.encrypt(user_password=user_password, owner_password="owner-secret", algorithm="AES-128")
    buf = io.BytesIO()
    writer.write(buf)
    return buf.getvalue()


def test_a_pdf_that_needs_a_password_is_refused_but_one_with_only_permissions_is_accepted():
    assert refused_key("a.pdf", _encrypted_pdf("secret")) == "error.evidence.encrypted"
    assert evidence.check_file("a.pdf", _encrypted_pdf(""), max_bytes=MAX)[0] == ".pdf"


def test_a_pdf_without_pages_is_refused():
    writer = PdfWriter()
    buf = io.BytesIO()
    writer.write(buf)
    assert refused_key("a.pdf", buf.getvalue()) == "error.evidence.pdf_invalid"


@pytest.mark.parametrize(
    ("name", "members", "key"),
    [
        (
            "no-document.docx",
            [("[Content_Types].xml", b"<Types/>"), ("word/styles.xml", b"<x/>")],
            "error.evidence.office_invalid",
        ),
        ("no-types.xlsx", [("xl/workbook.xml", b"<workbook/>")], "error.evidence.office_invalid"),
        ("docx-as.pptx", [("[Content_Types].xml", b"<Types/>"), ("word/document.xml", b"<x/>")], "error.evidence.office_invalid"),
        (
            "wrong-mimetype.odt",
            [("mimetype", b"application/vnd.oasis.opendocument.spreadsheet"), ("content.xml", b"<x/>")],
            "error.evidence.office_invalid",
        ),
        (
            "mimetype-newline.ods",
            [("mimetype", b"application/vnd.oasis.opendocument.spreadsheet\n"), ("content.xml", b"<x/>")],
            "error.evidence.office_invalid",
        ),
        ("no-content.odp", [("mimetype", b"application/vnd.oasis.opendocument.presentation")], "error.evidence.office_invalid"),
        (
            "traversal.docx",
            [("[Content_Types].xml", b"<Types/>"), ("word/document.xml", b"<x/>"), ("../../evil.sh", b"rm")],
            "error.evidence.office_invalid",
        ),
        (
            "absolute.xlsx",
            [("[Content_Types].xml", b"<Types/>"), ("xl/workbook.xml", b"<x/>"), ("/etc/cron.d/x", b"x")],
            "error.evidence.office_invalid",
        ),
        (
            "backslash.pptx",
            [("[Content_Types].xml", b"<Types/>"), ("ppt/presentation.xml", b"<x/>"), ("ppt\\..\\..\\x", b"x")],
            "error.evidence.office_invalid",
        ),
    ],
)
def test_zip_based_files_need_the_members_of_their_type_and_safe_names(name, members, key):
    assert refused_key(name, _zip(members)) == key


def test_an_encrypted_zip_entry_is_refused():
    """zipfile cannot write encrypted entries: set the "encrypted" bit of every local and central
    header of a real .docx (the bytes stay plain: the flag alone must refuse it)."""
    data = bytearray(make_docx())
    for signature, flags_at in ((b"PK\x03\x04", 6), (b"PK\x01\x02", 8)):
        i = data.find(signature)
        while i != -1:
            data[i + flags_at] |= 0x1
            i = data.find(signature, i + 4)
    assert refused_key("a.docx", bytes(data)) == "error.evidence.encrypted"


def test_a_password_protected_office_file_says_so():
    """Word/Excel "encrypt with password" writes an OLE file holding EncryptedPackage, even as .docx."""
    assert refused_key("a.docx", make_ole("EncryptedPackage", b"\x01" * 64)) == "error.evidence.encrypted"
    assert refused_key("a.xlsx", make_office97(".xls")) == "error.evidence.content_mismatch"


@pytest.mark.parametrize(
    ("name", "data"),
    [
        ("xls-as.doc", make_office97(".xls")),
        ("doc-as.ppt", make_office97(".doc")),
        ("html-in-word.doc", make_ole("WordDocument", b"<html><script>alert(1)</script>")),
        ("not-biff.xls", make_ole("Workbook", b"<html>")),
        ("header-only.doc", make_office97(".doc")[:512]),
    ],
)
def test_office_97_files_need_their_stream(name, data):
    assert refused_key(name, data) == "error.evidence.office_invalid"


def test_an_ole_file_given_as_short_bytes_is_never_taken_for_a_path():
    """olefile reads a short `bytes` argument as a file name; check_file must hand it a buffer."""
    assert refused_key("a.doc", evidence.OLE_MAGIC + b"/etc/passwd") == "error.evidence.office_invalid"


@pytest.mark.parametrize(
    ("name", "data", "key"),
    [
        ("jpeg-as.png", make_image("JPEG"), "error.evidence.content_mismatch"),
        ("png-as.jpg", make_image("PNG"), "error.evidence.content_mismatch"),
        ("header-only.png", make_image("PNG")[:33], "error.evidence.image_invalid"),
        ("bad-crc.png", make_image("PNG")[:-5] + b"\x00\x00\x00\x00\x00", "error.evidence.image_invalid"),
        (
            "no-frame.jpg",
            b"\xff\xd8\xff\xe0\x00\x10JFIF\x00\x01\x01\x00\x00\x01\x00\x01\x00\x00\xff\xd9",
            "error.evidence.image_invalid",
        ),
    ],
)
def test_images_must_open_as_their_format(name, data, key):
    assert refused_key(name, data) == key


def test_an_image_over_the_pixel_limit_is_refused_without_changing_pillows_limit():
    before = Image.MAX_IMAGE_PIXELS
    side = int(evidence.IMAGE_MAX_PIXELS**0.5) + 10
    # a real (tiny) JPEG whose frame header claims side × side pixels
    jpeg = bytearray(make_image("JPEG", (8, 8)))
    sof = jpeg.index(b"\xff\xc0")
    jpeg[sof + 5 : sof + 9] = struct.pack(">HH", side, side)
    assert refused_key("big.jpg", bytes(jpeg)) == "error.evidence.image_too_large"
    assert Image.MAX_IMAGE_PIXELS == before


# ---------------------------------------------------------------- links
@pytest.mark.parametrize(
    ("url", "stored"),
    [
        ("https://data.moe.go.th/dashboard", "https://data.moe.go.th/dashboard"),
        ("  HTTPS://Data.MOE.go.th/Dashboard?id=5&x=1#top  ", "https://data.moe.go.th/Dashboard?id=5&x=1#top"),
        ("http://10.0.0.5:8080/report", "http://10.0.0.5:8080/report"),
        ("https://example.com", "https://example.com"),
        ("https://example.com./a", "https://example.com./a"),
        (
            "https://ศึกษาธิการ.ไทย/รายงาน",
            "https://xn--12ca2e0bvh7dcqp.xn--o3cw4h/%E0%B8%A3%E0%B8%B2%E0%B8%A2%E0%B8%87%E0%B8%B2%E0%B8%99",
        ),
        ("https://www.กระทรวงศึกษาธิการ.go.th/", "https://www.xn--12caaw3fi7ebe9amn8f9ac4a3a.go.th/"),
        ("https://example.com/a%20b?q=%E0%B8%81", "https://example.com/a%20b?q=%E0%B8%81"),
        ("https://example.com/100%?q=50%", "https://example.com/100%25?q=50%25"),
        ("https://example.com/a#b#c", "https://example.com/a#b%23c"),
        ("https://medium.com/@user/post", "https://medium.com/@user/post"),
        ("https://docs.google.com/d/1AbC_-x/edit?usp=sharing", "https://docs.google.com/d/1AbC_-x/edit?usp=sharing"),
    ],
)
def test_valid_links_are_stored_normalised(url, stored):
    assert evidence.normalise_link(url) == stored
    assert evidence.normalise_link(stored) == stored  # normalising twice changes nothing
    assert evidence.safe_href(stored) == stored


@pytest.mark.parametrize(
    ("url", "key"),
    [
        ("https://example.invalid/a](http://host/phish) [real", "error.evidence.link_chars"),
        ("https://example.invalid/a) ![](http://host/ev.png)", "error.evidence.link_chars"),
        ("https://example.invalid/a)![x](http://host/ev.png)", "error.evidence.link_chars"),
        ("https://example.com/path(1)", "error.evidence.link_chars"),  # refused: parentheses are never allowed
        ('https://example.com/"onmouseover="alert(1)', "error.evidence.link_chars"),
        ("https://example.com/<script>", "error.evidence.link_chars"),
        ("https://example.com/a'b", "error.evidence.link_chars"),
        ("https://example.com/`x`", "error.evidence.link_chars"),
        ("https://example.com/{x}|y^z", "error.evidence.link_chars"),
        ("https://example.com\\@evil.example/", "error.evidence.link_chars"),
        ("https://exa mple.com", "error.evidence.link_chars"),
        ("https://example.com/a\tb", "error.evidence.link_chars"),
        ("https://example.com/a\nb", "error.evidence.link_chars"),
        ("https://example.com/a\u00a0b", "error.evidence.link_chars"),  # no-break space
        ("https://example.com/\u202egnp.exe", "error.evidence.link_chars"),  # bidi override
        ("https://example.com/a\u200bb", "error.evidence.link_chars"),  # zero-width space
        ("https://[::1]/", "error.evidence.link_chars"),  # IPv6 literals need brackets: refused
        ("javascript:alert(1)", "error.evidence.link_chars"),
        ("javascript://example.com/%0aalert%281%29", "error.evidence.bad_link"),
        ("data:text/html;base64,PHNjcmlwdD4=", "error.evidence.bad_link"),
        ("ftp://example.com/x", "error.evidence.bad_link"),
        ("http://", "error.evidence.bad_link"),
        ("https://", "error.evidence.bad_link"),
        ("https:///example.com", "error.evidence.bad_link"),
        ("https:example.com", "error.evidence.bad_link"),
        ("//example.com/a", "error.evidence.bad_link"),
        ("example.com", "error.evidence.bad_link"),
        ("", "error.evidence.bad_link"),
        ("https://user:pass@example.com/", "error.evidence.link_host"),
        ("https://example.com@evil.example/", "error.evidence.link_host"),
        ("https://exa_mple.com/", "error.evidence.link_host"),
        ("https://-example.com/", "error.evidence.link_host"),
        ("https://example..com/", "error.evidence.link_host"),
        ("https://example.com:0/", "error.evidence.link_host"),
        ("https://example.com:99999/", "error.evidence.link_host"),
        ("https://example.com:80:81/", "error.evidence.link_host"),
        ("https://example.com:๘๐/", "error.evidence.link_host"),  # Thai digits are not a port
        ("https://0x7f.1/", "error.evidence.link_host"),
        ("https://999.1.1.1/", "error.evidence.link_host"),
        ("https://1234/", "error.evidence.link_host"),
        ("https://" + "a" * 64 + ".com/", "error.evidence.link_host"),
        ("https://example.com/" + "a" * 2000, "error.evidence.link_too_long"),
        ("https://example.com/" + "ก" * 300, "error.evidence.link_too_long"),  # 300 chars, 2,700 once encoded
    ],
)
def test_invalid_links_are_refused_and_have_no_href(url, key):
    with pytest.raises(ProgressError) as exc:
        evidence.normalise_link(url)
    assert exc.value.message_key == key and key in catalog()
    assert evidence.safe_href(url) is None


def test_a_link_with_parentheses_such_as_path_1_is_refused_under_the_no_brackets_rule():
    """Wikipedia-style links need their parentheses written as %28 and %29: a bare ")" is what
    ends a Markdown link, so it is refused everywhere rather than encoded behind the user's back."""
    with pytest.raises(ProgressError) as exc:
        evidence.normalise_link("https://example.com/path(1)")
    assert exc.value.message_key == "error.evidence.link_chars"
    assert evidence.normalise_link("https://example.com/path%281%29") == "https://example.com/path%281%29"


@pytest.mark.parametrize(
    "old",
    [
        "https://example.invalid/a](http://host/phish) [real",
        "https://example.invalid/a) ![](http://host/ev.png)",
        'https://example.com/"><img src=x onerror=alert(1)>',
        "javascript:alert(1)//https://",
        "",
    ],
)
def test_hostile_links_stored_before_the_rule_have_no_href(old):
    assert evidence.safe_href(old) is None


def test_an_href_is_plain_ascii_without_characters_that_end_an_attribute_or_markdown():
    href = evidence.safe_href("https://ศึกษาธิการ.ไทย/ผลการดำเนินงาน?รอบ=12&ปี=2564#สรุป")
    assert href is not None and href.isascii()
    assert not set(href) & (evidence.LINK_FORBIDDEN | set(" \t\r\n"))


@pytest.mark.parametrize(
    "url",
    [
        "javascript:alert(1)",
        "ftp://x/y",
        "not a link",
        "https://",
        "http://",
        "https://exa mple.com",
        "https://example.invalid/a](http://host/phish) [real",
        "https://example.invalid/a) ![](http://host/ev.png)",
        "https://example.com/path(1)",
    ],
)
def test_links_must_be_http_and_nothing_is_written(demo_db, returned_bps, url):
    a = actor(demo_db, "focal_bps")
    with pytest.raises(ProgressError), write_session(demo_db, a) as s:
        evidence.add_link(session=s, actor=a, report_id=returned_bps.id, url=url)
    with read_session(demo_db) as s:
        assert evidence.list_for_report(session=s, actor=a, report_id=returned_bps.id) == []


def test_link_added_and_listed_then_removed(demo_db, returned_bps):
    a = actor(demo_db, "focal_bps")
    with write_session(demo_db, a) as s:
        ev = evidence.add_link(session=s, actor=a, report_id=returned_bps.id, url="https://data.moe.go.th/dashboard")
    with read_session(demo_db) as s:
        assert [e.url for e in evidence.list_for_report(session=s, actor=a, report_id=returned_bps.id)] == [
            "https://data.moe.go.th/dashboard"
        ]
    with write_session(demo_db, a) as s:
        evidence.remove(session=s, actor=a, evidence_id=ev.id)
    with read_session(demo_db) as s:
        assert evidence.list_for_report(session=s, actor=a, report_id=returned_bps.id) == []


def test_a_thai_link_is_stored_percent_encoded(demo_db, returned_bps):
    a = actor(demo_db, "focal_bps")
    with write_session(demo_db, a) as s:
        ev = evidence.add_link(session=s, actor=a, report_id=returned_bps.id, url="https://ศึกษาธิการ.ไทย/รายงาน")
    assert ev.url == ev.original_name == evidence.normalise_link("https://ศึกษาธิการ.ไทย/รายงาน")
    assert ev.url.isascii()
