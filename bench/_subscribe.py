"""Subscribe a bench kit to the emulator's webhooks: ``python -m bench._subscribe URL``.

``onboarding-kit webhooks subscribe`` refuses a URL Wise would refuse, and Wise delivers only to
https on port 443 at a domain name; the bench's kit listens on ``http://127.0.0.1:<port>``. So
the bench subscribes the way the demo does (``sample_app.demo.subscribe_kit_webhooks``), with the
demo-only loopback allowance, against an emulator started with its matching switch. It runs in a
process of its own, configured by the same ``ONBOARDING_*`` variables as the kit, so its output
goes to the setup log and never to the bench's terminal.
"""

from __future__ import annotations

import sys

from backend import create_app
from sample_app.demo import subscribe_kit_webhooks


def main(argv: list[str]) -> int:
    """Subscribe ``argv[0]`` to every event type the kit handles."""
    (url,) = argv
    subscribe_kit_webhooks(create_app(), url)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
