"""Running the plan in Chromium: the admin downloads the plan as Excel, changes a sub-issue's
target and adds an agency, uploads it, reviews the two changes and saves them; the secretariat
reminds the agencies behind and the focal point sees the notice on the home page; the
secretariat closes the round through a confirmation that names what is outstanding; the admin
downloads a backup, which `cli.py restore` puts on a fresh server that then shows the edited plan."""

import os
import sqlite3
import subprocess
import sys
import zipfile

import pytest
from openpyxl import load_workbook
from playwright.sync_api import expect

from bench.servers import ROOT
from tests.browser import ARTIFACTS, StreamlitServer
from tests.e2e.helpers import download, go, login, settle

pytestmark = pytest.mark.browser


def _query(db_path, sql: str, *args):
    with sqlite3.connect(db_path) as conn:
        return conn.execute(sql, args).fetchall()


def _new_context(browser):
    context = browser.new_context(viewport={"width": 1366, "height": 900}, locale="th-TH")
    page = context.new_page()
    page.set_default_timeout(20_000)
    return context, page


def test_admin_edits_the_plan_secretariat_runs_the_round_admin_backs_up_and_restores(browser, server, tmp_path):
    # ---- the admin: plan edit through the Excel round trip
    ctx, admin = _new_context(browser)
    login(admin, server.url, "admin")
    go(admin, "แผนและตัวชี้วัด")
    expect(admin.get_by_role("heading", name="หน่วยงานรับผิดชอบและตัวชี้วัด")).to_be_visible()
    downloaded = tmp_path / "plan.xlsx"
    download(admin, "ดาวน์โหลดแผน (Excel)").save_as(downloaded)
    wb = load_workbook(downloaded)
    owners = wb["หน่วยงานรับผิดชอบและตัวชี้วัด"]
    head = [c.value for c in owners[1]]
    row = next(r for r in owners.iter_rows(min_row=2) if r[head.index("ประเด็นย่อย")].value == "2.1")
    agency = row[head.index("หน่วยงาน (รหัส)")].value
    row[head.index("ค่าเป้าหมาย")].value = 7
    wb["หน่วยงาน"].append(["NEWAG", "สำนักงานทดลองระบบใหม่", "สทร.", "New pilot office"])
    edited = tmp_path / "plan-edited.xlsx"
    wb.save(edited)
    admin.get_by_role("tab", name="อัปโหลดไฟล์แผน").click()
    admin.locator('[data-testid="stFileUploaderDropzoneInput"]').last.set_input_files(str(edited))
    settle(admin)
    admin.get_by_role("button", name="ตรวจไฟล์และดูการเปลี่ยนแปลง").click()
    expect(admin.get_by_role("heading", name="การเปลี่ยนแปลงที่จะบันทึก 2 รายการ")).to_be_visible()
    ARTIFACTS.mkdir(exist_ok=True)
    admin.get_by_role("heading", name="การเปลี่ยนแปลงที่จะบันทึก 2 รายการ").scroll_into_view_if_needed()
    admin.screenshot(path=str(ARTIFACTS / "plan-preview.png"))
    save = admin.get_by_role("button", name="บันทึกการเปลี่ยนแปลงแผน")
    expect(save).to_be_disabled()  # the confirmation starts unticked
    admin.get_by_text("ตรวจทานแล้ว บันทึกการเปลี่ยนแปลงทั้ง 2 รายการ").click()
    expect(save).to_be_enabled()
    save.click()
    expect(admin.get_by_text("บันทึกการแก้ไขแผนแล้ว 2 รายการ").first).to_be_visible()
    assert _query(server.db_path, "SELECT short_name_th, active FROM agency WHERE code = 'NEWAG'") == [("สทร.", 1)]
    target = _query(
        server.db_path,
        "SELECT a.target_value FROM assignment a JOIN agency g ON g.id = a.agency_id "
        "JOIN sub_issue s ON s.id = a.sub_issue_id WHERE g.code = ? AND s.code = '2.1'",
        agency,
    )
    assert [float(v) for (v,) in target] == [7.0]
    who = _query(
        server.db_path,
        "SELECT DISTINCT username FROM audit_log WHERE entity = 'agency' AND action = 'create' AND new_value = 'NEWAG'",
    )
    assert who == [("admin",)]

    # ---- the secretariat reminds the agencies behind; the focal point sees the notice
    sctx, sec = _new_context(browser)
    login(sec, server.url, "secretariat")
    go(sec, "รอบการรายงาน")
    settle(sec)
    sec.get_by_role("button", name="ส่งการแจ้งเตือน").click()
    expect(sec.get_by_text("แจ้งเตือนแล้ว").first).to_be_visible()
    fctx, focal = _new_context(browser)
    login(focal, server.url, "focal_ict")
    expect(focal.get_by_text("ฝ่ายเลขานุการแจ้งเตือนเรื่อง").first).to_be_visible()
    fctx.close()

    # ---- the secretariat closes the round: the box names what is left and starts unticked
    settle(sec)
    close = sec.get_by_role("button", name="ปิดรอบการรายงาน")
    expect(close).to_be_disabled()
    confirm = sec.get_by_text("ยืนยันการปิดรอบ ทั้งที่ยังไม่รายงาน")
    expect(confirm).to_contain_text("รายการ")
    confirm.click()
    expect(close).to_be_enabled()
    close.click()
    expect(sec.get_by_text("ปิดปีงบประมาณ พ.ศ. 2564 รอบ 12 เดือนแล้ว").first).to_be_visible()
    assert _query(server.db_path, "SELECT state FROM reporting_round WHERE fiscal_year = 2564 AND months = 12") == [("closed",)]
    sctx.close()

    # ---- the admin downloads a backup; it is restored on a fresh server
    go(admin, "สำรองและกู้คืนข้อมูล")
    admin.get_by_role("button", name="สร้างไฟล์สำรองข้อมูล").click()
    archive = tmp_path / "backup.zip"
    download(admin, "ดาวน์โหลด").save_as(archive)
    ctx.close()
    with zipfile.ZipFile(archive) as zf:
        assert "manifest.json" in zf.namelist()
    fresh_db, fresh_evidence = tmp_path / "fresh.db", tmp_path / "fresh-evidence"
    env = {k: v for k, v in os.environ.items() if k not in ("DATABASE_URL", "DEMO_MODE")}
    env.update({"SQLITE_PATH": str(fresh_db), "EVIDENCE_DIR": str(fresh_evidence)})
    done = subprocess.run(
        [sys.executable, "cli.py", "restore", str(archive)], cwd=ROOT, env=env, capture_output=True, text=True, timeout=300
    )
    assert done.returncode == 0, done.stdout + done.stderr
    fresh = StreamlitServer(fresh_db, tmp_path / "fresh-server.log", {"EVIDENCE_DIR": str(fresh_evidence)})
    try:
        rctx, restored = _new_context(browser)
        login(restored, fresh.url, "admin")
        go(restored, "แผนและตัวชี้วัด")
        expect(restored.get_by_text("สทร.").first).to_be_attached()  # a grid cell (canvas-drawn)
        rctx.close()
        assert _query(fresh_db, "SELECT state FROM reporting_round WHERE fiscal_year = 2564 AND months = 12") == [("closed",)]
        for table in ("agency", "assignment", "progress_report", "reminder", "round_event"):
            assert _query(fresh_db, f"SELECT count(*) FROM {table}") == _query(server.db_path, f"SELECT count(*) FROM {table}")
    finally:
        fresh.stop()
