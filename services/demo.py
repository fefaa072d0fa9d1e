"""The demo database: the demo plan, FY2562–2564 rounds with rising progress, people and a meeting.

Deterministic (fixed random seed) so tests and screenshots see the same numbers every time.
"""

from __future__ import annotations

import random
from datetime import UTC, date, datetime, time, timedelta
from decimal import ROUND_HALF_UP, Decimal

from sqlmodel import Session, select

from core.settings import DATA_DIR
from models import (
    Agency,
    Assignment,
    Evidence,
    ProgressReport,
    ProgressStatus,
    ReviewEvent,
    Role,
    Round,
    RoundState,
    SubIssue,
    SubmissionState,
    User,
)
from services import evaluation, meetings, rounds, users
from services.permissions import Actor
from services.plan_loader import apply_plan, load_plan_file
from services.status import suggest_status

DEMO_PLAN_FILE = DATA_DIR / "plan_demo.yaml"
DEMO_PASSWORD = "demo2563"
DEMO_SEED = 2563

# Demo people carry role titles, never personal names.
DEMO_ACCOUNTS: list[tuple[str, Role, str]] = [
    ("admin", Role.admin, "ผู้ดูแลระบบ"),
    ("secretariat", Role.secretariat, "ฝ่ายเลขานุการ (กลุ่มพัฒนาระบบบริหาร)"),
    ("chair", Role.chair, "ประธานคณะทำงาน (ผู้ช่วยปลัดกระทรวงศึกษาธิการ)"),
    ("executive", Role.executive, "ผู้บริหารสำนักงานปลัดกระทรวงศึกษาธิการ"),
    ("viewer", Role.viewer, "ผู้ติดตามผล"),
]
FOCAL_CODES = ("OTEPC", "ONIE", "OPEC", "BPS", "BIE", "BLA", "ICT")

# (agency, sub-issue, fiscal year) whose pace is slow enough to be delayed.
SLOW = {("BLA", "1.3", 2564): 0.55, ("ONIE", "2.5", 2563): 0.6, ("BPS", "2.4", 2564): 0.7}
# Cells never reported: (agency, sub-issue, fiscal year, months).
UNREPORTED = {("BLA", "1.3", 2562, 3), ("ICT", "2.5", 2564, 12), ("BLA", "1.1", 2564, 12)}
# The open round's workflow mix: everything else is approved.
OPEN_ROUND_STATES = {
    ("OPEC", "3.1"): SubmissionState.draft,
    ("BLA", "1.3"): SubmissionState.draft,
    ("ONIE", "3.3"): SubmissionState.draft,
    ("BPS", "2.4"): SubmissionState.returned,
    ("OTEPC", "1.5"): SubmissionState.submitted,
    ("BIE", "3.2"): SubmissionState.submitted,
}
NOTABLE = {
    ("BIE", "1.4", 2563, 9): (
        "ระบบ e-Inspection ของสำนักตรวจราชการและติดตามประเมินผลติดตามสถานการณ์การแพร่ระบาด"
        "ของโรคติดเชื้อไวรัสโคโรนา 2019 (Covid-19) ได้ทุกจังหวัด ทำให้สถานศึกษามีความพร้อมและ"
        "บริหารจัดการการเปิดภาคเรียนได้ตามแผนที่กำหนด"
    ),
    ("OPEC", "3.3", 2563, 9): (
        "โรงเรียนในสังกัดสำนักงานคณะกรรมการส่งเสริมการศึกษาเอกชนจัดการเรียนการสอนทางออนไลน์"
        " ตอบโจทย์สถานการณ์การแพร่ระบาดของโรคติดเชื้อไวรัสโคโรนา 2019 ได้เป็นอย่างดี"
    ),
}
RETURN_COMMENT = "ขอให้ระบุค่าเป้าหมายที่ทำได้จริงและแนบหลักฐานประกอบ"
EVIDENCE_URL = "https://www.moe.go.th/"  # the ministry's public site stands in for a notable item's evidence


def _q(value: float) -> Decimal:
    return Decimal(str(value)).quantize(Decimal("0.01"), rounding=ROUND_HALF_UP)


