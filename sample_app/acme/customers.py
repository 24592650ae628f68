"""Acme Bank's own customers: the data a partner already holds before the Wise journey."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

ADA_PREFILL: dict[str, Any] = {
    "first_name": "Ada",
    "last_name": "Lovelace",
    "phone_number": "+447700900001",
    "address": {
        "first_line": "12 St James's Square",
        "city": "London",
        "post_code": "SW1Y 4JH",
        "country": "GBR",
    },
    "nationality": "GBR",
}

MARY_PREFILL: dict[str, Any] = {
    "first_name": "Mary",
    "last_name": "Somerville",
    "preferred_name": "Molly",
    "phone_number": "+447700900123",
    "address": {
        "first_line": "1 Burntisland Road",
        "city": "Edinburgh",
        "post_code": "EH1 1AA",
        "country": "GBR",
    },
    "nationality": "GBR",
    "occupation": "Mathematician",
}

ENGINES_ADDRESS: dict[str, Any] = {
    "first_line": "1 Dorset Street",
    "city": "London",
    "post_code": "W1U 4EG",
    "country": "GBR",
}

ENGINES_PREFILL: dict[str, Any] = {
    "business_name": "Difference Engines Ltd",
    "registration_number": "SC123456",
    "company_type": "LIMITED",
    "company_role": "DIRECTOR",
    "first_level_category": "CONSULTING_IT_BUSINESS_SERVICES",
    "second_level_category": "SCIENTIFIC_AND_TECHNICAL_CONSULTING",
    "webpage": "https://engines.example",
    "business_free_form_description": "Calculating engines, designed and built to order.",
    "address": ENGINES_ADDRESS,
    # The person who acts for the company at Wise: Charles, who logs in to Acme for it.
    "business_representative": {
        "first_name": "Charles",
        "last_name": "Babbage",
        "date_of_birth": "1971-12-26",
        "phone_number": "+447700900456",
        "address": ENGINES_ADDRESS,
    },
    "directors": [
        {
            "first_name": "Charles",
            "last_name": "Babbage",
            "date_of_birth": "1971-12-26",
            "country_of_residence": "GBR",
        }
    ],
    "ubos": [
        {
            "name": "Georgiana Whitmore",
            "date_of_birth": "1970-01-01",
            "country_of_residence": "GBR",
            "ownership_percentage": 60,
        }
    ],
}


@dataclass(frozen=True)
class Customer:
    """An Acme Bank customer, personal or business, with the KYC data Acme holds."""

    external_id: str
    email: str
    name: str
    date_of_birth: str | None
    password: str = "acme-demo"  # noqa: S105  (demo-only login, printed on the login page)
    note: str = ""
    type: str = "personal"
    registration_number: str | None = None
    # What Acme may send Wise to pre-fill a new account ("prefill" mode); None: link only.
    prefill: dict[str, Any] | None = None


DEMO_CUSTOMERS: tuple[Customer, ...] = (
    Customer(
        "c-ada",
        "ada@example.com",
        "Ada Lovelace",
        "1990-04-01",
        note="Has a Wise account: log in at Wise. Creating one with Acme details falls back to "
        "logging in, since Wise knows her email.",
        prefill=ADA_PREFILL,
    ),
    Customer(
        "c-lin",
        "lin@example.com",
        "Lin Chen",
        "1992-07-15",
        note="New to Wise: create a Wise account.",
    ),
    Customer(
        "c-grace",
        "grace@example.com",
        "Grace Hopper",
        "1985-12-10",
        note="Acme holds a different date of birth than Wise: the identity check fails.",
    ),
    Customer(
        "c-mary",
        "mary@example.com",
        "Mary Somerville",
        "1980-12-26",
        note="New to Wise: Acme creates her Wise account with the details it holds.",
        prefill=MARY_PREFILL,
    ),
    Customer(
        "c-engines",
        "charles@engines.example",
        "Difference Engines Ltd",
        None,
        note="A business new to Wise: Acme pre-fills the company, its director and its owner.",
        type="business",
        registration_number="SC123456",
        prefill=ENGINES_PREFILL,
    ),
)


def find_customer(customers: tuple[Customer, ...], email: str) -> Customer | None:
    """Find a customer by login email (case-insensitive)."""
    wanted = email.strip().lower()
    return next((c for c in customers if c.email == wanted), None)
