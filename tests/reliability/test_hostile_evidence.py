"""Hostile evidence uploads, a standing test: for every allowed extension, disguised, damaged and
oversized files and decompression bombs go through `evidence.add_file` on each database backend.

Every one must be refused with a ProgressError whose message key is in the catalog (Thai text),
and a refusal changes nothing: no evidence row, no audit row, no file in the evidence folder.
Bombs must be refused by the size/ratio rules themselves (their message key says so), built here
without ever holding their inflated bytes in memory. Hostile *names* on valid files are accepted
under a generated stored name, the given name kept for display without its folders and control
characters.
"""

from __future__ import annotations

import functools
import io
import re
import struct
import zipfile
import zlib
from collections.abc import Callable
from dataclasses import dataclass

import pytest
import sqlalchemy as sa

from core.db import write_session
from core.i18n import catalog, translate
from services import evidence
from services.errors import ProgressError
from tests import figures
from tests.helpers import actor, open_round, report
from tests.test_evidence import REAL_FILES, ZIP_TYPES, make_image, make_ole, make_pdf

MAX = 1024 * 1024  # the size cap in this test
BOMB_MB = 300  # inflated size of each ZIP bomb
BOMB_KEYS = {"error.evidence.archive_too_large", "error.evidence.image_too_large"}
DAMAGED_KEYS = {"error.evidence.pdf_invalid", "error.evidence.office_invalid", "error.evidence.image_invalid"}
HTML = b"<!DOCTYPE html><html><body><script>alert(document.cookie)</script></body></html>\n"
EXE = b"MZ\x90\x00\x03\x00\x00\x00\x04\x00\x00\x00\xff\xff\x00\x00" + b"\x00" * 48 + b"PE\x00\x00"
FAMILY = {".pdf": "pdf", ".doc": "ole", ".xls": "ole", ".ppt": "ole", ".png": "png", ".jpg": "jpeg", ".jpeg": "jpeg"}
FAMILY |= dict.fromkeys(ZIP_TYPES, "zip")


@dataclass(frozen=True)
class Case:
    label: str
    filename: str
    make: Callable[[], bytes]
    keys: frozenset[str]  # acceptable refusal keys


# ---------------------------------------------------------------- builders
def _main_member(ext: str) -> tuple[list[tuple[str, bytes]], str]:
    """(the small members a file of this type needs, the name of its main part)."""
    if ext in evidence.OOXML_MAIN_PART:
        return [("[Content_Types].xml", b'<?xml version="1.0"?><Types/>')], evidence.OOXML_MAIN_PART[ext]
    return [("mimetype", evidence.ALLOWED[ext][0].encode())], "content.xml"


@functools.cache
def zip_bomb(ext: str, inflated_mb: int = BOMB_MB) -> bytes:
    """A file of the type whose main part inflates to `inflated_mb` MB: streamed into the archive
    1 MB at a time (the archive itself is a few hundred KB)."""
    small, main = _main_member(ext)
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED, compresslevel=9) as zf:
        for name, data in small:
            zf.writestr(name, data, compress_type=zipfile.ZIP_STORED)
        block = b" " * (1024 * 1024)  # XML whitespace: deflate's best ratio (about 1,000:1)
        with zf.open(main, "w", force_zip64=True) as member:
            member.write(b'<?xml version="1.0"?><doc>')
            for _ in range(inflated_mb):
                member.write(block)
    return buf.getvalue()


@functools.cache
def lying_zip_bomb(ext: str) -> bytes:
    """A 50 MB inflating main part whose headers (local and central) claim 1,000 bytes."""
    small, main = _main_member(ext)
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as zf:
        for name, data in small:
            zf.writestr(name, data)
        with zf.open(main, "w") as member:
            for _ in range(50):
                member.write(b"\0" * (1024 * 1024))
    data = bytearray(buf.getvalue())
    name = main.encode()
    for signature, size_at, name_at in ((b"PK\x03\x04", 22, 30), (b"PK\x01\x02", 24, 46)):
        i = data.find(signature)
        while i != -1:
            if data[i + name_at : i + name_at + len(name)] == name:
                data[i + size_at : i + size_at + 4] = struct.pack("<I", 1000)
            i = data.find(signature, i + 4)
    return bytes(data)


