"""Benchmark data: a whole plan at a given scale, written as real rows through the app's models.

Scales (issue 6): demo 7 agencies × 13 sub-issues, ministry 250 × 13, large 1,000 × 40, each over
3 fiscal years × 4 cumulative rounds. Realistic sparsity: an agency is assigned about a third of
the sub-issues (the demo plan has 27 of 91), some reports are missing, the open round is a mix of
drafts, submissions, returns and approvals, some items are delayed, and the narratives are Thai
text of very different lengths.

Writes go through ``core.db.write_session`` with a system actor. The plan row, its rounds and the
expected-progress thresholds go through the ORM and are audited field by field like any write;
the bulk tables (agencies, issues, assignments, users, reports) are written with
``session.execute(insert(Model), rows)``, which skips the ORM flush and so the per-field audit
listener: for each of those the generator writes ONE summary audit row ("bench-generate", the
table, the row count) instead of one row per field (which would be millions at large scale).

Deterministic: the same scale and seed give the same data.
"""

from __future__ import annotations

import random
from dataclasses import dataclass
from datetime import UTC, datetime, time, timedelta
from decimal import ROUND_HALF_UP, Decimal

import sqlalchemy as sa
from sqlalchemy import insert
from sqlalchemy.engine import Engine
from sqlmodel import Session

from core.db import write_session
from models import (
    Agency,
    Assignment,
    AuditLog,
    ExpectedProgress,
    MainIssue,
    Plan,
    ProgressReport,
    ProgressStatus,
    Role,
    RoundState,
    SubIssue,
    SubmissionState,
    User,
)
from services import rounds as rounds_service
from services.passwords import hash_password
from services.permissions import Actor
from services.status import suggest_status

PASSWORD = "demo2563"  # the demo password, for every generated account
ACTOR = Actor.system("bench-generate")
EXPECTED = {3: Decimal(25), 6: Decimal(50), 9: Decimal(75), 12: Decimal(100)}
STAFF: list[tuple[str, Role, str]] = [
    ("admin", Role.admin, "ผู้ดูแลระบบ"),
    ("secretariat", Role.secretariat, "ฝ่ายเลขานุการ (กลุ่มพัฒนาระบบบริหาร)"),
    ("chair", Role.chair, "ประธานคณะทำงาน"),
    ("executive", Role.executive, "ผู้บริหาร"),
    ("viewer", Role.viewer, "ผู้ติดตามผล"),
]


@dataclass(frozen=True)
class Scale:
    name: str
    agencies: int
    sub_issues_per_main: tuple[int, ...]
    first_fiscal_year: int = 2562
    years: int = 3
    density: float = 0.30  # share of agency × sub-issue pairs that are assigned

    @property
    def sub_issues(self) -> int:
        return sum(self.sub_issues_per_main)

    @property
    def rounds(self) -> int:
        return self.years * 4

    @property
    def grid_cells(self) -> int:
        """Heatmap cells of one round (every agency × every sub-issue)."""
        return self.agencies * self.sub_issues

    def describe(self) -> str:
        return f"{self.agencies} agencies × {self.sub_issues} sub-issues × {self.years} years × 4 rounds"


SCALES: dict[str, Scale] = {
    "demo": Scale("demo", 7, (5, 5, 3)),
    "ministry": Scale("ministry", 250, (5, 5, 3)),
    "large": Scale("large", 1000, (10, 10, 8, 7, 5)),
}


