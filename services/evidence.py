"""Evidence for a progress report: links, and files stored outside the web root.

Files are checked against an allow-list (PDF, Office and OpenDocument files, images) by
extension *and* by their first bytes, capped in size, and stored under generated names; the
name the user gave is only displayed. Reading a file re-checks that the reader may see the
agency's report.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from urllib.parse import urlparse

from sqlmodel import Session, select

from models import Assignment, Evidence, ProgressReport, Round
from services.permissions import Actor
from services.progress import ProgressError, require_edit, require_view

ZIP = (b"PK\x03\x04",)
OLE = (b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1",)
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


def add_link(*, session: Session, actor: Actor, report_id: int, url: str) -> Evidence:
    report, assignment, rnd = _report_context(session, report_id)
    require_edit(actor, agency_id=assignment.agency_id, rnd=rnd, report=report, figures=False)
    url = url.strip()
    parsed = urlparse(url)
    if parsed.scheme not in ("http", "https") or not parsed.netloc or len(url) > 2000:
        raise ProgressError("error.evidence.bad_link")
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


def check_file(filename: str, data: bytes, *, max_bytes: int) -> tuple[str, str]:
    """(extension, content type) of an acceptable file, or ProgressError saying why not."""
    ext = Path(filename).suffix.lower()
    if ext not in ALLOWED:
        raise ProgressError("error.evidence.type", allowed=", ".join(ALLOWED_EXTENSIONS))
    if len(data) == 0:
        raise ProgressError("error.evidence.empty")
    if len(data) > max_bytes:
        raise ProgressError("error.evidence.too_big", mb=max_bytes // (1024 * 1024))
    content_type, magics = ALLOWED[ext]
    if not any(data.startswith(m) for m in magics):
        raise ProgressError("error.evidence.content_mismatch", ext=ext)
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
        original_name=Path(filename).name[:255],
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
