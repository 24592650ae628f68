"""Pre-filled customer data (Wise's API pre-upload): what a partner may send, and what is kept.

The request shapes validate what Wise's profile reference documents
(<https://docs.wise.com/api-reference/profile>): names of at most 30 characters, ISO 3166-1
alpha-3 country codes (sent in lower case), a ``state_code`` of at most 5 characters that US,
Canadian, Brazilian and Australian addresses need, occupations where Wise requires them, Wise's
company types and roles, the category pairs, a website and description for ``OTHER`` companies,
and the business representative. So a mistake is refused at creation with the field named,
instead of failing later at Wise, where it would only show up as a question to the customer.
"""

from __future__ import annotations

import re
from datetime import date, datetime
from typing import Annotated, Any
from urllib.parse import urlsplit

from pydantic import AfterValidator, BaseModel, ConfigDict, Field, ValidationInfo, field_validator
from sqlalchemy import BigInteger, Column
from sqlmodel import Field as SQLField
from sqlmodel import SQLModel

from backend.db import UTCDateTime
from backend.models.business_categories import CATEGORIES, COMPANY_ROLES, COMPANY_TYPES

WISE_NAME_MAX = 30  # Wise: firstName and lastName "≤30"
WISE_STATE_CODE_MAX = 5  # Wise: stateCode "(max 5 chars)"
# "Required for US, CA, BR and AU addresses."
STATE_CODE_COUNTRIES = frozenset({"usa", "can", "bra", "aus"})
# "Occupations is required for CA, IN, JP, ID, IL, MX and within the US for the state NM."
OCCUPATION_COUNTRIES = frozenset({"can", "ind", "jpn", "idn", "isr", "mex"})
DATE_RE = re.compile(r"^\d{4}-\d{2}-\d{2}\Z", re.ASCII)
COUNTRY_RE = re.compile(r"^[A-Za-z]{3}\Z", re.ASCII)
PHONE_RE = re.compile(r"^\+[1-9]\d{6,14}\Z", re.ASCII)
REGISTRATION_NUMBER_RE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9 ./-]{0,31}\Z", re.ASCII)
EMAIL_RE = re.compile(r"^[^@\s]{1,64}@[^@\s]+\.[^@\s]+\Z", re.ASCII)
REQUIRED_UNLESS_ID = "is required unless business_representative_id is given"


def _country(value: str) -> str:
    if not COUNTRY_RE.match(value):
        raise ValueError("use an ISO 3166-1 alpha-3 country code, such as GBR")
    # Wise writes alpha-3 codes in lower case ("gbr") and asks for them so.
    return value.lower()


def _phone(value: str) -> str:
    if not PHONE_RE.match(value):
        raise ValueError("use the international format, such as +447700900123")
    return value


def _email(value: str) -> str:
    if not EMAIL_RE.match(value):
        raise ValueError("not a valid email address")
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


def _registration_number(value: str) -> str:
    if not REGISTRATION_NUMBER_RE.match(value):
        raise ValueError("use 1-32 letters, digits, spaces or . / -")
    return value


def _webpage(value: str) -> str:
    parts = urlsplit(value)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise ValueError("use the full address of the website, such as https://engines.example")
    return value


Country = Annotated[str, AfterValidator(_country)]
Phone = Annotated[str, AfterValidator(_phone)]
Email = Annotated[str, Field(min_length=3, max_length=254), AfterValidator(_email)]
PastDate = Annotated[str, AfterValidator(_past_date)]
Name = Annotated[str, Field(min_length=1, max_length=WISE_NAME_MAX)]
RegistrationNumber = Annotated[str, AfterValidator(_registration_number)]


class _Strict(BaseModel):
    model_config = ConfigDict(strict=True, extra="forbid", str_strip_whitespace=True)


class PrefillAddress(_Strict):
    """A postal address, sent as Wise's ``addressFirstLine``, ``city``, ``postCode``..."""

    first_line: str = Field(min_length=1, max_length=100)
    city: str = Field(min_length=1, max_length=100)
    post_code: str | None = Field(default=None, min_length=1, max_length=20)
    country: Country
    state_code: str | None = Field(
        default=None, min_length=1, max_length=WISE_STATE_CODE_MAX, validate_default=True
    )

    @field_validator("state_code")
    @classmethod
    def _state_where_wise_needs_it(cls, value: str | None, info: ValidationInfo) -> str | None:
        if value is None and info.data.get("country") in STATE_CODE_COUNTRIES:
            raise ValueError("is required for addresses in the US, Canada, Brazil and Australia")
        return value


class PersonalPrefill(_Strict):
    """What a partner knows about a person; the date of birth and email come from ``customer``."""

    first_name: Name
    last_name: Name
    preferred_name: Name | None = None
    phone_number: Phone
    # Wise requires the address of a personal profile.
    address: PrefillAddress
    nationality: Country | None = None
    occupation: str | None = Field(
        default=None, min_length=1, max_length=100, validate_default=True
    )

    @field_validator("occupation")
    @classmethod
    def _occupation_where_wise_needs_it(cls, value: str | None, info: ValidationInfo) -> str | None:
        address = info.data.get("address")
        needs_one = isinstance(address, PrefillAddress) and (
            address.country in OCCUPATION_COUNTRIES
            or (address.country == "usa" and (address.state_code or "").upper() == "NM")
        )
        if value is None and needs_one:
            raise ValueError(
                "is required for addresses in Canada, India, Japan, Indonesia, Israel, "
                "Mexico and New Mexico (US)"
            )
        return value


