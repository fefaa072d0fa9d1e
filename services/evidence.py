"""Evidence for a progress report: links, and files stored outside the web root.

Links are validated strictly (`normalise_link`) and stored in their normalised, percent-encoded
form; `safe_href` re-checks a stored link (old rows included) before a page builds an HTML link
from it. Files are checked against an allow-list (PDF, Office and OpenDocument files, images) by
extension, by their first bytes *and* by opening them as what they claim to be, with bounded
time and memory (`check_file`); they are capped in size and stored under generated names; the
name the user gave is only displayed. Reading a file re-checks that the reader may see the
agency's report.
"""

from __future__ import annotations

import io
import ipaddress
import logging
import re
import struct
import unicodedata
import uuid
import zipfile
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from urllib.parse import quote, urlsplit

import olefile
import pypdf
from PIL import Image
from sqlmodel import Session, select

from models import Assignment, Evidence, ProgressReport, Round
from services.errors import ProgressError
from services.permissions import Actor, require_edit, require_view

MB = 1024 * 1024
ZIP = (b"PK\x03\x04",)
OLE_MAGIC = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"
OLE = (OLE_MAGIC,)
# extension -> (content type, accepted leading bytes)
ALLOWED: dict[str, tuple[str, tuple[bytes, ...]]] = {
    ".pdf": ("application/pdf", (b"%PDF-",)),
    ".doc": ("application/msword", OLE),
    ".xls": ("application/vnd.ms-excel", OLE),
    ".ppt": ("application/vnd.ms-powerpoint", OLE),
    ".docx": ("application/vnd.openxmlformats-officedocument.wordprocessingml.document", ZIP),
    ".xlsx": ("application/vnd.openxmlformats-officedocument.spreadsheetml.sheet", ZIP),
    ".pptx": ("application/vnd.openxmlformats-officedocument.presentationml.presentation", ZIP),
    ".odt": ("application/vnd.oasis.opendocument.text", ZIP),
    ".ods": ("application/vnd.oasis.opendocument.spreadsheet", ZIP),
    ".odp": ("application/vnd.oasis.opendocument.presentation", ZIP),
    ".png": ("image/png", (b"\x89PNG\r\n\x1a\n",)),
    ".jpg": ("image/jpeg", (b"\xff\xd8\xff",)),
    ".jpeg": ("image/jpeg", (b"\xff\xd8\xff",)),
}
ALLOWED_EXTENSIONS = tuple(sorted(ALLOWED))

# ---------------------------------------------------------------- limits of the structural checks
PDF_EOF_WINDOW = 1024  # "%%EOF" must be in the last 1,024 bytes (where PDF readers look for it)
PDF_MAX_DECODED_BYTES = 50 * MB  # any one decoded PDF stream (pypdf's own limits, tightened)
ZIP_MAX_ENTRIES = 5_000
ZIP_MAX_TOTAL_BYTES = 100 * MB  # uncompressed, all entries: max(this, ZIP_TOTAL_PER_CAP × the file cap)
ZIP_TOTAL_PER_CAP = 5
ZIP_MAX_RATIO = 100  # uncompressed : compressed, for an entry past ZIP_RATIO_FROM_BYTES
ZIP_RATIO_FROM_BYTES = 1 * MB
ZIP_CHUNK = 64 * 1024
OLE_MAX_STREAMS = 5_000
IMAGE_MAX_PIXELS = 50_000_000  # checked before Pillow decodes; Pillow's global limit is left alone

# members that make a ZIP-based file what its extension claims
OOXML_MAIN_PART = {".docx": "word/document.xml", ".xlsx": "xl/workbook.xml", ".pptx": "ppt/presentation.xml"}
ODF_TYPES = (".odt", ".ods", ".odp")  # the `mimetype` entry holds ALLOWED[ext][0] exactly
# streams that make an OLE compound file a Word / Excel / PowerPoint 97-2003 file, and the leading
# bytes of that stream where the format fixes them (Word's FIB identifier, Excel's BOF record)
OLE_STREAMS: dict[str, tuple[tuple[str, ...], tuple[bytes, ...]]] = {
    ".doc": (("WordDocument",), (b"\xec\xa5", b"\xdc\xa5")),
    ".xls": (("Workbook", "Book"), (b"\x09\x08",)),
    ".ppt": (("PowerPoint Document",), ()),
}