def overlapping_zip(ext: str, copies: int = 40) -> bytes:
    """Many central-directory entries pointing at the same compressed bytes (an overlapping-entry
    bomb): each entry alone is unremarkable, together they add up to more than the file."""
    small, main = _main_member(ext)
    buf = io.BytesIO()
    kernel = bytes(range(256)) * 1024  # 256 KB that barely compresses
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_STORED) as zf:
        for name, data in small:
            zf.writestr(name, data)
        zf.writestr(main, kernel)
    data = buf.getvalue()
    eocd = data.rindex(b"PK\x05\x06")
    cd_size, cd_offset = struct.unpack("<II", data[eocd + 12 : eocd + 20])
    central = data[cd_offset : cd_offset + cd_size]
    last = central.rindex(b"PK\x01\x02")  # the kernel's record: copy it under new names
    record = central[last:]
    name_len = struct.unpack("<H", record[28:30])[0]
    extra = record[46 + name_len :]
    copies_cd = b"".join(
        record[:28] + struct.pack("<H", len(n := f"media/image{i:03}.bin".encode())) + record[30:46] + n + extra
        for i in range(copies)
    )
    new_cd = central + copies_cd
    count = struct.unpack("<H", data[eocd + 10 : eocd + 12])[0] + copies
    tail = struct.pack("<4sHHHHII", b"PK\x05\x06", 0, 0, count, count, len(new_cd), cd_offset) + data[eocd + 20 :]
    return data[:cd_offset] + new_cd + tail


def many_entries_zip(ext: str, entries: int = evidence.ZIP_MAX_ENTRIES + 1) -> bytes:
    small, main = _main_member(ext)
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_STORED) as zf:
        for name, data in [*small, (main, b"<x/>")]:
            zf.writestr(name, data)
        for i in range(entries):
            zf.writestr(f"customXml/item{i}.xml", b"")
    return buf.getvalue()


def png_bomb(width: int = 30_000, height: int = 30_000) -> bytes:
    """A PNG declaring width × height pixels (1-bit grey) with one tiny IDAT: never allocated."""

    def chunk(kind: bytes, body: bytes) -> bytes:
        return struct.pack(">I", len(body)) + kind + body + struct.pack(">I", zlib.crc32(kind + body))

    ihdr = struct.pack(">IIBBBBB", width, height, 1, 0, 0, 0, 0)
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", ihdr) + chunk(b"IDAT", zlib.compress(b"\0" * 4096)) + chunk(b"IEND", b"")


def jpeg_bomb(width: int = 60_000, height: int = 60_000) -> bytes:
    """A real 8 × 8 JPEG whose frame header is rewritten to claim width × height pixels."""
    data = bytearray(make_image("JPEG", (8, 8)))
    sof = data.index(b"\xff\xc0")
    data[sof + 5 : sof + 9] = struct.pack(">HH", height, width)
    return bytes(data)


