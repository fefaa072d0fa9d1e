"""Evidence files: allow-list by extension and content, size cap, generated names, access."""

import pytest

from core.db import read_session, write_session
from services import evidence
from services.permissions import PermissionDenied
from services.progress import ProgressError
from tests.helpers import actor, open_round, report

PDF = b"%PDF-1.4\n%\xe2\xe3\xcf\xd3\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"
PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 32


@pytest.fixture
def store(tmp_path):
    return tmp_path / "evidence"


@pytest.fixture
def returned_bps(demo_db):
    return report(demo_db, "BPS", "2.4", open_round(demo_db).id)  # returned: the focal point may edit it


def _add(engine, who, report_id, name, data, evidence_dir, max_bytes=1024 * 1024):
    a = actor(engine, who)
    with write_session(engine, a) as s:
        return evidence.add_file(
            session=s, actor=a, report_id=report_id, filename=name, data=data, evidence_dir=evidence_dir, max_bytes=max_bytes
        )


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
    ],
)
def test_unacceptable_files_are_refused_and_nothing_is_stored(demo_db, returned_bps, store, name, data, key):
    with pytest.raises(ProgressError) as exc:
        _add(demo_db, "focal_bps", returned_bps.id, name, data, store, max_bytes=1024)
    assert exc.value.message_key == key
    assert not store.exists() or list(store.iterdir()) == []


def test_focal_point_cannot_attach_to_another_agency(demo_db, returned_bps, store):
    with pytest.raises(PermissionDenied):
        _add(demo_db, "focal_ict", returned_bps.id, "a.pdf", PDF, store)
    assert not store.exists() or list(store.iterdir()) == []


@pytest.mark.parametrize("url", ["javascript:alert(1)", "ftp://x/y", "not a link", "https://"])
def test_links_must_be_http(demo_db, returned_bps, url):
    a = actor(demo_db, "focal_bps")
    with pytest.raises(ProgressError), write_session(demo_db, a) as s:
        evidence.add_link(session=s, actor=a, report_id=returned_bps.id, url=url)


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