# pypdf reports what it repairs in a damaged file through the "pypdf.*" loggers; refused uploads
# must not fill the server log, so unless someone configured that logger, only CRITICAL passes.
_PYPDF_LOG = logging.getLogger("pypdf")
if _PYPDF_LOG.level == logging.NOTSET:
    _PYPDF_LOG.setLevel(logging.CRITICAL)


@dataclass(frozen=True)
class EvidenceFile:
    name: str
    content_type: str
    data: bytes


def _report_context(session: Session, report_id: int) -> tuple[ProgressReport, Assignment, Round]:
    report = session.get(ProgressReport, report_id)
    if report is None:
        raise ProgressError("error.unknown_report")
    return report, session.get(Assignment, report.assignment_id), session.get(Round, report.round_id)


# ---------------------------------------------------------------- links
LINK_MAX_CHARS = 2000
# characters that end or open Markdown/HTML constructs; refused anywhere in a link, even percent-
# encodable ones, so a link can never be read as anything but one link (write "(" as %28)
LINK_FORBIDDEN = frozenset("<>\"'()[]{}|\\^`")
_LINK_SAFE_PATH = "!$&*+,-./:;=@_~%"  # kept as they are; everything else is percent-encoded
_LINK_SAFE_QUERY = _LINK_SAFE_PATH + "?"
_STRAY_PERCENT = re.compile(r"%(?![0-9A-Fa-f]{2})")
_HOST_LABEL = re.compile(r"(?!-)[a-z0-9-]{1,63}(?<!-)")
_PORT = re.compile(r"[0-9]{1,5}")


def _link_host(host: str) -> str:
    """The host in ASCII (IDNA for Thai and other non-ASCII names), lower case; or ProgressError."""
    if not host:
        raise ProgressError("error.evidence.bad_link")
    try:
        ascii_host = host if host.isascii() else host.encode("idna").decode("ascii")
    except UnicodeError:
        raise ProgressError("error.evidence.link_host") from None
    ascii_host = ascii_host.lower()
    bare = ascii_host.removesuffix(".")  # a fully qualified "example.com." is allowed
    labels = bare.split(".")
    if len(bare) > 253 or not all(_HOST_LABEL.fullmatch(label) for label in labels):
        raise ProgressError("error.evidence.link_host")
    if labels[-1].isdigit():  # a name ending in a number is an IPv4 address, or nothing
        try:
            ipaddress.IPv4Address(bare)
        except ValueError:
            raise ProgressError("error.evidence.link_host") from None
    return ascii_host


def normalise_link(url: str) -> str:
    """The stored form of an evidence link, or ProgressError saying what is wrong.

    http/https only; a host name (letters, digits, hyphens, dots; non-ASCII names as IDNA) or an
    IPv4 address; an optional port; no user name or password; no whitespace, control or format
    characters and none of LINK_FORBIDDEN anywhere (so IPv6 literals, which need brackets, are
    refused too); non-ASCII in the path, query and fragment percent-encoded (UTF-8); at most
    LINK_MAX_CHARS characters, before and after encoding. Normalising a normalised link returns
    it unchanged.
    """
    url = url.strip()
    if not url:
        raise ProgressError("error.evidence.bad_link")
    if len(url) > LINK_MAX_CHARS:
        raise ProgressError("error.evidence.link_too_long", n=f"{LINK_MAX_CHARS:,}")
    for ch in url:
        if ch in LINK_FORBIDDEN or ch.isspace() or unicodedata.category(ch)[0] in "CZ":
            raise ProgressError("error.evidence.link_chars")
    scheme, sep, _ = url.partition("://")
    if not sep or scheme.lower() not in ("http", "https"):
        raise ProgressError("error.evidence.bad_link")
    try:
        parts = urlsplit(url)
    except ValueError:
        raise ProgressError("error.evidence.bad_link") from None
    netloc = parts.netloc
    if not netloc:
        raise ProgressError("error.evidence.bad_link")
    if "@" in netloc:
        raise ProgressError("error.evidence.link_host")
    host, colon, port = netloc.partition(":")
    if colon and not (_PORT.fullmatch(port) and 1 <= int(port) <= 65535):
        raise ProgressError("error.evidence.link_host")
    out = f"{scheme.lower()}://{_link_host(host)}{':' + port if colon else ''}"
    out += _STRAY_PERCENT.sub("%25", quote(parts.path, safe=_LINK_SAFE_PATH))
    if parts.query:
        out += "?" + _STRAY_PERCENT.sub("%25", quote(parts.query, safe=_LINK_SAFE_QUERY))
    if parts.fragment:
        out += "#" + _STRAY_PERCENT.sub("%25", quote(parts.fragment, safe=_LINK_SAFE_QUERY))
    if len(out) > LINK_MAX_CHARS:
        raise ProgressError("error.evidence.link_too_long", n=f"{LINK_MAX_CHARS:,}")
    return out


