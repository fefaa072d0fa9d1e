"""SQLModel tables. Importing this package registers every table on SQLModel.metadata."""

from models.audit import AuditLog, DataVersion
from models.enums import ProgressStatus, Role, RoundState, SubmissionState
from models.evaluation import EvaluationLevelBand, EvaluationScore
from models.meetings import Meeting
from models.plan import Agency, Assignment, ExpectedProgress, MainIssue, Plan, SubIssue
from models.reports import Evidence, ProgressReport, ReviewEvent
from models.rounds import Round
from models.sessions import LoginSession
from models.users import User

__all__ = [
    "Agency",
    "Assignment",
    "AuditLog",
    "DataVersion",
    "Evidence",
    "ExpectedProgress",
    "EvaluationLevelBand",
    "EvaluationScore",
    "LoginSession",
    "MainIssue",
    "Meeting",
    "Plan",
    "ProgressReport",
    "ProgressStatus",
    "ReviewEvent",
    "Role",
    "Round",
    "RoundState",
    "SubIssue",
    "SubmissionState",
    "User",
]