def seed_demo(*, session: Session, bcrypt_rounds: int = 12) -> None:
    """Fill an empty database with the demo plan, people, progress, score and meeting."""
    rng = random.Random(DEMO_SEED)
    spec = load_plan_file(DEMO_PLAN_FILE)
    plan = apply_plan(session=session, spec=spec)
    expected = {m: p for m, p in spec.expected_progress.items()}

    for username, role, title in DEMO_ACCOUNTS:
        users.create_user(
            session=session,
            actor=None,
            username=username,
            display_name=title,
            role=role,
            password=DEMO_PASSWORD,
            bcrypt_rounds=bcrypt_rounds,
        )
    agencies = {a.code: a for a in session.exec(select(Agency))}
    focal_ids: dict[int, int] = {}
    for code in FOCAL_CODES:
        user = users.create_user(
            session=session,
            actor=None,
            username=f"focal_{code.lower()}",
            display_name=f"ผู้ประสานงาน {agencies[code].short_name_th}",
            role=Role.focal_point,
            password=DEMO_PASSWORD,
            agency_code=code,
            bcrypt_rounds=bcrypt_rounds,
        )
        focal_ids[agencies[code].id] = user.id
    secretariat_id = users.get_by_username(session=session, username="secretariat").id

    all_rounds = rounds.create_rounds(session=session, plan=plan, state=RoundState.closed)
    open_round = all_rounds[-1]
    open_round.state = RoundState.open
    session.add(open_round)

    assignments = session.exec(
        select(Assignment, SubIssue.code, Agency.code)
        .join(SubIssue, SubIssue.id == Assignment.sub_issue_id)
        .join(Agency, Agency.id == Assignment.agency_id)
    ).all()
    for assignment, sub_code, agency_code in assignments:
        paces = {
            fy: SLOW.get((agency_code, sub_code, fy), rng.uniform(1.02, 1.15))
            for fy in range(plan.first_fiscal_year, plan.last_fiscal_year + 1)
        }
        for rnd in all_rounds:
            key = (agency_code, sub_code, rnd.fiscal_year, rnd.months)
            if key in UNREPORTED:
                continue
            _add_report(
                session,
                rng,
                rnd,
                assignment,
                agency_code,
                sub_code,
                paces[rnd.fiscal_year],
                expected,
                focal_ids[assignment.agency_id],
                secretariat_id,
                open_round,
            )

    evaluation.record_score(
        session=session,
        plan_id=plan.id,
        fiscal_year=2562,
        component="องค์ประกอบที่ 5 Potential Base: การดำเนินการตามแผนปฏิรูปองค์การของส่วนราชการ",
        score=Decimal("85.00"),
    )
    nine_months_2563 = next(r for r in all_rounds if r.fiscal_year == 2563 and r.months == 9)
    seed_meeting_3_2563(session=session, round_id=nine_months_2563.id, agencies=agencies, focal_ids=focal_ids)


def _add_report(
    session: Session,
    rng: random.Random,
    rnd: Round,
    assignment: Assignment,
    agency_code: str,
    sub_code: str,
    pace: float,
    expected: dict[int, Decimal],
    focal_id: int,
    secretariat_id: int,
    open_round: Round,
) -> None:
    exp = expected[rnd.months]
    progress = _q(min(100.0, float(exp) * pace + rng.uniform(-3, 3)))
    progress = max(progress, Decimal(0))
    status = suggest_status(progress, exp)
    target = assignment.target_value
    actual = _q(float(target) * float(progress) / 100) if target is not None else None
    key = (agency_code, sub_code, rnd.fiscal_year, rnd.months)
    notable_text = NOTABLE.get(key)
    achievements = notable_text or (f"ดำเนินการได้ร้อยละ {progress:.0f} ของเป้าหมายปีงบประมาณ พ.ศ. {rnd.fiscal_year}")
    obstacles = ""
    if status == ProgressStatus.delayed:
        obstacles = "การจัดซื้อจัดจ้างล่าช้า และบุคลากรต้องปฏิบัติงานจากที่บ้านในช่วงการแพร่ระบาดของ Covid-19"
    state = SubmissionState.approved
    if rnd.id == open_round.id:
        state = OPEN_ROUND_STATES.get((agency_code, sub_code), SubmissionState.approved)
    submitted = datetime.combine(rnd.period_end, time(10, 0), tzinfo=UTC) + timedelta(days=rng.randint(1, 14))
    report = ProgressReport(
        assignment_id=assignment.id,
        round_id=rnd.id,
        progress_pct=progress,
        actual_value=actual,
        status=status,
        achievements=achievements,
        obstacles=obstacles,
        next_steps="ติดตามผลและขยายผลในรอบถัดไป" if progress < 100 else "",
        evidence="",
        notable=notable_text is not None,
        submission_state=state,
        updated_by_id=secretariat_id if state == SubmissionState.approved else focal_id,
        updated_at=submitted,
        submitted_at=None if state == SubmissionState.draft else submitted,
        review_comment=RETURN_COMMENT if state == SubmissionState.returned else "",
    )
    session.add(report)
    if notable_text is not None:
        session.flush()
        session.add(Evidence(report_id=report.id, kind="link", url=EVIDENCE_URL, uploaded_by_id=focal_id, uploaded_at=submitted))
    if rnd.id == open_round.id and state != SubmissionState.draft:
        # the open round's review conversation, as the review page would have recorded it
        session.flush()
        focal, secretariat = session.get(User, focal_id), session.get(User, secretariat_id)
        session.add(ReviewEvent(report_id=report.id, at=submitted, user_id=focal_id, username=focal.username, action="submit"))
        if state in (SubmissionState.approved, SubmissionState.returned):
            action = "approve" if state == SubmissionState.approved else "return"
            session.add(
                ReviewEvent(
                    report_id=report.id,
                    at=submitted + timedelta(days=2),
                    user_id=secretariat_id,
                    username=secretariat.username,
                    action=action,
                    comment=RETURN_COMMENT if action == "return" else "",
                )
            )


