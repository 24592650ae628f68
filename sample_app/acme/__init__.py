"""Acme Bank, the demo partner app."""

from sample_app.acme.app import AcmeConfig, create_acme_app
from sample_app.acme.customers import DEMO_CUSTOMERS, Customer

__all__ = ["DEMO_CUSTOMERS", "AcmeConfig", "Customer", "create_acme_app"]
