"""Camera-check reports sent from the diagnostic page on a real device. Never an image."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator
from sqlmodel import Field as SQLField
from sqlmodel import SQLModel

from backend.camera_check import CHECK_IDS, EMBEDDINGS, MAX_DETAIL_LENGTH, REPORT_SCHEMA
from backend.db import UTCDateTime

CheckStatus = Literal["passed", "failed", "skipped", "running", "info"]


class CameraCheckRow(BaseModel):
    """One row of the checklist as the page reports it."""

    model_config = ConfigDict(strict=True, extra="forbid")

    id: str = Field(min_length=1, max_length=40, json_schema_extra={"enum": list(CHECK_IDS)})
    status: CheckStatus
    detail: str = Field(default="", max_length=MAX_DETAIL_LENGTH)
    error: str | None = Field(default=None, max_length=80)

    @field_validator("id")
    @classmethod
    def _known_check(cls, value: str) -> str:
        # The page and this endpoint share one list of checks (backend.camera_check).
        if value not in CHECK_IDS:
            raise ValueError(f"unknown check; expected one of {', '.join(CHECK_IDS)}")
        return value


class Viewport(BaseModel):
    """The page's viewport when the report was made."""

    model_config = ConfigDict(strict=True, extra="forbid")

    width: int = Field(ge=0, le=20000)
    height: int = Field(ge=0, le=20000)
    device_pixel_ratio: float = Field(ge=0, le=20)


class CameraCheckCreate(BaseModel):
    """Body of ``POST /api/v1/camera-checks`` (the page's ``camera-check/1`` report)."""

    model_config = ConfigDict(strict=True, extra="forbid")

    schema_: str = Field(alias="schema", json_schema_extra={"const": REPORT_SCHEMA})
    created_at: str = Field(max_length=40)
    user_agent: str = Field(max_length=512)
    embedding: str | None = Field(
        default=None, max_length=40, json_schema_extra={"enum": [*sorted(EMBEDDINGS), None]}
    )
    viewport: Viewport
    checks: list[CameraCheckRow] = Field(min_length=1, max_length=len(CHECK_IDS))

    @field_validator("schema_")
    @classmethod
    def _schema(cls, value: str) -> str:
        if value != REPORT_SCHEMA:
            raise ValueError(f"must be {REPORT_SCHEMA!r}")
        return value

    @field_validator("embedding")
    @classmethod
    def _embedding(cls, value: str | None) -> str | None:
        if value is not None and value not in EMBEDDINGS:
            raise ValueError(f"must be one of {', '.join(sorted(EMBEDDINGS))}")
        return value


class CameraCheckCreated(BaseModel):
    """Answer to a stored report: its id, as ``onboarding-kit camera-reports`` lists it."""

    id: str


class CameraCheckReport(SQLModel, table=True):
    """A stored report, for QA (``onboarding-kit camera-reports``)."""

    __tablename__ = "camera_check_report"

    id: str = SQLField(default_factory=lambda: str(uuid.uuid4()), primary_key=True, max_length=36)
    received_at: datetime = SQLField(sa_type=UTCDateTime, index=True)
    embedding: str | None = SQLField(default=None, max_length=40)
    user_agent: str = SQLField(max_length=512)
    passed: int
    failed: int
    skipped: int
    report_json: str
