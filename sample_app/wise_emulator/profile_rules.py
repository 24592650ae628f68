"""What Wise documents about profile-creation bodies, checked field by field.

The emulator exists to catch a partner's mistakes, so it refuses what Wise's reference
(<https://docs.wise.com/api-reference/profile>) says is required, every enum value it does not
list, the pairs of business categories that do not belong together, and any field the reference
does not name (a misspelt field would otherwise be dropped without a word). Where Wise documents
an error code (``api.businessName.missing``...) the emulator answers with it; the other codes
follow the same ``api.<field>.<problem>`` pattern and are the emulator's own.
"""

from __future__ import annotations

import re
from typing import Any

from .errors import ApiError
from .ui_flow import past_date

MAX_NAME = 30
COUNTRY_ISO3 = re.compile(r"^[a-z]{3}$")
# "Required for US, CA, BR and AU addresses", at most 5 characters.
STATE_CODE_COUNTRIES = frozenset({"usa", "can", "bra", "aus"})
MAX_STATE_CODE = 5
# "Occupations is required for CA, IN, JP, ID, IL, MX and within the US for the state NM."
OCCUPATION_COUNTRIES = frozenset({"can", "ind", "jpn", "idn", "isr", "mex"})

COMPANY_TYPES = frozenset(
    {
        "LIMITED", "PARTNERSHIP", "SOLE_TRADER", "LIMITED_BY_GUARANTEE",
        "LIMITED_LIABILITY_COMPANY", "FOR_PROFIT_CORPORATION", "NON_PROFIT_CORPORATION",
        "LIMITED_PARTNERSHIP", "LIMITED_LIABILITY_PARTNERSHIP", "GENERAL_PARTNERSHIP",
        "SOLE_PROPRIETORSHIP", "PRIVATE_LIMITED_COMPANY", "PUBLIC_LIMITED_COMPANY", "TRUST",
        "OTHER",
    }
)  # fmt: skip
COMPANY_ROLES = frozenset({"OWNER", "DIRECTOR", "OTHER"})
# firstLevelCategory -> the secondLevelCategory values that belong to it.
CATEGORIES: dict[str, frozenset[str]] = {
    "CHARITY_NON_PROFIT": frozenset({"CHARITY_ALL_ACTIVITIES"}),
    "CONSULTING_IT_BUSINESS_SERVICES": frozenset(
        {
            "ADVERTISING_AND_MARKETING", "ARCHITECTURE", "COMPANY_ESTABLISHMENT_FORMATION_SERVICES",
            "DESIGN", "FINANCIAL_CONSULTING_ACCOUNTING_TAXATION_AUDITING", "IT_DEVELOPMENT",
            "IT_HOSTING_SERVICES", "IT_CONSULTING_AND_SERVICES", "LEGAL_SERVICES",
            "MANAGEMENT_CONSULTING", "SCIENTIFIC_AND_TECHNICAL_CONSULTING",
            "SOFTWARE_AS_A_SERVICE", "TRANSLATION_AND_LANGUAGE_SERVICES", "CONSULTING_OTHER",
            "SERVICES_OTHER", "FREELANCE_PLATFORMS", "RECRUITMENT_SERVICES",
            "MAINTENANCE_SERVICES",
        }
    ),
    "DESIGN_MARKETING_COMMUNICATIONS": frozenset(
        {
            "ADVERTISING_AND_MARKETING", "ARCHITECTURE", "AUDIO_AND_VIDEO", "DESIGN",
            "PHOTOGRAPHY", "PRINT_AND_ONLINE_MEDIA", "TELECOMMUNICATIONS_SERVICES",
            "TRANSLATION_AND_LANGUAGE_SERVICES",
        }
    ),
    "MEDIA_COMMUNICATION_ENTERTAINMENT": frozenset(
        {
            "ADULT_CONTENT", "AUDIO_AND_VIDEO", "FINE_ARTS", "ARTS_OTHER",
            "EVENTS_AND_ENTERTAINMENT", "GAMBLING_BETTING_AND_ONLINE_GAMING",
            "NEWSPAPERS_MAGAZINES_AND_BOOKS", "PERFORMING_ARTS", "PHOTOGRAPHY",
            "TELECOMMUNICATIONS_SERVICES", "VIDEO_GAMING",
        }
    ),
    "EDUCATION_LEARNING": frozenset(
        {"SCHOOLS_AND_UNIVERSITIES", "TEACHING_AND_TUTORING", "ONLINE_LEARNING"}
    ),
    "FINANCIAL_SERVICES_PRODUCTS_HOLDING_COMPANIES": frozenset(
        {
            "CROWDFUNDING", "CRYPTOCURRENCY_FINANCIAL_SERVICES",
            "FINANCIAL_CONSULTING_ACCOUNTING_TAXATION_AUDITING", "HOLDING_COMPANIES",
            "INSURANCE", "INVESTMENTS", "MONEY_SERVICE_BUSINESSES", "FINANCIAL_SERVICES_OTHER",
        }
    ),
    "FOOD_BEVERAGES_TOBACCO": frozenset(
        {
            "ALCOHOL", "FOOD_MANUFACTURING_RETAIL", "RESTAURANTS_AND_CATERING", "SOFT_DRINKS",
            "TOBACCO", "VITAMINS_AND_DIETARY_SUPPLEMENTS",
        }
    ),
    "HEALTH_PHARMACEUTICALS_PERSONAL_CARE": frozenset(
        {
            "HEALTH_AND_BEAUTY_PRODUCTS_AND_SERVICES", "DENTAL_SERVICES",
            "DOCTORS_AND_MEDICAL_SERVICES", "ELDERLY_OR_OTHER_CARE_HOME", "FITNESS_SPORTS_SERVICES",
            "MEDICAL_EQUIPMENT", "NURSING_AND_OTHER_CARE_SERVICES", "PHARMACEUTICALS", "PHARMACY",
            "VITAMINS_AND_DIETARY_SUPPLEMENTS",
        }
    ),
    "PUBLIC_GOVERNMENT_SERVICES": frozenset(
        {
            "PUBLIC_ALL_SERVICES", "MAINTENANCE_SERVICES", "GOVERNMENT_SERVICES",
            "TELECOMMUNICATIONS_SERVICES", "UTILITY_SERVICES",
        }
    ),
    "REAL_ESTATE_CONSTRUCTION": frozenset(
        {
            "ARCHITECTURE", "CONSTRUCTION", "REAL_ESTATE_DEVELOPMENT",
            "REAL_ESTATE_SALE_PURCHASE_AND_MANAGEMENT",
        }
    ),
    "RETAIL_WHOLESALE_MANUFACTURING": frozenset(
        {
            "AGRICULTURE_SEEDS_PLANTS", "FINE_ARTS", "ARTS_OTHER",
            "AUTOMOTIVE_SALES_SPARE_PARTS_TRADE", "AUTOMOTIVE_MANUFACTURING", "CHEMICALS",
            "CLOTHING", "ELECTRICAL_PRODUCTS", "FIREARMS_WEAPONS_AND_MILITARY_GOODS_SERVICES",
            "HOME_ACCESSORIES_FURNITURE", "FINE_JEWELLERY_WATCHES", "FASHION_JEWELLERY",
            "HEALTH_AND_BEAUTY_PRODUCTS_AND_SERVICES", "LEGAL_HIGHS_AND_RELATED_ACCESSORIES",
            "MACHINERY", "PETS", "PRECIOUS_STONES_DIAMONDS_AND_METALS", "SPORTING_EQUIPMENT",
            "MANUFACTURING_OTHER", "RETAIL_WHOLESALE_MARKETPLACE_AUCTION",
            "RETAIL_WHOLESALE_OTHER", "TOYS_AND_GAMES",
        }
    ),
    "TRAVEL_TRANSPORT_TOUR_AGENCIES": frozenset(
        {
            "ACCOMMODATION_HOTELS", "PASSENGER_TRANSPORT", "FREIGHT_TRANSPORT",
            "RIDESHARING_TRANSPORT_SHARING_SERVICES", "TRANSPORT", "TRAVEL_AGENCIES",
            "TOUR_OPERATORS", "TRAVEL_OR_TOUR_ACTIVITIES_OTHER",
        }
    ),
    "OTHER": frozenset({"OTHER_NOT_LISTED_ABOVE"}),
}  # fmt: skip