# ----------------------------------------------------------------------------- meeting 3/2563
# The chair is named as the seed's minutes name her (a public record); the other demo members
# carry their agency's representative title, never a personal name.
DEMO_CHAIR = ("ดร.เกศทิพย์ ศุภวานิช", "ผู้ช่วยปลัดกระทรวงศึกษาธิการ")
DEMO_GROUP_NAME = (
    "คณะทำงานติดตามผลการดำเนินงานตามข้อเสนอการเปลี่ยนแปลงในระยะ 3 ปี (พ.ศ. 2562 - 2564) ตามแผนปฏิรูปองค์การ สำนักงานปลัดกระทรวงศึกษาธิการ"
)
DEMO_VENUE = "ห้องประชุมจันทรเกษม ชั้น 1 อาคารราชวัลลภ กระทรวงศึกษาธิการ"
DEMO_SECRETARY = ("ผู้อำนวยการกลุ่มพัฒนาระบบบริหาร", "กลุ่มพัฒนาระบบบริหาร สำนักงานปลัดกระทรวงศึกษาธิการ")
DEMO_NOTE_TAKER = ("เจ้าหน้าที่กลุ่มพัฒนาระบบบริหาร", "นักวิเคราะห์นโยบายและแผน")
DEMO_STAND_IN = ("BLA", "นิติกรชำนาญการพิเศษ สำนักนิติการ")  # the agency that sent a stand-in to 3/2563
CHAIR_ANNOUNCEMENT = (
    "ประธานแจ้งให้ที่ประชุมทราบว่า ผลรายงานการประเมินส่วนราชการตามมาตรการปรับปรุงประสิทธิภาพในการปฏิบัติราชการ "
    "ของสำนักงานปลัดกระทรวงศึกษาธิการ ประจำปีงบประมาณ พ.ศ. 2562 (ตั้งแต่วันที่ 1 ตุลาคม 2561 - 30 กันยายน 2562) "
    "ในองค์ประกอบที่ 5 Potential Base การดำเนินการตามแผนปฏิรูปองค์การของส่วนราชการ ได้ผลคะแนนประเมิน 85.00 "
    "ในระดับมาตรฐานขั้นสูง ถือเป็นผลงานการขับเคลื่อนของหน่วยงานในสังกัดสำนักงานปลัดกระทรวงศึกษาธิการทั้ง 7 หน่วยงาน "
    "ประธานขอชื่นชม และขอให้ผลักดันการดำเนินงานตามแผนการปฏิรูปองค์การในระยะ 3 ปี ต่อไปให้สำเร็จตามเป้าหมายที่กำหนดไว้"
)
RESULTS_RESOLUTION = (
    "ที่ประชุมรับทราบผลการดำเนินงานตามแผนฯ รอบ 9 เดือน และมอบหมายกลุ่มพัฒนาระบบบริหารนำเสนอต่อ"
    "คณะกรรมการนโยบายการกำกับองค์การที่ดี สำนักงานปลัดกระทรวงศึกษาธิการทราบต่อไป"
)
DIRECTIVE = (
    "ให้หน่วยงานทั้ง 7 หน่วยงานผลักดันการดำเนินงานตามแผนการปฏิรูปองค์การในระยะ 3 ปี ให้สำเร็จตามเป้าหมายที่กำหนดไว้ "
    "และรายงานความก้าวหน้าต่อที่ประชุมครั้งต่อไป"
)
DIRECTIVE_ANSWERS = {
    "BIE": "ขยายการใช้ระบบ e-Inspection ให้ผู้ตรวจราชการทุกเขตตรวจราชการติดตามการเปิดภาคเรียนได้ทันที",
    "OPEC": "จัดอบรมครูโรงเรียนเอกชนเรื่องการจัดการเรียนการสอนออนไลน์เพิ่มเติม 3 รุ่น",
}