class BusinessRepresentativePrefill(_Strict):
    """The person authorized to act for the business at Wise, or the id of one Wise gave before.

    ``email`` defaults to the customer's email. With ``business_representative_id`` nothing else
    may be sent, as Wise documents.
    """

    business_representative_id: int | None = Field(default=None, ge=1, lt=2**63)
    first_name: Name | None = Field(default=None, validate_default=True)
    last_name: Name | None = Field(default=None, validate_default=True)
    preferred_name: Name | None = None
    date_of_birth: PastDate | None = Field(default=None, validate_default=True)
    address: PrefillAddress | None = Field(default=None, validate_default=True)
    email: Email | None = None
    phone_number: Phone | None = Field(default=None, validate_default=True)

    @field_validator("first_name", "last_name", "date_of_birth", "address", "phone_number")
    @classmethod
    def _in_full_unless_an_id(cls, value: Any, info: ValidationInfo) -> Any:
        by_id = info.data.get("business_representative_id") is not None
        if value is None and not by_id:
            raise ValueError(REQUIRED_UNLESS_ID)
        if value is not None and by_id:
            raise ValueError("must not be sent with business_representative_id")
        return value

    @field_validator("preferred_name", "email")
    @classmethod
    def _nothing_else_with_an_id(cls, value: Any, info: ValidationInfo) -> Any:
        if value is not None and info.data.get("business_representative_id") is not None:
            raise ValueError("must not be sent with business_representative_id")
        return value


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
    """What a partner knows about a business, its representative, directors and owners.

    Field order matters: rules that depend on ``company_type`` or ``first_level_category``
    come after them.
    """

    business_name: str = Field(min_length=1, max_length=100)
    company_type: str
    company_role: str | None = None
    registration_number: RegistrationNumber | None = Field(default=None, validate_default=True)
    first_level_category: str
    second_level_category: str
    webpage: str | None = Field(default=None, min_length=1, max_length=255, validate_default=True)
    business_free_form_description: str | None = Field(
        default=None, min_length=1, max_length=1000, validate_default=True
    )
    address: PrefillAddress
    operational_addresses: list[PrefillAddress] = Field(default_factory=list, max_length=10)
    business_representative: BusinessRepresentativePrefill
    directors: list[DirectorPrefill] = Field(default_factory=list, max_length=20)
    ubos: list[UboPrefill] = Field(default_factory=list, max_length=20)

    @field_validator("company_type")
    @classmethod
    def _company_type(cls, value: str) -> str:
        if value not in COMPANY_TYPES:
            raise ValueError("use one of Wise's company types: " + ", ".join(sorted(COMPANY_TYPES)))
        return value

    @field_validator("company_role")
    @classmethod
    def _company_role(cls, value: str | None) -> str | None:
        if value is not None and value not in COMPANY_ROLES:
            raise ValueError("use OWNER, DIRECTOR or OTHER")
        return value

    @field_validator("registration_number")
    @classmethod
    def _registration_unless_sole_proprietorship(
        cls, value: str | None, info: ValidationInfo
    ) -> str | None:
        # Wise: "For SOLE_PROPRIETORSHIP, this field is optional."
        if value is None and info.data.get("company_type") not in (None, "SOLE_PROPRIETORSHIP"):
            raise ValueError("is required unless company_type is SOLE_PROPRIETORSHIP")
        return value

    @field_validator("first_level_category")
    @classmethod
    def _first_level_category(cls, value: str) -> str:
        if value not in CATEGORIES:
            raise ValueError("use one of Wise's categories: " + ", ".join(sorted(CATEGORIES)))
        return value

    @field_validator("second_level_category")
    @classmethod
    def _second_level_category(cls, value: str, info: ValidationInfo) -> str:
        first = info.data.get("first_level_category")
        if first in CATEGORIES and value not in CATEGORIES[first]:
            raise ValueError(f"is not one of the sub-categories of {first}")
        return value

    @field_validator("webpage")
    @classmethod
    def _webpage(cls, value: str | None, info: ValidationInfo) -> str | None:
        if value is None:
            return _required_for_other(value, info)
        return _webpage(value)

    @field_validator("business_free_form_description")
    @classmethod
    def _description(cls, value: str | None, info: ValidationInfo) -> str | None:
        return _required_for_other(value, info)

    @field_validator("ubos")
    @classmethod
    def _ownership_adds_up(cls, ubos: list[UboPrefill]) -> list[UboPrefill]:
        if sum(u.ownership_percentage or 0 for u in ubos) > 100:
            raise ValueError("ownership percentages add up to more than 100")
        return ubos


def _required_for_other(value: str | None, info: ValidationInfo) -> str | None:
    # Wise: "Required if companyType is OTHER".
    if value is None and info.data.get("company_type") == "OTHER":
        raise ValueError("is required when company_type is OTHER")
    return value


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