BUSINESS_ADDRESS_KEYS = frozenset(
    {"addressFirstLine", "city", "countryIso2Code", "countryIso3Code", "postCode", "stateCode"}
)
# The representative's and a person's address have no countryIso2Code.
PERSON_ADDRESS_KEYS = BUSINESS_ADDRESS_KEYS - {"countryIso2Code"}
BUSINESS_KEYS = frozenset(
    {
        "businessName", "businessNameInKatakana", "businessFreeFormDescription",
        "registrationNumber", "acn", "abn", "arbn", "companyType", "companyRole", "address",
        "externalCustomerId", "actorEmail", "firstLevelCategory", "secondLevelCategory",
        "industryCategories", "operationalAddresses", "webpage",
    }
)  # fmt: skip
REPRESENTATIVE_KEYS = frozenset(
    {
        "businessRepresentativeId", "firstName", "lastName", "preferredName", "address",
        "contactDetails", "dateOfBirth",
    }
)  # fmt: skip
PERSONAL_KEYS = frozenset(
    {
        "firstName", "lastName", "preferredName", "firstNameInKana", "lastNameInKana", "address",
        "nationality", "dateOfBirth", "externalCustomerId", "contactDetails", "occupations",
    }
)  # fmt: skip
CONTACT_KEYS = frozenset({"email", "phoneNumber"})
OCCUPATION_KEYS = frozenset({"code", "format"})