def half(data: bytes) -> bytes:
    return data[: len(data) // 2]


def disguised(ext: str) -> bytes:
    """A real file of another family under this extension."""
    return {
        "pdf": make_image("PNG"),
        "zip": make_image("PNG"),
        "ole": make_pdf(),
        "png": make_image("JPEG"),
        "jpeg": make_image("PNG"),
    }[FAMILY[ext]]


def html_behind_header(ext: str) -> bytes:
    magic = evidence.ALLOWED[ext][1][0]
    if ext == ".pdf":
        return magic + b"1.7\n" + HTML + b"%%EOF\n"
    return magic + HTML * 40  # long enough for every parser to read past the header


def sibling(ext: str) -> bytes | None:
    """A real file of the same container under this extension (an .xls named .doc, …)."""
    swap = {".doc": ".xls", ".xls": ".ppt", ".ppt": ".doc", ".docx": ".xlsx", ".xlsx": ".pptx", ".pptx": ".docx"}
    swap |= {".odt": ".ods", ".ods": ".odp", ".odp": ".odt"}
    return REAL_FILES[swap[ext]]() if ext in swap else None


def cases() -> list[Case]:
    out: list[Case] = []
    mismatch = frozenset({"error.evidence.content_mismatch"})
    for ext in evidence.ALLOWED_EXTENSIONS:
        real = REAL_FILES[ext]
        damaged = frozenset(DAMAGED_KEYS)
        out += [
            Case(f"html renamed {ext}", f"page{ext}", lambda: HTML, mismatch),
            Case(f"exe renamed {ext}", f"setup{ext}", lambda: EXE, mismatch),
            Case(f"other format renamed {ext}", f"other{ext}", lambda ext=ext: disguised(ext), mismatch),
            Case(f"html behind the {ext} header", f"polyglot{ext}", lambda ext=ext: html_behind_header(ext), damaged),
            Case(f"first half of a real {ext}", f"half{ext}", lambda real=real: half(real()), damaged),
            Case(f"first 100 bytes of a real {ext}", f"head{ext}", lambda real=real: real()[:100], damaged),
            Case(f"empty {ext}", f"empty{ext}", lambda: b"", frozenset({"error.evidence.empty"})),
            Case(
                f"{ext} over the size cap",
                f"big{ext}",
                lambda real=real: real() + b"\0" * MAX,
                frozenset({"error.evidence.too_big"}),
            ),
        ]
        if sibling(ext) is not None:
            out.append(Case(f"sibling format renamed {ext}", f"sibling{ext}", lambda ext=ext: sibling(ext), damaged))
    bomb = frozenset({"error.evidence.archive_too_large"})
    for ext in ZIP_TYPES:
        out += [
            Case(f"{BOMB_MB} MB zip bomb {ext}", f"bomb{ext}", lambda ext=ext: zip_bomb(ext), bomb),
            Case(f"zip bomb with lying sizes {ext}", f"liar{ext}", lambda ext=ext: lying_zip_bomb(ext), bomb | damaged),
            Case(f"overlapping entries {ext}", f"overlap{ext}", lambda ext=ext: overlapping_zip(ext), bomb),
        ]
    out += [
        Case("5,001 entries .docx", "many.docx", lambda: many_entries_zip(".docx"), bomb),
        Case("5,001 entries .ods", "many.ods", lambda: many_entries_zip(".ods"), bomb),
        Case(
            "password-protected .docx",
            "locked.docx",
            lambda: make_ole("EncryptedPackage", b"\1" * 64),
            frozenset({"error.evidence.encrypted"}),
        ),
        Case("html in a WordDocument stream .doc", "html.doc", lambda: make_ole("WordDocument", HTML), damaged),
        Case("30,000 x 30,000 png", "bomb.png", png_bomb, frozenset({"error.evidence.image_too_large"})),
        Case(
            "8,000 x 8,000 png (under Pillow's own limit)",
            "big.png",
            lambda: png_bomb(8_000, 8_000),
            frozenset({"error.evidence.image_too_large"}),
        ),
        Case("60,000 x 60,000 jpg", "bomb.jpg", jpeg_bomb, frozenset({"error.evidence.image_too_large"})),
        Case("60,000 x 60,000 jpeg", "bomb.jpeg", jpeg_bomb, frozenset({"error.evidence.image_too_large"})),
        Case("name: NUL before a hidden extension", "report.pdf\x00.exe", make_pdf, frozenset({"error.evidence.type"})),
        Case("name: only folders", "../../", make_pdf, frozenset({"error.evidence.type"})),
        Case("name: trailing slash", "evidence.pdf/", make_pdf, frozenset({"error.evidence.type"})),
        Case(
            "name: bidi override hiding .exe",
            "photo\u202egpj.exe",
            lambda: make_image("JPEG"),
            frozenset({"error.evidence.type"}),
        ),
    ]
    return out


# hostile names on valid files: accepted, stored under a generated name, shown without folders/controls
NAMES = [
    ("../../etc/passwd/../หลักฐาน.pdf", make_pdf, "หลักฐาน.pdf"),
    ("..\\..\\Windows\\System32\\evidence.pdf", make_pdf, "evidence.pdf"),
    ("/var/lib/app/evidence/aaaa.png", lambda: make_image("PNG"), "aaaa.png"),
    ("หลักฐาน\x00รอบ 12.pdf", make_pdf, "หลักฐานรอบ 12.pdf"),
    ("evidence.pdf\x00", make_pdf, "evidence.pdf"),
    ("line\r\nbreak\x1b[31m.xlsx", REAL_FILES[".xlsx"], "linebreak[31m.xlsx"),
    ("invoice\u202excod.pdf", make_pdf, "invoice\u202excod.pdf"),  # bidi override kept: shown as given
    ("\u2066รายงาน\u2069 \u200f.docx", REAL_FILES[".docx"], "\u2066รายงาน\u2069 \u200f.docx"),
    ("a" * 300 + ".odt", REAL_FILES[".odt"], "a" * 251 + ".odt"),
]


# ---------------------------------------------------------------- the tests
def _counts(engine: sa.Engine) -> tuple[int, int]:
    with engine.connect() as conn:
        return (
            conn.execute(sa.text("SELECT count(*) FROM evidence")).scalar_one(),
            conn.execute(sa.text("SELECT count(*) FROM audit_log")).scalar_one(),
        )


def _add(engine: sa.Engine, report_id: int, filename: str, data: bytes, store):
    a = actor(engine, "focal_bps")
    with write_session(engine, a) as s:
        return evidence.add_file(
            session=s, actor=a, report_id=report_id, filename=filename, data=data, evidence_dir=store, max_bytes=MAX
        )


def test_hostile_files_are_refused_cleanly_and_change_nothing(demo_db, tmp_path, request):
    target = report(demo_db, "BPS", "2.4", open_round(demo_db).id)  # returned: the focal point may edit it
    store = tmp_path / "evidence"
    all_cases = cases()
    tracebacks: list[str] = []
    wrong: list[str] = []
    rows_changed = 0
    for case in all_cases:
        data = case.make()
        before = _counts(demo_db)
        try:
            _add(demo_db, target.id, case.filename, data, store)
        except ProgressError as exc:
            key = exc.message_key
            if key not in case.keys:
                wrong.append(f"{case.label}: {key}")
            assert key in catalog(), key
            assert translate(key, **exc.params).strip(), key  # Thai text, parameters filled
            assert re.search("[\u0e00-\u0e7f]", translate(key, **exc.params)), key
        except Exception as exc:  # any other exception is what this test looks for
            tracebacks.append(f"{case.label}: {type(exc).__name__}: {exc}")
        else:
            wrong.append(f"{case.label}: accepted")
        after = _counts(demo_db)
        rows_changed += (after[0] - before[0]) + (after[1] - before[1])
        assert not store.exists() or list(store.iterdir()) == [], case.label
    assert tracebacks == []
    assert wrong == []
    assert rows_changed == 0
    figures.record(
        request,
        inputs_tried=len(all_cases),
        inputs_refused=len(all_cases) - len(wrong) - len(tracebacks),
        tracebacks=len(tracebacks),
        rows_changed_by_refusals=rows_changed,
    )


@pytest.mark.parametrize("ext", ZIP_TYPES)
def test_a_zip_bomb_is_refused_by_the_size_rule_without_inflating_it_fully(ext):
    data = zip_bomb(ext)
    assert len(data) < MAX  # small on disk: only the inflated size can refuse it
    assert zipfile.ZipFile(io.BytesIO(data)).getinfo(_main_member(ext)[1]).file_size > BOMB_MB * 1024 * 1024
    with pytest.raises(ProgressError) as exc:
        evidence.check_file(f"bomb{ext}", data, max_bytes=MAX)
    assert exc.value.message_key == "error.evidence.archive_too_large"
    assert exc.value.params["ext"] == ext


def test_an_image_bomb_is_refused_by_the_pixel_rule():
    for name, data in (("bomb.png", png_bomb()), ("bomb.jpg", jpeg_bomb())):
        with pytest.raises(ProgressError) as exc:
            evidence.check_file(name, data, max_bytes=MAX)
        assert exc.value.message_key == "error.evidence.image_too_large"


def test_hostile_names_on_valid_files_keep_a_generated_stored_name(demo_db, tmp_path, request):
    target = report(demo_db, "BPS", "2.4", open_round(demo_db).id)
    store = tmp_path / "evidence"
    for filename, make, shown in NAMES:
        data = make()
        before = _counts(demo_db)
        ev = _add(demo_db, target.id, filename, data, store)
        ext = evidence.display_name(filename).rsplit(".", 1)[-1].lower()
        assert re.fullmatch(rf"[0-9a-f]{{32}}\.{ext}", ev.stored_name), ev.stored_name
        assert ev.original_name == shown
        assert (store / ev.stored_name).read_bytes() == data
        assert _counts(demo_db)[0] == before[0] + 1
    stored = [p.name for p in store.iterdir()]
    assert len(stored) == len(NAMES) and all(re.fullmatch(r"[0-9a-f]{32}\.[a-z]+", name) for name in stored)
    # valid files under hostile names: counted with the hostile text (file names), not as refusals
    figures.record(request, texts_tried=len(NAMES), texts_fields=len(NAMES), texts_checked=2 * len(NAMES))
