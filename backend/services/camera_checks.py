"""Camera-check reports: store what a device's diagnostic page found, list them for QA."""

from __future__ import annotations

import json
from collections import Counter

from sqlmodel import col, select

from backend.context import Context
from backend.models import CameraCheckCreate, CameraCheckReport


def record_report(*, ctx: Context, data: CameraCheckCreate) -> CameraCheckReport:
    """Store one validated report and return it."""
    counts = Counter(check.status for check in data.checks)
    row = CameraCheckReport(
        received_at=ctx.now(),
        embedding=data.embedding,
        user_agent=data.user_agent,
        passed=counts["passed"],
        failed=counts["failed"],
        skipped=counts["skipped"],
        report_json=data.model_dump_json(by_alias=True),
    )
    ctx.db.add(row)
    ctx.db.commit()
    return row


def latest_reports(*, ctx: Context, limit: int) -> list[CameraCheckReport]:
    """The newest reports first."""
    query = select(CameraCheckReport).order_by(col(CameraCheckReport.received_at).desc())
    return list(ctx.db.exec(query.limit(limit)).all())


def failed_checks(report: CameraCheckReport) -> list[str]:
    """Ids and error names of the failed rows of a stored report."""
    body = json.loads(report.report_json)
    return [
        f"{row['id']}({row['error']})" if row.get("error") else row["id"]
        for row in body["checks"]
        if row["status"] == "failed"
    ]
