"""Acme Bank's own customers: the data a partner already holds before the Wise journey."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Customer:
    """An Acme Bank customer."""

    external_id: str
    email: str
    name: str
    date_of_birth: str
    password: str = "acme-demo"  # noqa: S105  (demo-only login, printed on the login page)
    note: str = ""


DEMO_CUSTOMERS: tuple[Customer, ...] = (
    Customer(
        "c-ada",
        "ada@example.com",
        "Ada Lovelace",
        "1990-04-01",
        note="Has a Wise account: log in at Wise.",
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
)


def find_customer(customers: tuple[Customer, ...], email: str) -> Customer | None:
    """Find a customer by login email (case-insensitive)."""
    wanted = email.strip().lower()
    return next((c for c in customers if c.email == wanted), None)