class Checks:
    """Collects problems in Wise's ``{"errors": [...]}`` shape and raises them together."""

    def __init__(self, *, arguments: list[Any] | None) -> None:
        # Wise's documented business-profile errors carry ``"arguments": null``; the bean
        # validation errors of other endpoints carry a list.
        self.arguments = arguments
        self.errors: list[dict[str, Any]] = []

    def add(self, code: str, message: str, path: str) -> None:
        """Record one problem."""
        args = None if self.arguments is None else list(self.arguments)
        self.errors.append({"code": code, "message": message, "path": path, "arguments": args})

    def unknown(self, data: dict[str, Any], known: frozenset[str], prefix: str = "") -> None:
        """Refuse every field Wise does not document here (a misspelt name would be lost)."""
        for key in sorted(set(data) - known):
            self.add(f"api.{prefix}{key}.unknown", "Unknown field", prefix + key)

    def raise_if_any(self, status: int = 400) -> None:
        """Answer every recorded problem at once."""
        if self.errors:
            raise ApiError(status, {"errors": self.errors})


def blank(value: object) -> bool:
    """Missing, null or only spaces."""
    return value is None or (isinstance(value, str) and not value.strip())


def check_address(
    checks: Checks, address: object, path: str, *, business: bool, missing_code: str | None
) -> dict[str, Any] | None:
    """Check an address object; return it (country in lower case) or None when unusable."""
    if not isinstance(address, dict):
        if missing_code:
            checks.add(
                missing_code,
                "Address must be provided, and include the first line, city, and ISO 3 Country "
                "code",
                path,
            )
        else:
            checks.add("NotNull", "must not be null", path)
        return None
    checks.unknown(address, BUSINESS_ADDRESS_KEYS if business else PERSON_ADDRESS_KEYS, path + ".")
    for key in ("addressFirstLine", "city", "countryIso3Code"):
        if blank(address.get(key)):
            checks.add(missing_code or "NotNull", "must not be null", f"{path}.{key}")
    country = address.get("countryIso3Code")
    if isinstance(country, str) and country and not COUNTRY_ISO3.match(country):
        checks.add(
            "api.countryIso3Code.invalid",
            "3 letter country code, in lower case",
            f"{path}.countryIso3Code",
        )
    state = address.get("stateCode")
    if isinstance(state, str) and len(state) > MAX_STATE_CODE:
        checks.add("Size", f"size must be between 0 and {MAX_STATE_CODE}", f"{path}.stateCode")
    if country in STATE_CODE_COUNTRIES and blank(state):
        checks.add("NotNull", "stateCode is required for US, CA, BR and AU", f"{path}.stateCode")
    return address