# ----------------------------------------------------------------------------- Thai text
PROVINCES = (
    "กรุงเทพมหานคร กระบี่ กาญจนบุรี กาฬสินธุ์ กำแพงเพชร ขอนแก่น จันทบุรี ฉะเชิงเทรา ชลบุรี ชัยนาท ชัยภูมิ ชุมพร "
    "เชียงราย เชียงใหม่ ตรัง ตราด ตาก นครนายก นครปฐม นครพนม นครราชสีมา นครศรีธรรมราช นครสวรรค์ นนทบุรี นราธิวาส "
    "น่าน บึงกาฬ บุรีรัมย์ ปทุมธานี ประจวบคีรีขันธ์ ปราจีนบุรี ปัตตานี พระนครศรีอยุธยา พะเยา พังงา พัทลุง พิจิตร "
    "พิษณุโลก เพชรบุรี เพชรบูรณ์ แพร่ ภูเก็ต มหาสารคาม มุกดาหาร แม่ฮ่องสอน ยโสธร ยะลา ร้อยเอ็ด ระนอง ระยอง ราชบุรี "
    "ลพบุรี ลำปาง ลำพูน เลย ศรีสะเกษ สกลนคร สงขลา สตูล สมุทรปราการ สมุทรสงคราม สมุทรสาคร สระแก้ว สระบุรี สิงห์บุรี "
    "สุโขทัย สุพรรณบุรี สุราษฎร์ธานี สุรินทร์ หนองคาย หนองบัวลำภู อ่างทอง อำนาจเจริญ อุดรธานี อุตรดิตถ์ อุทัยธานี อุบลราชธานี"
).split()
AGENCY_KINDS = (
    ("สำนักงานเขตพื้นที่การศึกษาประถมศึกษา", "สพป."),
    ("สำนักงานเขตพื้นที่การศึกษามัธยมศึกษา", "สพม."),
    ("สำนักงานศึกษาธิการจังหวัด", "ศธจ."),
    ("สำนักงานส่งเสริมการเรียนรู้ประจำจังหวัด", "สกร.จ."),
)
TOPICS = (
    "การลดขั้นตอนการอนุมัติ อนุญาต",
    "ระบบสารบรรณอิเล็กทรอนิกส์",
    "การทบทวนกฎ ระเบียบที่เป็นอุปสรรค",
    "ระบบตรวจราชการอิเล็กทรอนิกส์",
    "การบริหารงานบุคคลแบบดิจิทัล",
    "ฐานข้อมูลนักเรียนรายบุคคล",
    "การบูรณาการข้อมูลระหว่างหน่วยงาน",
    "การพัฒนาสมรรถนะบุคลากร",
    "การจัดการเรียนรู้ออนไลน์",
    "การบริหารงบประมาณแบบมุ่งผลสัมฤทธิ์",
    "การประเมินผลการปฏิบัติราชการ",
    "ศูนย์บริการแบบเบ็ดเสร็จ",
    "การเปิดเผยข้อมูลภาครัฐ",
    "การจัดซื้อจัดจ้างอิเล็กทรอนิกส์",
    "ระบบติดตามและประเมินผลโครงการ",
)
ACHIEVEMENTS = (
    "จัดประชุมชี้แจงแนวทางการดำเนินงานแก่ผู้เกี่ยวข้องครบทุกกลุ่มงาน",
    "พัฒนาระบบต้นแบบและทดลองใช้งานในหน่วยงานนำร่อง",
    "ปรับปรุงคู่มือการปฏิบัติงานให้สอดคล้องกับขั้นตอนที่ลดลง",
    "อบรมบุคลากรให้ใช้งานระบบได้ตามแผนที่กำหนด",
    "รวบรวมข้อมูลพื้นฐานและตรวจสอบความถูกต้องของข้อมูลเรียบร้อยแล้ว",
    "ลงนามบันทึกความร่วมมือกับหน่วยงานภาคีเครือข่าย",
    "ติดตามผลการดำเนินงานรายเดือนและรายงานผู้บริหารอย่างต่อเนื่อง",
    "เผยแพร่ประชาสัมพันธ์ผ่านเว็บไซต์และสื่อสังคมออนไลน์ของหน่วยงาน",
    "ระยะเวลาการให้บริการลดลงจากเดิมโดยเฉลี่ยร้อยละ 30",
    "ผู้รับบริการมีความพึงพอใจต่อการให้บริการในระดับมาก",
    "จัดทำแผนปฏิบัติการระยะสั้นและกำหนดผู้รับผิดชอบตัวชี้วัดครบถ้วน",
    "ดำเนินการโอนย้ายข้อมูลจากระบบเดิมเข้าสู่ระบบใหม่แล้วเสร็จบางส่วน",
)
OBSTACLES = (
    "การจัดซื้อจัดจ้างล่าช้ากว่าแผน",
    "บุคลากรมีภารกิจประจำมากและมีการโยกย้ายระหว่างปี",
    "งบประมาณได้รับการจัดสรรล่าช้า",
    "ระบบเครือข่ายในพื้นที่ห่างไกลไม่เสถียร",
    "ต้องรอการแก้ไขระเบียบจากหน่วยงานส่วนกลาง",
    "สถานการณ์การแพร่ระบาดของโรคติดเชื้อไวรัสโคโรนา 2019 ทำให้ต้องเลื่อนกิจกรรม",
)
NEXT_STEPS = (
    "ขยายผลการใช้งานไปยังหน่วยงานในสังกัดทั้งหมด",
    "ติดตามผลและประเมินความพึงพอใจของผู้ใช้งาน",
    "ปรับปรุงระบบตามข้อเสนอแนะของผู้ใช้งาน",
    "จัดทำรายงานสรุปผลเสนอผู้บริหาร",
)
RETURN_COMMENT = "ขอให้ระบุค่าเป้าหมายที่ทำได้จริงและแนบหลักฐานประกอบ"
UNITS = ("ร้อยละ", "ระบบ", "ฉบับ", "เรื่อง", "คน", "แห่ง", "บริการ")
UNITS_EN = dict(zip(UNITS, ("percent", "systems", "documents", "matters", "people", "sites", "services"), strict=True))


