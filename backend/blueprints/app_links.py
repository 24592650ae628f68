"""The files that let the partner's app open the kit's https return URLs (RFC 8252, 7.2).

iOS fetches ``/.well-known/apple-app-site-association`` (Universal Links) and Android fetches
``/.well-known/assetlinks.json`` (App Links) from the return URL's host. Both must be answered
directly with 200 and JSON: Apple follows no redirect, and neither accepts an empty file, so an
unconfigured kit answers 404 instead.
"""

from __future__ import annotations

import json
from typing import Any

from flask import Blueprint, Response

from backend import extensions
from backend.errors import NotFound
from backend.settings import Settings

bp = Blueprint("app_links", __name__)


def apple_app_site_association(settings: Settings) -> dict[str, Any] | None:
    """The Universal Links file, or None when no iOS app or no https return URL is configured."""
    app_ids = list(settings.app_links_ios_app_ids)
    paths = settings.app_link_paths
    if not app_ids or not paths:
        return None
    return {
        "applinks": {
            # iOS 13+ format. No wildcard: exactly the return paths, any query.
            "details": [{"appIDs": app_ids, "components": [{"/": path} for path in paths]}]
        },
        # ASWebAuthenticationSession's https callback (iOS 17.4+) needs this association too.
        "webcredentials": {"apps": app_ids},
    }


def asset_links(settings: Settings) -> list[dict[str, Any]] | None:
    """The Digital Asset Links statement, or None without an Android app or https return URL."""
    if not settings.app_links_android_package or not settings.app_link_paths:
        return None
    return [
        {
            "relation": ["delegate_permission/common.handle_all_urls"],
            "target": {
                "namespace": "android_app",
                "package_name": settings.app_links_android_package,
                "sha256_cert_fingerprints": list(settings.app_links_android_cert_sha256),
            },
        }
    ]


def _json_file(document: object | None) -> Response:
    if document is None:
        raise NotFound()
    return Response(json.dumps(document, indent=2) + "\n", mimetype="application/json")


@bp.get("/.well-known/apple-app-site-association")
def apple_app_site_association_file() -> Response:
    """Serve the Universal Links file: JSON without a file extension, never redirected."""
    return _json_file(apple_app_site_association(extensions.settings()))


@bp.get("/.well-known/assetlinks.json")
def asset_links_file() -> Response:
    """Serve the Android App Links statement."""
    return _json_file(asset_links(extensions.settings()))