def check_name(checks: Checks, data: dict[str, Any], key: str, prefix: str = "") -> None:
    """A required name of at most 30 characters."""
    value = data.get(key)
    if blank(value):
        checks.add("NotNull", "must not be null", prefix + key)
    elif not isinstance(value, str) or len(value) > MAX_NAME:
        checks.add("Size", f"size must be between 1 and {MAX_NAME}", prefix + key)


def check_date(checks: Checks, data: dict[str, Any], key: str, prefix: str = "") -> None:
    """A required yyyy-mm-dd date in the past."""
    value = data.get(key)
    if blank(value):
        checks.add("NotNull", "must not be null", prefix + key)
    elif not isinstance(value, str) or past_date(value) is None:
        checks.add("INVALID_DATE", "must be a past date (YYYY-MM-DD)", prefix + key)


def check_contact(checks: Checks, contact: object, path: str) -> None:
    """``contactDetails`` with an email and an international phone number."""
    if not isinstance(contact, dict):
        checks.add("NotNull", "must not be null", path)
        return
    checks.unknown(contact, CONTACT_KEYS, path + ".")
    for key in ("email", "phoneNumber"):
        if blank(contact.get(key)):
            checks.add("NotNull", "must not be null", f"{path}.{key}")


def check_personal(data: dict[str, Any]) -> None:
    """``POST /v2/profiles/personal-profile``: raise a 400 listing every problem."""
    checks = Checks(arguments=[])
    checks.unknown(data, PERSONAL_KEYS)
    check_name(checks, data, "firstName")
    check_name(checks, data, "lastName")
    preferred = data.get("preferredName")
    if preferred is not None and (not isinstance(preferred, str) or len(preferred) > MAX_NAME):
        checks.add("Size", f"size must be between 1 and {MAX_NAME}", "preferredName")
    check_date(checks, data, "dateOfBirth")
    address = check_address(
        checks, data.get("address"), "address", business=False, missing_code=None
    )
    check_contact(checks, data.get("contactDetails"), "contactDetails")
    nationality = data.get("nationality")
    if nationality is not None and not (
        isinstance(nationality, str) and COUNTRY_ISO3.match(nationality)
    ):
        checks.add("api.nationality.invalid", "3 letter country code, in lower case", "nationality")
    occupations = data.get("occupations")
    if occupations is not None:
        if not isinstance(occupations, list):
            checks.add("INVALID", "must be a list", "occupations")
            occupations = []
        for index, item in enumerate(occupations):
            path = f"occupations[{index}]"
            if not isinstance(item, dict) or blank(item.get("code")):
                checks.add("NotNull", "must not be null", f"{path}.code")
                continue
            checks.unknown(item, OCCUPATION_KEYS, path + ".")
            if item.get("format") != "FREE_FORM":
                checks.add("INVALID", "format only accepts FREE_FORM", f"{path}.format")
    if address is not None and not occupations:
        country, state = address.get("countryIso3Code"), address.get("stateCode")
        if country in OCCUPATION_COUNTRIES or (country == "usa" and state == "NM"):
            checks.add(
                "NotNull",
                "occupations are required for CA, IN, JP, ID, IL, MX and the US state NM",
                "occupations",
            )
    checks.raise_if_any()