def _q(value: float) -> Decimal:
    return Decimal(str(value)).quantize(Decimal("0.01"), rounding=ROUND_HALF_UP)


def narrative(rng: random.Random, pool: tuple[str, ...], *, median_sentences: float) -> str:
    """Thai text of varying length: mostly a few sentences, now and then a long account."""
    n = max(1, round(rng.lognormvariate(0, 0.8) * median_sentences))
    return " ".join(rng.choice(pool) for _ in range(min(n, 40)))


# ----------------------------------------------------------------------------- generation
@dataclass
class Generated:
    scale: Scale
    plan_id: int
    agencies: int
    assignments: int
    reports: int
    users: int
    seconds: float


def _summary_audit(session: Session, table: str, count: int, now: datetime) -> None:
    session.add(
        AuditLog(
            at=now,
            user_id=None,
            username=ACTOR.username,
            action="create",
            entity=table,
            entity_id="*",
            field="*",
            old_value=None,
            new_value=f"{count} rows (bulk insert by the benchmark generator)",
        )
    )


def _chunks(rows: list[dict], size: int = 5000):
    for i in range(0, len(rows), size):
        yield rows[i : i + size]


def generate(engine: Engine, scale: Scale, *, seed: int = 2563) -> Generated:
    """Fill an empty, migrated database with a whole plan at `scale`."""
    import time as _time

    started = _time.perf_counter()
    rng = random.Random(seed)
    now = datetime.now(UTC)
    with write_session(engine, ACTOR) as session:
        plan = Plan(
            name_th=f"แผนปฏิรูปองค์การ (ข้อมูลทดสอบสมรรถนะ ขนาด {scale.name})",
            name_en=f"Reform plan (benchmark data, {scale.name} scale)",
            first_fiscal_year=scale.first_fiscal_year,
            last_fiscal_year=scale.first_fiscal_year + scale.years - 1,
            is_demo=False,
        )
        session.add(plan)
        session.flush()
        for months, pct in EXPECTED.items():
            session.add(ExpectedProgress(plan_id=plan.id, months=months, pct=pct))
        all_rounds = rounds_service.create_rounds(session=session, plan=plan, state=RoundState.closed)
        open_round = all_rounds[-1]
        open_round.state = RoundState.open
        session.add(open_round)
        session.flush()

        # agencies
        agency_rows = []
        for i in range(scale.agencies):
            kind, short = AGENCY_KINDS[i % len(AGENCY_KINDS)]
            province = PROVINCES[(i // len(AGENCY_KINDS)) % len(PROVINCES)]
            area = i // (len(AGENCY_KINDS) * len(PROVINCES)) + 1
            agency_rows.append(
                {
                    "code": f"AG{i + 1:04d}",
                    "name_th": f"{kind}{province} เขต {area}",
                    "short_name_th": f"{short}{province} {area}",
                    "name_en": f"Agency {i + 1}",
                    "short_name_en": f"AG{i + 1}",
                    "sort_order": i + 1,
                    "active": True,
                }
            )
        session.execute(insert(Agency), agency_rows)
        agency_ids = dict(session.execute(sa.select(Agency.code, Agency.id)).all())

        # issues
        main_rows = [
            {
                "plan_id": plan.id,
                "number": n,
                "name_th": f"ประเด็นหลักที่ {n} {TOPICS[n % len(TOPICS)]}",
                "name_en": f"Main issue {n}",
            }
            for n in range(1, len(scale.sub_issues_per_main) + 1)
        ]
        session.execute(insert(MainIssue), main_rows)
        main_ids = dict(session.execute(sa.select(MainIssue.number, MainIssue.id).where(MainIssue.plan_id == plan.id)).all())
        sub_rows = []
        for n, count in enumerate(scale.sub_issues_per_main, start=1):
            for k in range(1, count + 1):
                topic = TOPICS[(n * 7 + k) % len(TOPICS)]
                sub_rows.append(
                    {
                        "main_issue_id": main_ids[n],
                        "code": f"{n}.{k}",
                        "name_th": f"{topic} (ตัวอย่าง {n}.{k})",
                        "name_en": f"Sub-issue {n}.{k} (illustrative)",
                        "description": "",
                        "sort_order": k,
                    }
                )
        session.execute(insert(SubIssue), sub_rows)
        sub_ids = [
            sid
            for (sid,) in session.execute(
                sa.select(SubIssue.id)
                .join(MainIssue, MainIssue.id == SubIssue.main_issue_id)
                .where(MainIssue.plan_id == plan.id)
                .order_by(MainIssue.number, SubIssue.sort_order)
            ).all()
        ]

        # assignments: about `density` of the pairs; every agency gets two or more, every sub-issue one or more
        pairs: set[tuple[int, int]] = set()
        agency_id_list = [agency_ids[r["code"]] for r in agency_rows]
        for aid in agency_id_list:
            chosen = [sid for sid in sub_ids if rng.random() < scale.density]
            while len(chosen) < 2:
                chosen.append(rng.choice(sub_ids))
            pairs.update((aid, sid) for sid in chosen)
        for sid in sub_ids:
            if not any(p[1] == sid for p in pairs):
                pairs.add((rng.choice(agency_id_list), sid))
        assignment_rows = []
        for aid, sid in sorted(pairs):
            has_target = rng.random() < 0.85
            assignment_rows.append(
                {
                    "sub_issue_id": sid,
                    "agency_id": aid,
                    "output_text": narrative(rng, ACHIEVEMENTS, median_sentences=1),
                    "outcome_text": narrative(rng, NEXT_STEPS, median_sentences=1),
                    "target_value": Decimal(rng.choice((1, 3, 5, 10, 30, 77, 100))) if has_target else None,
                    "unit": (unit := rng.choice(UNITS)),
                    "unit_en": UNITS_EN[unit],
                    "weight": Decimal(rng.choice((1, 1, 1, 2, 2, 3))),
                }
            )
        for chunk in _chunks(assignment_rows):
            session.execute(insert(Assignment), chunk)
        assignments = session.execute(
            sa.select(Assignment.id, Assignment.agency_id, Assignment.target_value)
            .join(SubIssue, SubIssue.id == Assignment.sub_issue_id)
            .join(MainIssue, MainIssue.id == SubIssue.main_issue_id)
            .where(MainIssue.plan_id == plan.id)
            .order_by(Assignment.id)
        ).all()

        # people: the staff roles and one focal point per agency, all with the demo password
        pw_hash = hash_password(PASSWORD, rounds=4)
        user_rows = [
            {"username": u, "display_name": title, "email": "", "role": role, "agency_id": None, "active": True}
            for u, role, title in STAFF
        ]
        user_rows += [
            {
                "username": f"focal_{r['code'].lower()}",
                "display_name": f"ผู้ประสานงาน {r['short_name_th']}",
                "email": "",
                "role": Role.focal_point,
                "agency_id": agency_ids[r["code"]],
                "active": True,
            }
            for r in agency_rows
        ]
        for row in user_rows:
            row.update(password_hash=pw_hash, failed_login_count=0, created_at=now)
        session.execute(insert(User), user_rows)
        user_ids = dict(session.execute(sa.select(User.username, User.id)).all())
        focal_of = {agency_ids[r["code"]]: user_ids[f"focal_{r['code'].lower()}"] for r in agency_rows}
        secretariat_id = user_ids["secretariat"]

        # reports
        report_rows = _report_rows(rng, scale, all_rounds, open_round.id, assignments, focal_of, secretariat_id)
        for chunk in _chunks(report_rows):
            session.execute(insert(ProgressReport), chunk)

        for table, count in (
            ("agency", len(agency_rows)),
            ("main_issue", len(main_rows)),
            ("sub_issue", len(sub_rows)),
            ("assignment", len(assignment_rows)),
            ("app_user", len(user_rows)),
            ("progress_report", len(report_rows)),
        ):
            _summary_audit(session, table, count, now)
        plan_id = plan.id
    if engine.dialect.name == "postgresql":
        with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
            conn.exec_driver_sql("VACUUM ANALYZE")
    else:
        raw = engine.raw_connection()  # outside any transaction (the engine's connections BEGIN on first use)
        try:
            raw.driver_connection.execute("ANALYZE")
            raw.driver_connection.execute("PRAGMA wal_checkpoint(TRUNCATE)")
        finally:
            raw.close()
    return Generated(
        scale=scale,
        plan_id=plan_id,
        agencies=len(agency_rows),
        assignments=len(assignment_rows),
        reports=len(report_rows),
        users=len(user_rows),
        seconds=_time.perf_counter() - started,
    )


def _report_rows(rng, scale, all_rounds, open_round_id, assignments, focal_of, secretariat_id) -> list[dict]:
    rows: list[dict] = []
    for assignment_id, agency_id, target in assignments:
        paces = {
            fy: rng.uniform(0.55, 1.15) if rng.random() < 0.25 else rng.uniform(1.0, 1.15)
            for fy in range(scale.first_fiscal_year, scale.first_fiscal_year + scale.years)
        }
        for rnd in all_rounds:
            is_open = rnd.id == open_round_id
            draw = rng.random()
            if is_open:
                if draw < 0.15:
                    continue  # not reported yet
                state = (
                    SubmissionState.draft
                    if draw < 0.35
                    else SubmissionState.submitted
                    if draw < 0.65
                    else SubmissionState.returned
                    if draw < 0.70
                    else SubmissionState.approved
                )
            else:
                if draw < 0.04:
                    continue  # never reported
                state = SubmissionState.submitted if draw < 0.05 else SubmissionState.approved
            expected = EXPECTED[rnd.months]
            progress = max(Decimal(0), _q(min(100.0, float(expected) * paces[rnd.fiscal_year] + rng.uniform(-4, 4))))
            status = suggest_status(progress, expected)
            if rng.random() < 0.005:
                status = ProgressStatus.cancelled
            actual = _q(float(target) * float(progress) / 100) if target is not None else None
            obstacles = ""
            if status in (ProgressStatus.delayed, ProgressStatus.cancelled) or rng.random() < 0.15:
                obstacles = narrative(rng, OBSTACLES, median_sentences=2)
            submitted = datetime.combine(rnd.period_end, time(10, 0), tzinfo=UTC) + timedelta(days=rng.randint(1, 14))
            rows.append(
                {
                    "assignment_id": assignment_id,
                    "round_id": rnd.id,
                    "progress_pct": progress,
                    "actual_value": actual,
                    "status": status,
                    "status_reason": "ยกเลิกตามมติคณะทำงาน" if status == ProgressStatus.cancelled else "",
                    "achievements": narrative(rng, ACHIEVEMENTS, median_sentences=3),
                    "obstacles": obstacles,
                    "next_steps": narrative(rng, NEXT_STEPS, median_sentences=1) if progress < 100 else "",
                    "evidence": f"https://example.go.th/evidence/{assignment_id}/{rnd.id}" if rng.random() < 0.4 else "",
                    "notable": rng.random() < 0.02,
                    "review_comment": RETURN_COMMENT if state == SubmissionState.returned else "",
                    "submission_state": state,
                    "version": 1 + (state != SubmissionState.draft) + (state == SubmissionState.approved),
                    "updated_by_id": secretariat_id if state == SubmissionState.approved else focal_of[agency_id],
                    "updated_at": submitted,
                    "submitted_at": None if state == SubmissionState.draft else submitted,
                }
            )
    return rows


def counts(engine: Engine) -> dict[str, int]:
    """Rows per table, to check what was generated."""
    with engine.connect() as conn:
        return {
            table: conn.execute(sa.text(f"SELECT COUNT(*) FROM {table}")).scalar_one()
            for table in ("agency", "sub_issue", "assignment", "reporting_round", "progress_report", "app_user", "audit_log")
        }