def seed_meeting_3_2563(*, session: Session, round_id: int, agencies: dict[str, Agency], focal_ids: dict[int, int]) -> None:
    """Meeting 3/2563 as the seed's minutes describe it, built through the meetings service (the
    secretariat's rules apply to the demo too): the working group, attendance, the agenda drafted
    from the 9-month round, the chair's announcement and directive, and two agencies' answers."""
    sec = users.get_by_username(session=session, username="secretariat")
    actor = Actor(user_id=sec.id, username=sec.username, role=Role.secretariat)
    members = [
        meetings.save_member(
            session=session, actor=actor, member_id=None, name=DEMO_CHAIR[0], position=DEMO_CHAIR[1], group_role="ประธานคณะทำงาน"
        )
    ]
    for code in FOCAL_CODES:
        agency = agencies[code]
        members.append(
            meetings.save_member(
                session=session,
                actor=actor,
                member_id=None,
                name=f"ผู้แทน{'' if agency.short_name_th.startswith('สำนัก') else ' '}{agency.short_name_th}",
                position=agency.name_th,
                group_role="คณะทำงาน",
                agency_id=agency.id,
            )
        )
    members.append(
        meetings.save_member(
            session=session,
            actor=actor,
            member_id=None,
            name=DEMO_SECRETARY[0],
            position=DEMO_SECRETARY[1],
            group_role="คณะทำงานและเลขานุการ",
        )
    )
    meeting = meetings.create_meeting(
        session=session,
        actor=actor,
        held_on=date(2020, 6, 26),
        starts_at=time(9, 30),
        venue=DEMO_VENUE,
        chair_name=DEMO_CHAIR[0],
        chair_title=DEMO_CHAIR[1],
        round_id=round_id,
        number=3,
        group_name=DEMO_GROUP_NAME,
    )
    meetings.update_meeting(
        session=session,
        actor=actor,
        meeting_id=meeting.id,
        expected_version=meeting.version,
        ends_at=time(11, 30),
        note_taker_name=DEMO_NOTE_TAKER[0],
        note_taker_position=DEMO_NOTE_TAKER[1],
        checker_name=DEMO_SECRETARY[0],
        checker_position=DEMO_SECRETARY[1],
    )
    stand_in_agency = agencies[DEMO_STAND_IN[0]].id
    rows = [
        meetings.AttendanceInput(
            kind="substitute" if m.agency_id == stand_in_agency else "present",
            member_id=m.id,
            name=m.name,
            position=m.position,
            group_role=m.group_role,
            stand_in_name="ผู้แทนที่ได้รับมอบหมาย" if m.agency_id == stand_in_agency else "",
            stand_in_position=DEMO_STAND_IN[1] if m.agency_id == stand_in_agency else "",
        )
        for m in members
    ]
    rows.append(meetings.AttendanceInput(kind="participant", name=DEMO_NOTE_TAKER[0], position=DEMO_NOTE_TAKER[1]))
    meetings.set_attendance(session=session, actor=actor, meeting_id=meeting.id, rows=rows, expected_version=None)
    items = meetings.draft_agenda(session=session, actor=actor, meeting_id=meeting.id)
    announcement = meetings.add_item(
        session=session,
        actor=actor,
        meeting_id=meeting.id,
        section=1,
        title="ผลการประเมินส่วนราชการ ประจำปีงบประมาณ พ.ศ. 2562",
        body=CHAIR_ANNOUNCEMENT,
    )
    meetings.update_item(
        session=session,
        actor=actor,
        item_id=announcement.id,
        expected_version=announcement.version,
        title=announcement.title,
        body=announcement.body,
        resolution_kind="acknowledge",
        resolution="",
    )
    results = next(i for i in items if i.auto_key == "round_results")
    meetings.update_item(
        session=session,
        actor=actor,
        item_id=results.id,
        expected_version=results.version,
        title=results.title,
        body=results.body,
        resolution_kind="acknowledge",
        resolution=RESULTS_RESOLUTION,
    )
    directive = meetings.add_directive(
        session=session,
        actor=actor,
        item_id=results.id,
        text=DIRECTIVE,
        agency_ids=[agencies[c].id for c in FOCAL_CODES],
        due_on=date(2020, 9, 30),
    )
    for code, text in DIRECTIVE_ANSWERS.items():
        focal = Actor(
            user_id=focal_ids[agencies[code].id],
            username=f"focal_{code.lower()}",
            role=Role.focal_point,
            agency_id=agencies[code].id,
        )
        meetings.answer_directive(session=session, actor=focal, directive_id=directive.id, text=text)
    meetings.circulate(session=session, actor=actor, meeting_id=meeting.id, expected_version=meeting.version, on=date(2020, 7, 3))
