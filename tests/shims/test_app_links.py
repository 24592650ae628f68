"""https return URLs: app identities in the config, entitlements, App Links, and the kit's files."""

from __future__ import annotations

import plistlib
import xml.etree.ElementTree as ET
from typing import Any

import pytest

from backend.blueprints.app_links import apple_app_site_association, asset_links
from backend.settings import load_settings
from webview_shims.config import ConfigError, ShimsConfig, parse_config
from webview_shims.render import render_files

ANDROID = "{http://schemas.android.com/apk/res/android}"
CERT = ":".join(f"{i:02x}" for i in range(32))


def config(**web: Any) -> dict[str, Any]:
    """A minimal valid config; ``web`` overrides the [web] table."""
    return {
        "app": {
            "name": "Acme",
            "ios_bundle_id": "com.acme.bank",
            "android_package": "com.acme.bank",
            "ios_team_id": "ABCDE12345",
            "android_cert_sha256": [CERT],
        },
        "web": {
            "return_urls": [
                "https://kit.acme.example/wise/return",
                "acmebank://wise/return",
                "https://kit.acme.example/wise/again",
            ],
            **web,
        },
    }


@pytest.mark.parametrize(
    ("app", "field"),
    [
        ({"ios_team_id": "abcde12345"}, "app.ios_team_id"),
        ({"ios_team_id": "ABCDE1234"}, "app.ios_team_id"),
        ({"android_cert_sha256": ["AB:CD"]}, "app.android_cert_sha256[0]"),
        ({"android_cert_sha256": "AB:CD"}, "app.android_cert_sha256"),
    ],
)
def test_bad_app_identities_name_the_field(app: dict[str, Any], field: str) -> None:
    raw = config()
    raw["app"].update(app)

    with pytest.raises(ConfigError) as caught:
        parse_config(raw)
    assert caught.value.field == field


def test_identities_are_read_and_normalised() -> None:
    parsed = parse_config(config())

    assert parsed.ios_app_id == "ABCDE12345.com.acme.bank"
    assert parsed.android_cert_sha256 == (CERT.upper(),)
    assert parsed.app_link_hosts == ("kit.acme.example",)


def _intent_filters(manifest: str) -> list[ET.Element]:
    root = ET.fromstring(manifest)
    return root.findall("./application/activity/intent-filter")


def _data(intent_filter: ET.Element, attribute: str) -> list[str]:
    return [d.get(ANDROID + attribute, "") for d in intent_filter.findall("data")]


def test_manifest_and_entitlements_claim_exactly_the_https_return_urls() -> None:
    files = render_files(parse_config(config()))

    entitlements = plistlib.loads(files["ios/WiseOnboarding.entitlements"].encode())
    assert entitlements == {
        "com.apple.developer.associated-domains": [
            "applinks:kit.acme.example",
            "webcredentials:kit.acme.example",
        ]
    }
    filters = _intent_filters(files["android/AndroidManifest.xml"])
    verified = [f for f in filters if f.get(ANDROID + "autoVerify") == "true"]
    assert [(_data(f, "scheme"), _data(f, "host"), _data(f, "path")) for f in verified] == [
        (["https", "", ""], ["", "kit.acme.example", ""], ["", "", "/wise/return"]),
        (["https", "", ""], ["", "kit.acme.example", ""], ["", "", "/wise/again"]),
    ]
    custom = [f for f in filters if f.get(ANDROID + "autoVerify") is None]
    assert [_data(f, "scheme")[0] for f in custom] == ["acmebank"]


def test_no_https_return_url_means_no_entitlements() -> None:
    files = render_files(parse_config(config(return_urls=["acmebank://wise/return"])))

    assert "ios/WiseOnboarding.entitlements" not in files
    assert "autoVerify" not in files["android/AndroidManifest.xml"]
    assert "Add one to\n`web.return_urls`" in files["README.md"]


def _kit_settings_for(shims: ShimsConfig) -> dict[str, str]:
    """The settings the generated README tells the backend team to set, as the kit reads them."""
    host = shims.app_link_hosts[0]
    return {
        "ONBOARDING_ENV": "test",
        "ONBOARDING_PUBLIC_BASE_URL": f"https://{host}",
        "ONBOARDING_RETURN_URLS": ",".join(r.url for r in shims.return_urls),
        "ONBOARDING_APP_LINKS_IOS_APP_IDS": shims.ios_app_id or "",
        "ONBOARDING_APP_LINKS_ANDROID_PACKAGE": shims.android_package or "",
        "ONBOARDING_APP_LINKS_ANDROID_CERT_SHA256": ",".join(shims.android_cert_sha256),
    }


def test_the_kit_serves_what_the_generated_app_claims() -> None:
    shims = parse_config(config())
    files = render_files(shims)
    settings = load_settings(_kit_settings_for(shims))

    readme = files["README.md"]
    for name, value in _kit_settings_for(shims).items():
        if name.startswith("ONBOARDING_APP_LINKS_"):
            assert f"| `{name}` | `{value}` |" in readme
    aasa = apple_app_site_association(settings)
    assert aasa is not None
    [details] = aasa["applinks"]["details"]
    assert details["appIDs"] == [shims.ios_app_id]
    manifest_paths = [
        path
        for f in _intent_filters(files["android/AndroidManifest.xml"])
        if f.get(ANDROID + "autoVerify") == "true"
        for path in _data(f, "path")
        if path
    ]
    assert [c["/"] for c in details["components"]] == manifest_paths
    links = asset_links(settings)
    assert links is not None
    assert links[0]["target"]["package_name"] == shims.android_package
    assert links[0]["target"]["sha256_cert_fingerprints"] == list(shims.android_cert_sha256)


def test_ios_launcher_uses_https_from_17_4_and_the_scheme_before() -> None:
    both = render_files(parse_config(config()))["ios/WiseOnboardingAuthSession.swift"]
    https_only = render_files(
        parse_config(config(return_urls=["https://kit.acme.example/wise/return"]))
    )["ios/WiseOnboardingAuthSession.swift"]
    scheme_only = render_files(parse_config(config(return_urls=["acmebank://wise/return"])))[
        "ios/WiseOnboardingAuthSession.swift"
    ]

    assert 'static let httpsCallbackHost = "kit.acme.example"' in both
    assert 'static let httpsCallbackPath = "/wise/return"' in both
    assert ".https(host: Self.httpsCallbackHost, path: Self.httpsCallbackPath)" in both
    assert "callbackURLScheme: Self.callbackScheme" in both
    assert "httpsCallbackNeedsIOS17_4)" not in both
    assert "httpsCallbackNeedsIOS17_4)" in https_only
    assert "callbackURLScheme:" not in https_only
    assert ".https(" not in scheme_only
    assert ".customScheme(Self.callbackScheme)" in scheme_only
