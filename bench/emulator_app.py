"""gunicorn's entry point for the Wise emulator the benchmarks run against.

The emulator keeps its state in memory, so it runs as one gunicorn worker (with the threads of
the kit's two workers together). It signs webhooks with the bench's key, the one the kit is
configured to trust, and its API client learns each server's redirect URI through the control API.
"""

from __future__ import annotations

import os
from pathlib import Path

from flask import Flask

from sample_app.wise_emulator import EmulatorConfig, create_emulator_app

KEY_FILE_VARIABLE = "BENCH_EMULATOR_WEBHOOK_KEY_FILE"


def create_app() -> Flask:
    """Build the emulator with the demo client and users and the bench's webhook key."""
    key_file = os.environ.get(KEY_FILE_VARIABLE)
    return create_emulator_app(
        EmulatorConfig(
            webhook_private_key_pem=Path(key_file).read_bytes() if key_file else None,
            # The bench's kit listens on http://127.0.0.1:<port>, as the demo's does.
            demo_allow_loopback_http_webhooks=True,
        )
    )
