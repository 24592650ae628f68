"""A local stand-in for Wise's sandbox on the "redirect to Wise" KYC onboarding surface.

It shares nothing with ``backend``: the kit and the emulator agree only through HTTP, as the kit and
Wise do. See docs/emulator.md.
"""

from __future__ import annotations

from .app import create_emulator_app
from .client import EmulatorControl, EmulatorControlError
from .config import (
    DEMO_CLIENT,
    DEMO_PASSWORD,
    DEMO_USERS,
    TWO_FACTOR_CODE,
    DemoProfile,
    DemoUser,
    EmulatorConfig,
    RegisteredClient,
)

__all__ = [
    "DEMO_CLIENT",
    "DEMO_PASSWORD",
    "DEMO_USERS",
    "TWO_FACTOR_CODE",
    "DemoProfile",
    "DemoUser",
    "EmulatorConfig",
    "EmulatorControl",
    "EmulatorControlError",
    "RegisteredClient",
    "create_emulator_app",
]
