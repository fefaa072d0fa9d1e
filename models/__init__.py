"""SQLModel tables. Importing this package registers every table on SQLModel.metadata."""

from models.audit import AuditLog, DataChange, DataVersion
from models.enums import ProgressStatus, Role, RoundState, SubmissionState
from models.evaluation import EvaluationLevelBand, EvaluationScore
from models.meetings import (
    AgendaItem,
    Attendance,
    AttendanceKind,
    Directive,
    DirectiveAgency,
    DirectiveAnswer,
    DirectiveState,
    Meeting,
    MinutesCorrection,
    MinutesState,
    ResolutionKind,
    WorkingGroupMember,
)
from models.plan import (
    Agency,
    AlignmentKind,
    AlignmentTag,
    Assignment,
    ExpectedProgress,
    MainIssue,
    Plan,
    SubIssue,
    SubIssueAlignment,
)
from models.reports import Evidence, ProgressReport, ReviewEvent
from models.rounds import DigestLog, DigestRecipient, Reminder, Round, RoundEvent
from models.sessions import LoginSession
from models.users import User

__all__ = [
    "DigestRecipient",
    "DigestLog",
    "SubIssueAlignment",
    "AlignmentTag",
    "AlignmentKind",
    "Agency",
    "AgendaItem",
    "Assignment",
    "Attendance",
    "AttendanceKind",
    "AuditLog",
    "DataChange",
    "DataVersion",
    "Directive",
    "DirectiveAgency",
    "DirectiveAnswer",
    "DirectiveState",
    "EvaluationLevelBand",
    "EvaluationScore",
    "Evidence",
    "ExpectedProgress",
    "LoginSession",
    "MainIssue",
    "Meeting",
    "MinutesCorrection",
    "MinutesState",
    "Plan",
    "ProgressReport",
    "ProgressStatus",
    "ResolutionKind",
    "ReviewEvent",
    "Role",
    "Reminder",
    "Round",
    "RoundEvent",
    "RoundState",
    "SubIssue",
    "SubmissionState",
    "User",
    "WorkingGroupMember",
]
