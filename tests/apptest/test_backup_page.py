"""The Backup page through AppTest: the admin reads what a backup holds, builds one (its steps
shown) and gets the download button with a BE-dated name; the restore section says it needs an
empty database and points to cli.py restore; nobody else can open the page."""

import io
import zipfile
from pathlib import Path

import pytest
import sqlalchemy as sa

from core.db import make_engine
from tests.apptest.conftest import APP_FILE, login, titles

BACKUP = str(Path(APP_FILE).parent / "pages" / "backup.py")


def _texts(at) -> str:
    return "\n".join(e.value for e in (*at.markdown, *at.info, *at.caption))


def test_the_admin_builds_and_downloads_a_backup(app, app_env, monkeypatch, tmp_path):
    at = login(app, "admin")
    at.switch_page(BACKUP).run()
    assert not at.exception, at.exception
    assert titles(at)[0] == "สำรองและกู้คืนข้อมูล"
    text = _texts(at)
    assert "ไฟล์หลักฐานทุกไฟล์" in text and "SHA-256" in text
    assert "python cli.py restore" in text and "ฐานข้อมูลที่ว่างเปล่าเท่านั้น" in text
    assert not at.get("download_button")

    next(b for b in at.button if b.label == "สร้างไฟล์สำรองข้อมูล").click().run()
    assert not at.exception and not at.error, [e.value for e in at.error]
    (status,) = at.status
    assert status.label.startswith("สร้างไฟล์สำรองข้อมูลแล้ว:") and status.state == "complete"
    (download,) = at.get("download_button")
    assert download.proto.label.startswith("ดาวน์โหลด reform") and "backup" in download.proto.label
    engine = make_engine(f"sqlite:///{app_env}")
    with engine.connect() as conn:  # the backup is in the audit trail, by the admin
        assert conn.execute(sa.text("SELECT username FROM audit_log WHERE action = 'backup'")).scalars().all() == ["admin"]
    engine.dispose()

    at.run()  # the download stays offered on later reruns
    assert len(at.get("download_button")) == 1


@pytest.mark.parametrize("username", ["secretariat", "chair", "executive", "viewer", "focal_bps"])
def test_nobody_else_can_open_the_page(app, username):
    at = login(app, username)
    with pytest.raises(ValueError, match="Could not find a navigation page"):
        at.switch_page(BACKUP)
    assert titles(at)[0] == "หน้าหลัก"


def test_the_service_behind_the_page_refuses_a_restore_on_this_server(app_env, tmp_path):
    """What the restore button does on a running server: the built archive is checked, then
    refused because the database holds data (the uploader itself cannot be driven by AppTest)."""
    from services import backup
    from services.permissions import Actor

    engine = make_engine(f"sqlite:///{app_env}")
    buffer = io.BytesIO()
    backup.create_backup(engine, Actor.system("test"), evidence_dir=tmp_path / "ev", out=buffer)
    assert zipfile.ZipFile(buffer).testzip() is None
    summary = backup.inspect_backup(buffer)
    assert summary.demo and summary.total_rows > 7000
    with pytest.raises(backup.BackupError, match="target_not_empty"):
        backup.restore_backup(engine, Actor.system("test"), archive=buffer, evidence_dir=tmp_path / "ev")
    engine.dispose()