def safe_href(url: str) -> str | None:
    """A stored link (also one saved before the strict rule) as an href, or None if it is not one.

    The result is ASCII, percent-encoded, http(s), and holds no quote, angle bracket, parenthesis,
    bracket, backslash or whitespace; pages still pass it through html.escape (for "&") and build
    the link as HTML, never by pasting it into Markdown.
    """
    if not isinstance(url, str):
        return None
    try:
        return normalise_link(url)
    except ProgressError:
        return None


def add_link(*, session: Session, actor: Actor, report_id: int, url: str) -> Evidence:
    """Attach a link, stored in the form `normalise_link` gives (ProgressError if it is not valid)."""
    report, assignment, rnd = _report_context(session, report_id)
    require_edit(actor, agency_id=assignment.agency_id, rnd=rnd, report=report, figures=False)
    url = normalise_link(url)
    ev = Evidence(
        report_id=report_id,
        kind="link",
        url=url,
        original_name=url[:255],
        uploaded_by_id=actor.user_id,
        uploaded_at=datetime.now(UTC),
    )
    session.add(ev)
    session.flush()
    return ev


# ---------------------------------------------------------------- files
def display_name(filename: str) -> str:
    """The name shown for an upload: the given name without any folder part (/ or \\), without
    control characters (NUL included) or lone surrogates, at most 255 characters (extension kept)."""
    name = re.split(r"[\\/]", filename)[-1]
    name = "".join(ch for ch in name if unicodedata.category(ch) not in ("Cc", "Cs"))
    if len(name) > 255:
        suffix = Path(name).suffix[:16]
        name = name[: 255 - len(suffix)] + suffix
    return name


def _refuse_unless(ok: bool, key: str, **params: object) -> None:
    if not ok:
        raise ProgressError(key, **params)


def _check_pdf(ext: str, data: bytes, max_bytes: int) -> None:
    """Opens with pypdf (its decoding limits tightened), has a page, ends with %%EOF."""
    _refuse_unless(b"%%EOF" in data[-PDF_EOF_WINDOW:], "error.evidence.pdf_invalid")
    limits = {
        "maximum_declared_stream_length": max(max_bytes, 1),
        "zlib_maximum_output_length": PDF_MAX_DECODED_BYTES,
        "lzw_maximum_output_length": PDF_MAX_DECODED_BYTES,
        "run_length_maximum_output_length": PDF_MAX_DECODED_BYTES,
        "brotli_maximum_output_length": PDF_MAX_DECODED_BYTES,
        "array_based_stream_maximum_output_length": PDF_MAX_DECODED_BYTES,
        "image_maximum_buffer_size": PDF_MAX_DECODED_BYTES,
    }
    with pypdf.apply_configuration(**limits):  # a context variable: other threads keep theirs
        reader = pypdf.PdfReader(io.BytesIO(data), strict=False)
        if reader.is_encrypted:
            try:
                opened = reader.decrypt("") != pypdf.PasswordType.NOT_DECRYPTED
            except Exception:  # a cipher we cannot open counts as a password
                opened = False
            _refuse_unless(opened, "error.evidence.encrypted", ext=ext)
        _refuse_unless(len(reader.pages) >= 1, "error.evidence.pdf_invalid")
        reader.pages[0].mediabox  # noqa: B018 - the first page must be a real page dictionary


