"""What a competent partner would write instead of the kit: the baselines of the benchmarks.

One small Flask app, served by gunicorn with the kit's settings, made of three parts:

- ``authlib_partner``: "Connect your Wise account" with Authlib's Flask client (state in Flask's
  signed session cookie, code exchange, profile read, date-of-birth check, tokens in one row);
- ``bare_webhook``: ``POST /webhooks/wise`` answering 200 and nothing else;
- ``bare_token``: one indexed row read, the token the Authlib part stored.

Configured from ``BENCH_BASELINE_*`` variables; ``create_app()`` is gunicorn's entry point. The
tokens live in the kit's own database, in a table of their own (``storage``).
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import asdict, dataclass, fields

from flask import Flask

from bench.baselines import authlib_partner, bare_token, bare_webhook, storage


@dataclass(frozen=True)
class BaselineSettings:
    """Where the baseline finds its database and Wise."""

    database_url: str
    public_url: str
    wise_api_url: str
    wise_authorize_url: str
    client_id: str
    client_secret: str
    secret_key: str

    @classmethod
    def from_env(cls, env: Mapping[str, str]) -> BaselineSettings:
        """Read ``BENCH_BASELINE_<FIELD>`` for every field."""
        return cls(**{f.name: env[f"BENCH_BASELINE_{f.name.upper()}"] for f in fields(cls)})

    def as_env(self) -> dict[str, str]:
        """The variables ``from_env`` reads."""
        return {f"BENCH_BASELINE_{k.upper()}": v for k, v in asdict(self).items()}


def create_app(settings: BaselineSettings | None = None) -> Flask:
    """Build the baseline app; without ``settings`` they come from the environment."""
    settings = settings or BaselineSettings.from_env(os.environ)
    app = Flask(__name__)
    app.config["SECRET_KEY"] = settings.secret_key
    storage.init_app(app, settings.database_url)
    authlib_partner.init_app(
        app,
        public_url=settings.public_url,
        wise_api_url=settings.wise_api_url,
        wise_authorize_url=settings.wise_authorize_url,
        client_id=settings.client_id,
        client_secret=settings.client_secret,
    )
    app.register_blueprint(authlib_partner.bp)
    app.register_blueprint(bare_webhook.bp)
    app.register_blueprint(bare_token.bp)

    @app.get("/healthz")
    def healthz() -> str:
        """Liveness, for the bench's readiness poll."""
        return "ok"

    return app