def check_business(data: dict[str, Any], *, version: int) -> None:
    """``POST /v2`` or ``/v3/profiles/business-profile``: raise a 400 listing every problem."""
    checks = Checks(arguments=None)
    checks.unknown(data, BUSINESS_KEYS | ({"businessRepresentative"} if version == 3 else set()))
    name = data.get("businessName")
    if name is None:
        checks.add(
            "api.businessName.missing", "Please specify the name of your business", "businessName"
        )
    elif not isinstance(name, str) or not name.strip():
        checks.add(
            "api.businessName.size.too.short",
            "Business name must be at least 1 character long",
            "businessName",
        )
    company_type = data.get("companyType")
    if blank(company_type):
        checks.add("api.companyType.missing", "Please select a company type", "companyType")
    elif company_type not in COMPANY_TYPES:
        checks.add("api.companyType.invalid", "Invalid company type selected", "companyType")
    # "For SOLE_PROPRIETORSHIP, this field is optional."
    if blank(data.get("registrationNumber")) and company_type != "SOLE_PROPRIETORSHIP":
        checks.add(
            "api.registrationNumber.missing",
            "Please specify the registration number of your business ",
            "registrationNumber",
        )
    role = data.get("companyRole")
    if role is not None and role not in COMPANY_ROLES:
        checks.add("api.companyRole.invalid", "Invalid role selected", "companyRole")
    check_categories(checks, data)
    if company_type == "OTHER":
        for key in ("webpage", "businessFreeFormDescription"):
            if blank(data.get(key)):
                checks.add(f"api.{key}.missing", f"{key} is required for companyType OTHER", key)
    check_address(
        checks, data.get("address"), "address", business=True, missing_code="api.address.missing"
    )
    operational = data.get("operationalAddresses")
    if operational is not None:
        if not isinstance(operational, list):
            checks.add("api.operationalAddresses.invalid", "must be a list", "operationalAddresses")
        else:
            for index, item in enumerate(operational):
                check_address(
                    checks, item, f"operationalAddresses[{index}]", business=True, missing_code=None
                )
    if version == 3:
        check_representative(checks, data.get("businessRepresentative"))
    checks.raise_if_any()


def check_categories(checks: Checks, data: dict[str, Any]) -> None:
    """Either the legacy category pair (checked as a pair) or ``industryCategories``, not both."""
    first, second = data.get("firstLevelCategory"), data.get("secondLevelCategory")
    industry = data.get("industryCategories")
    if industry is not None:
        if first is not None or second is not None:
            checks.add(
                "api.industryCategories.invalid",
                "Send either industryCategories or the firstLevelCategory and "
                "secondLevelCategory pair, not both",
                "industryCategories",
            )
        elif (
            not isinstance(industry, list)
            or not industry
            or not all(isinstance(item, str) and item for item in industry)
        ):
            checks.add(
                "api.industryCategories.invalid", "Invalid category selected", "industryCategories"
            )
        return
    if blank(first):
        checks.add(
            "api.firstLevelCategory.missing", "Please select a category", "firstLevelCategory"
        )
        return
    if first not in CATEGORIES:
        checks.add(
            "api.firstLevelCategory.invalid", "Invalid category selected", "firstLevelCategory"
        )
        return
    if second is not None and second not in CATEGORIES[str(first)]:
        checks.add(
            "api.secondLevelCategory.invalid", "Invalid category selected", "secondLevelCategory"
        )


def check_representative(checks: Checks, representative: object) -> None:
    """v3's ``businessRepresentative``: the person in full, or only an earlier one's id."""
    path = "businessRepresentative"
    if not isinstance(representative, dict):
        checks.add("api.businessRepresentative.missing", "must not be null", path)
        return
    checks.unknown(representative, REPRESENTATIVE_KEYS, path + ".")
    if "businessRepresentativeId" in representative:
        # "it is the only field required ... and none of the other fields should be provided."
        others = sorted(set(representative) - {"businessRepresentativeId"})
        if others:
            checks.add(
                "api.businessRepresentative.invalid",
                "Send either businessRepresentativeId alone or the representative's details",
                f"{path}.{others[0]}",
            )
        if not isinstance(representative.get("businessRepresentativeId"), int):
            checks.add("INVALID", "must be a number", f"{path}.businessRepresentativeId")
        return
    prefix = path + "."
    check_name(checks, representative, "firstName", prefix)
    check_name(checks, representative, "lastName", prefix)
    check_date(checks, representative, "dateOfBirth", prefix)
    check_address(
        checks, representative.get("address"), f"{path}.address", business=False, missing_code=None
    )
    check_contact(checks, representative.get("contactDetails"), f"{path}.contactDetails")
