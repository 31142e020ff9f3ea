"""Reports: the support KPIs computed from the store (kpis) and rendered for people (render)."""

from supportml.business_time import BusinessHours
from supportml.report.errors import ReportError
from supportml.report.kpis import (
    Breakdown,
    Filters,
    Metric,
    Report,
    build_report,
    request_rows,
    resolve_filters,
)

__all__ = [
    "Breakdown",
    "BusinessHours",
    "Filters",
    "Metric",
    "Report",
    "ReportError",
    "build_report",
    "request_rows",
    "resolve_filters",
]
