"""The onboarding-session state machine.

created → launched → linked | declined | failed, or expired.

Every transition is a single ``UPDATE ... WHERE <expected status>`` whose row count decides the
winner, so concurrent requests on any number of instances agree. No transaction is held open
while Wise is called.

``transitions`` is the state machine itself: every statement that changes a session's state is a
function there. ``create`` (new sessions, Idempotency-Key), ``launch`` (the single-use link and
prefill preparation) and ``callback`` (the OAuth return) orchestrate around it. Callers use only
the names exported here.
"""

from backend.services.onboarding.callback import complete
from backend.services.onboarding.create import Created, create_session
from backend.services.onboarding.launch import Launch, launch
from backend.services.onboarding.transitions import Outcome, get_session, return_link, sweep

__all__ = [
    "Created",
    "Launch",
    "Outcome",
    "complete",
    "create_session",
    "get_session",
    "launch",
    "return_link",
    "sweep",
]
