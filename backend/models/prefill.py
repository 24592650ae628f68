"""Pre-filled customer data (Wise's API pre-upload): what a partner may send, and what is kept.

The request shapes validate what Wise documents (names of at most 30 characters, ISO 3166-1
alpha-3 country codes, YYYY-MM-DD dates) and keep other texts to sane lengths, so a typo is
refused at creation, naming the field, instead of failing later at Wise.
"""

from __future__ import annotations

import re
from datetime import date, datetime
from typing import Annotated

from pydantic import AfterValidator, BaseModel, ConfigDict, Field, field_validator
from sqlalchemy import BigInteger, Column
from sqlmodel import Field as SQLField
from sqlmodel import SQLModel

from backend.db import UTCDateTime

WISE_NAME_MAX = 30  # Wise: firstName and lastName "≤30"
DATE_RE = re.compile(r"^\d{4}-\d{2}-\d{2}\Z", re.ASCII)
COUNTRY_RE = re.compile(r"^[A-Za-z]{3}\Z", re.ASCII)
PHONE_RE = re.compile(r"^\+[1-9]\d{6,14}\Z", re.ASCII)
COMPANY_TYPE_RE = re.compile(r"^[A-Z][A-Z_]{0,63}\Z", re.ASCII)
REGISTRATION_NUMBER_RE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9 ./-]{0,31}\Z", re.ASCII)


def _country(value: str) -> str:
    if not COUNTRY_RE.match(value):
        raise ValueError("use an ISO 3166-1 alpha-3 country code, such as GBR")
    # Wise writes alpha-3 codes in lower case ("gbr").
    return value.lower()


def _phone(value: str) -> str:
    if not PHONE_RE.match(value):
        raise ValueError("use the international format, such as +447700900123")
    return value


def _past_date(value: str) -> str:
    try:
        parsed = date.fromisoformat(value) if DATE_RE.match(value) else None
    except ValueError:
        parsed = None
    if parsed is None:
        raise ValueError("use a real date written YYYY-MM-DD")
    if not date(1900, 1, 1) <= parsed < date.today():
        raise ValueError("must be between 1900-01-01 and yesterday")
    return value


def _company_type(value: str) -> str:
    if not COMPANY_TYPE_RE.match(value):
        raise ValueError("use Wise's upper-case company type, such as LIMITED")
    return value


def _registration_number(value: str) -> str:
    if not REGISTRATION_NUMBER_RE.match(value):
        raise ValueError("use 1-32 letters, digits, spaces or . / -")
    return value


Country = Annotated[str, AfterValidator(_country)]
Phone = Annotated[str, AfterValidator(_phone)]
PastDate = Annotated[str, AfterValidator(_past_date)]
Name = Annotated[str, Field(min_length=1, max_length=WISE_NAME_MAX)]
CompanyType = Annotated[str, AfterValidator(_company_type)]
RegistrationNumber = Annotated[str, AfterValidator(_registration_number)]


class _Strict(BaseModel):
    model_config = ConfigDict(strict=True, extra="forbid", str_strip_whitespace=True)


class PrefillAddress(_Strict):
    """A postal address, sent as Wise's ``addressFirstLine``, ``city``, ``postCode``..."""

    first_line: str = Field(min_length=1, max_length=100)
    city: str = Field(min_length=1, max_length=100)
    post_code: str | None = Field(default=None, min_length=1, max_length=20)
    country: Country
    state_code: str | None = Field(default=None, min_length=1, max_length=10)


class PersonalPrefill(_Strict):
    """What a partner knows about a person; the date of birth and email come from ``customer``."""

    first_name: Name
    last_name: Name
    preferred_name: Name | None = None
    phone_number: Phone
    address: PrefillAddress | None = None
    nationality: Country | None = None
    occupation: str | None = Field(default=None, min_length=1, max_length=100)


class DirectorPrefill(_Strict):
    """A company director."""

    first_name: Name
    last_name: Name
    date_of_birth: PastDate | None = None
    country_of_residence: Country | None = None


class UboPrefill(_Strict):
    """An ultimate beneficial owner."""

    name: str = Field(min_length=1, max_length=100)
    date_of_birth: PastDate | None = None
    country_of_residence: Country | None = None
    address_first_line: str | None = Field(default=None, min_length=1, max_length=100)
    post_code: str | None = Field(default=None, min_length=1, max_length=20)
    ownership_percentage: int | None = Field(default=None, ge=0, le=100)


class BusinessPrefill(_Strict):
    """What a partner knows about a business, its directors and its owners."""

    business_name: str = Field(min_length=1, max_length=100)
    registration_number: RegistrationNumber | None = None
    company_type: CompanyType | None = None
    address: PrefillAddress | None = None
    directors: list[DirectorPrefill] = Field(default_factory=list, max_length=20)
    ubos: list[UboPrefill] = Field(default_factory=list, max_length=20)

    @field_validator("ubos")
    @classmethod
    def _ownership_adds_up(cls, ubos: list[UboPrefill]) -> list[UboPrefill]:
        if sum(u.ownership_percentage or 0 for u in ubos) > 100:
            raise ValueError("ownership percentages add up to more than 100")
        return ubos


Prefill = PersonalPrefill | BusinessPrefill


class PrefillAccount(SQLModel, table=True):
    """The Wise account the kit creates for one customer, reused by every later launch.

    The registration code is the partner's credential for that account until the customer claims
    it, so it is kept as a Fernet ciphertext. The idempotence seed makes each profile call's
    ``X-idempotence-uuid`` the same on every retry (see ``backend.services.prefill``).
    """

    __tablename__ = "prefill_account"

    id: int | None = SQLField(default=None, primary_key=True)
    customer_external_id: str = SQLField(unique=True, max_length=128)
    # SHA-256 of the lower-cased email the code was registered with; a new email gets a new code.
    email_hash: str = SQLField(max_length=64)
    registration_code_ciphertext: str
    idempotence_seed: str = SQLField(max_length=36)
    wise_user_id: int | None = SQLField(default=None, sa_column=Column(BigInteger))
    created_at: datetime = SQLField(sa_type=UTCDateTime)
    updated_at: datetime = SQLField(sa_type=UTCDateTime)
