"""Wise onboarding kit backend: ``create_app`` builds the service."""

from backend.app import create_app

__all__ = ["create_app"]
