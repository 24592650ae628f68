"""``onboarding-kit emulator``: serve the Wise emulator on loopback."""

from __future__ import annotations

import logging
import threading

import click

from sample_app.serving import ServerThread

from .app import create_emulator_app
from .config import DEMO_CLIENT, EmulatorConfig, RegisteredClient

# The kit's OAuth callback at its default public URL (ONBOARDING_PUBLIC_BASE_URL), so a kit and an
# emulator both started with their defaults agree. The emulator only knows the kit over HTTP.
KIT_REDIRECT_URI = "http://localhost:5000/oauth/wise/callback"


@click.command("emulator")
@click.option("--host", default="127.0.0.1", show_default=True, help="Interface to listen on.")
@click.option("--port", default=5001, show_default=True, type=int, help="Port to listen on.")
@click.option("--client-id", default=DEMO_CLIENT.client_id, show_default=True)
@click.option("--client-secret", default=DEMO_CLIENT.client_secret, show_default=True)
@click.option("--client-key", default=DEMO_CLIENT.client_key, show_default=True)
@click.option(
    "--redirect-uri",
    "redirect_uris",
    multiple=True,
    default=(KIT_REDIRECT_URI,),
    show_default=True,
    help="A redirect URI the client may use (exact match; repeat for more). The default is the "
    "kit's callback at its default address.",
)
@click.option("--client-name", default=DEMO_CLIENT.name, show_default=True)
@click.option(
    "--partner-app-url",
    default=None,
    help="The partner app customers start from; the landing page at / links to it.",
)
@click.option(
    "--demo-allow-loopback-http-webhooks",
    is_flag=True,
    help="Demo only: accept http:// and loopback webhook URLs (Wise accepts only https on port "
    "443 at a domain name).",
)
def emulator(
    host: str,
    port: int,
    client_id: str,
    client_secret: str,
    client_key: str,
    redirect_uris: tuple[str, ...],
    client_name: str,
    partner_app_url: str | None,
    demo_allow_loopback_http_webhooks: bool,
) -> None:
    """Serve a local Wise emulator (authorize pages, OAuth, profiles, webhooks)."""
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(name)s %(message)s")
    client = RegisteredClient(
        client_id=client_id,
        client_secret=client_secret,
        client_key=client_key,
        redirect_uris=list(redirect_uris),
        name=client_name,
    )
    app = create_emulator_app(
        EmulatorConfig(
            clients=[client],
            partner_app_url=partner_app_url,
            demo_allow_loopback_http_webhooks=demo_allow_loopback_http_webhooks,
        )
    )
    server = ServerThread(app, host=host, port=port).start()
    url = f"http://{host}:{server.port}"
    click.echo(f"Wise emulator on {url}")
    click.echo(f"  authorize: {url}/oauth/authorize/?client_id={client_id}&redirect_uri=...")
    click.echo(f"  control API: {url}/__emulator/  (see docs/emulator.md)")
    click.echo(f"  redirect URIs of {client_id}: {', '.join(redirect_uris)}")
    try:
        threading.Event().wait()
    except KeyboardInterrupt:
        click.echo("stopping")
    finally:
        server.stop()
        app.extensions["wise_emulator"].close()