def _unsafe_member_name(name: str) -> bool:
    parts = re.split(r"[\\/]", name)
    return name.startswith(("/", "\\")) or ".." in parts or bool(re.match(r"[A-Za-z]:", name)) or "\x00" in name


def _check_zip(ext: str, data: bytes, max_bytes: int) -> None:
    """A ZIP-based Office/OpenDocument file: limits on entries and on inflated size, verified by
    inflating each entry in chunks (headers are not trusted), and the members its type needs."""
    total_limit = max(ZIP_MAX_TOTAL_BYTES, ZIP_TOTAL_PER_CAP * max_bytes)
    bomb = {"ext": ext, "mb": total_limit // MB, "entries": f"{ZIP_MAX_ENTRIES:,}"}
    with zipfile.ZipFile(io.BytesIO(data)) as zf:
        infos = zf.infolist()
        _refuse_unless(len(infos) <= ZIP_MAX_ENTRIES, "error.evidence.archive_too_large", **bomb)
        names: set[str] = set()
        for info in infos:
            _refuse_unless(not info.flag_bits & 0x1, "error.evidence.encrypted", ext=ext)
            _refuse_unless(
                info.compress_type in (zipfile.ZIP_STORED, zipfile.ZIP_DEFLATED), "error.evidence.office_invalid", ext=ext
            )
            _refuse_unless(
                not _unsafe_member_name(info.filename) and info.filename not in names, "error.evidence.office_invalid", ext=ext
            )
            names.add(info.filename)
        # entries sharing compressed bytes (overlapping "quines") add up to more than the file
        _refuse_unless(sum(i.compress_size for i in infos) <= len(data), "error.evidence.archive_too_large", **bomb)
        if ext in OOXML_MAIN_PART:
            required = {"[Content_Types].xml", OOXML_MAIN_PART[ext]}
        else:
            required = {"mimetype", "content.xml"}
        _refuse_unless(required <= names, "error.evidence.office_invalid", ext=ext)
        total = 0
        mimetype = b""
        for info in infos:
            if info.is_dir():
                continue
            size = 0
            ratio_cap = ZIP_MAX_RATIO * max(info.compress_size, 1)
            # the sizes in the headers are not trusted: the limits apply to the bytes inflating gives
            # (zipfile also stops at the declared size and then fails the CRC, so a header that
            # understates a member cannot make it inflate further)
            with zf.open(info) as member:  # inflates at most ZIP_CHUNK bytes per read
                while chunk := member.read(ZIP_CHUNK):
                    size += len(chunk)
                    total += len(chunk)
                    over = total > total_limit or (size > ZIP_RATIO_FROM_BYTES and size > ratio_cap)
                    _refuse_unless(not over, "error.evidence.archive_too_large", **bomb)
                    if info.filename == "mimetype":
                        _refuse_unless(size <= 200, "error.evidence.office_invalid", ext=ext)
                        mimetype += chunk
        if ext in ODF_TYPES:
            _refuse_unless(mimetype == ALLOWED[ext][0].encode("ascii"), "error.evidence.office_invalid", ext=ext)


def _check_ole(ext: str, data: bytes, max_bytes: int) -> None:
    """A valid OLE compound file (olefile, defects refused) holding the stream its type needs;
    every stream is read once so a truncated or cross-linked file is refused."""
    streams_for_type, leading = OLE_STREAMS[ext]
    # BytesIO, never bytes: olefile takes a short bytes value for a *path* to open
    with olefile.OleFileIO(io.BytesIO(data), raise_defects=olefile.DEFECT_INCORRECT) as ole:
        streams = ole.listdir(streams=True, storages=False)
        _refuse_unless(len(streams) <= OLE_MAX_STREAMS, "error.evidence.office_invalid", ext=ext)
        _refuse_unless(sum(ole.get_size(s) for s in streams) <= len(data), "error.evidence.office_invalid", ext=ext)
        main = next((name for name in streams_for_type if ole.exists(name)), None)
        _refuse_unless(main is not None and ole.get_size(main) > 0, "error.evidence.office_invalid", ext=ext)
        for stream in streams:
            ole.openstream(stream).close()  # reads the whole chain; raises on a broken one
        if leading:
            with ole.openstream(main) as f:
                _refuse_unless(f.read(2) in leading, "error.evidence.office_invalid", ext=ext)


_JPEG_SOF = frozenset({*range(0xC0, 0xC4), *range(0xC5, 0xC8), *range(0xC9, 0xCC), *range(0xCD, 0xD0)})


def _png_size(data: bytes) -> tuple[int, int] | None:
    if len(data) < 24 or data[12:16] != b"IHDR":
        return None
    return struct.unpack(">II", data[16:24])


def _jpeg_size(data: bytes) -> tuple[int, int] | None:
    """The largest frame a JPEG declares (its SOF markers before the first scan), from its bytes."""
    best: tuple[int, int] | None = None
    i, n = 2, len(data)
    while i + 1 < n:
        if data[i] != 0xFF:
            return None
        marker = data[i + 1]
        if marker == 0xFF:  # fill byte
            i += 1
            continue
        if marker == 0x01 or 0xD0 <= marker <= 0xD8:  # markers without a length
            i += 2
            continue
        if marker in (0xD9, 0xDA):  # end of image, start of scan
            break
        if i + 4 > n:
            return None
        length = int.from_bytes(data[i + 2 : i + 4], "big")
        if length < 2:
            return None
        if marker in _JPEG_SOF:
            if i + 9 > n:
                return None
            height, width = struct.unpack(">HH", data[i + 5 : i + 9])
            if best is None or width * height > best[0] * best[1]:
                best = (width, height)
        i += 2 + length
    return best


def _check_image(ext: str, data: bytes, max_bytes: int) -> None:
    """Pillow opens it as the format its extension names, within IMAGE_MAX_PIXELS (read from the
    header before Pillow decodes anything); a PNG passes verify() (every chunk and CRC), a JPEG
    decodes at 1/8 scale (every scan read, so a truncated file is refused)."""
    png = ext == ".png"
    size = _png_size(data) if png else _jpeg_size(data)
    _refuse_unless(size is not None and size[0] > 0 and size[1] > 0, "error.evidence.image_invalid", ext=ext)
    too_large = {"mp": IMAGE_MAX_PIXELS // 1_000_000}
    _refuse_unless(size[0] * size[1] <= IMAGE_MAX_PIXELS, "error.evidence.image_too_large", **too_large)
    formats = ("PNG",) if png else ("JPEG", "MPO")
    try:
        with Image.open(io.BytesIO(data), formats=["PNG" if png else "JPEG"]) as im:
            _refuse_unless(im.format in formats, "error.evidence.image_invalid", ext=ext)
            _refuse_unless(im.width * im.height <= IMAGE_MAX_PIXELS, "error.evidence.image_too_large", **too_large)
            if png:
                im.verify()
            else:
                im.draft(im.mode, (max(1, im.width // 8), max(1, im.height // 8)))
                im.load()
    except Image.DecompressionBombError:
        raise ProgressError("error.evidence.image_too_large", **too_large) from None


def _encrypted_ooxml(data: bytes) -> bool:
    """A password-protected .docx/.xlsx/.pptx: an OLE file holding an EncryptedPackage stream."""
    try:
        with olefile.OleFileIO(io.BytesIO(data)) as ole:
            return ole.exists("EncryptedPackage")
    except Exception:
        return False


_CHECKS: dict[str, tuple[Callable[[str, bytes, int], None], str]] = {
    ".pdf": (_check_pdf, "error.evidence.pdf_invalid"),
    **{ext: (_check_ole, "error.evidence.office_invalid") for ext in OLE_STREAMS},
    **{ext: (_check_zip, "error.evidence.office_invalid") for ext in (*OOXML_MAIN_PART, *ODF_TYPES)},
    ".png": (_check_image, "error.evidence.image_invalid"),
    ".jpg": (_check_image, "error.evidence.image_invalid"),
    ".jpeg": (_check_image, "error.evidence.image_invalid"),
}


def check_file(filename: str, data: bytes, *, max_bytes: int) -> tuple[str, str]:
    """(extension, content type) of an acceptable file, or ProgressError saying why not.

    In order: the extension of `display_name(filename)` is allowed, the file is not empty nor over
    `max_bytes`, its first bytes fit the extension, and it opens as what it claims (see the
    `_check_*` functions and the limits above). Any parser failure is a refusal, never a traceback.
    """
    ext = Path(display_name(filename)).suffix.lower()
    if ext not in ALLOWED:
        # the upload control takes any file, so this is what a person reads: the file and the kinds allowed
        raise ProgressError("error.evidence.type", name=display_name(filename) or "-", allowed=", ".join(ALLOWED_EXTENSIONS))
    if len(data) == 0:
        raise ProgressError("error.evidence.empty")
    if len(data) > max_bytes:
        raise ProgressError("error.evidence.too_big", mb=max_bytes // MB)
    content_type, magics = ALLOWED[ext]
    if not any(data.startswith(m) for m in magics):
        if magics == ZIP and data.startswith(OLE_MAGIC) and _encrypted_ooxml(data):
            raise ProgressError("error.evidence.encrypted", ext=ext)
        raise ProgressError("error.evidence.content_mismatch", ext=ext)
    check, invalid_key = _CHECKS[ext]
    try:
        check(ext, data, max_bytes)
    except ProgressError:
        raise
    except Exception:  # whatever a parser raises on a hostile file is a refusal
        raise ProgressError(invalid_key, ext=ext) from None
    return ext, content_type


def add_file(
    *, session: Session, actor: Actor, report_id: int, filename: str, data: bytes, evidence_dir: Path, max_bytes: int
) -> Evidence:
    """Store an uploaded file under a generated name; the database row and the file go together."""
    report, assignment, rnd = _report_context(session, report_id)
    require_edit(actor, agency_id=assignment.agency_id, rnd=rnd, report=report, figures=False)
    ext, content_type = check_file(filename, data, max_bytes=max_bytes)
    evidence_dir.mkdir(parents=True, exist_ok=True)
    stored_name = f"{uuid.uuid4().hex}{ext}"
    target = evidence_dir / stored_name
    tmp = target.with_suffix(target.suffix + ".part")
    tmp.write_bytes(data)
    tmp.replace(target)
    ev = Evidence(
        report_id=report_id,
        kind="file",
        original_name=display_name(filename),
        stored_name=stored_name,
        content_type=content_type,
        size_bytes=len(data),
        uploaded_by_id=actor.user_id,
        uploaded_at=datetime.now(UTC),
    )
    session.add(ev)
    try:
        session.flush()
    except Exception:
        target.unlink(missing_ok=True)  # no row, no orphan file
        raise
    return ev


def read_file(*, session: Session, actor: Actor, evidence_id: int, evidence_dir: Path) -> EvidenceFile:
    """The file's bytes, for users allowed to see the agency's report."""
    ev = session.get(Evidence, evidence_id)
    if ev is None or ev.kind != "file" or ev.removed:
        raise ProgressError("error.evidence.missing")
    _, assignment, _ = _report_context(session, ev.report_id)
    require_view(actor, assignment.agency_id)
    path = (evidence_dir / ev.stored_name).resolve()
    if path.parent != evidence_dir.resolve() or not path.is_file():
        raise ProgressError("error.evidence.missing")
    return EvidenceFile(name=ev.original_name, content_type=ev.content_type, data=path.read_bytes())


def remove(*, session: Session, actor: Actor, evidence_id: int) -> Evidence:
    """Hide an evidence item (kept, audited) from the report."""
    ev = session.get(Evidence, evidence_id)
    if ev is None:
        raise ProgressError("error.evidence.missing")
    report, assignment, rnd = _report_context(session, ev.report_id)
    require_edit(actor, agency_id=assignment.agency_id, rnd=rnd, report=report, figures=False)
    ev.removed = True
    session.add(ev)
    return ev


def list_for_report(*, session: Session, actor: Actor, report_id: int) -> list[Evidence]:
    _, assignment, _ = _report_context(session, report_id)
    require_view(actor, assignment.agency_id)
    return list(session.exec(select(Evidence).where(Evidence.report_id == report_id, Evidence.removed == False)))
