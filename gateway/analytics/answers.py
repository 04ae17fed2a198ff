"""The `{"data": ...}` envelopes the analytics endpoints answer with (the contract's models)."""

from pydantic import BaseModel, ConfigDict

from gateway.analytics.compute import AnalyticsSummary, TeamSummary
from gateway.analytics.productivity import Productivity
from gateway.analytics.reports import Report
from gateway.analytics.timeline import Timeline


class SummaryAnswer(BaseModel):
    """GET /time-trackings/analytics."""

    model_config = ConfigDict(frozen=True)

    data: AnalyticsSummary


class TeamAnswer(BaseModel):
    """GET /time-trackings/team."""

    model_config = ConfigDict(frozen=True)

    data: TeamSummary


class ReportAnswer(BaseModel):
    """GET /time-trackings/reports as JSON (as CSV: the same rows, text/csv)."""

    model_config = ConfigDict(frozen=True)

    data: Report


class ProductivityAnswer(BaseModel):
    """GET /time-trackings/productivity."""

    model_config = ConfigDict(frozen=True)

    data: Productivity


class TimelineAnswer(BaseModel):
    """GET /time-trackings/timeline."""

    model_config = ConfigDict(frozen=True)

    data: Timeline
