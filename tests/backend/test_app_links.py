"""The apple-app-site-association and assetlinks.json files that claim https return URLs."""

from __future__ import annotations

from typing import Any

import pytest
from flask import Flask

from backend import create_app
from backend.settings import SettingsError, load_settings

AASA = "/.well-known/apple-app-site-association"
ASSET_LINKS = "/.well-known/assetlinks.json"
KIT = "https://onboarding.acme.example"
CERT = ":".join(f"{i:02X}" for i in range(32))
OTHER_CERT = ":".join(f"{255 - i:02X}" for i in range(32))
APP_LINKS = {
    "ONBOARDING_PUBLIC_BASE_URL": KIT,
    "ONBOARDING_RETURN_URLS": ",".join(
        [
            f"{KIT}/wise/return",
            f"{KIT}/wise/return-business",
            "acmebank://wise/return",  # an app scheme: nothing to claim
            "https://other.acme.example/wise/return",  # another host serves its own files
            f"{KIT}:8443/wise/return-on-a-port",  # another origin
        ]
    ),
    "ONBOARDING_APP_LINKS_IOS_APP_IDS": "ABCDE12345.com.acme.bank,ABCDE12345.com.acme.bank.beta",
    "ONBOARDING_APP_LINKS_ANDROID_PACKAGE": "com.acme.bank",
    "ONBOARDING_APP_LINKS_ANDROID_CERT_SHA256": f"{CERT.lower()}, {OTHER_CERT}",
}


def make_app(config: dict[str, Any], **overrides: str) -> Flask:
    """The kit with app links configured, plus overrides."""
    return create_app({**config, **APP_LINKS, **overrides})


def test_apple_app_site_association_lists_exactly_the_kit_return_paths(
    config: dict[str, Any],
) -> None:
    response = make_app(config).test_client().get(AASA)

    assert response.status_code == 200
    assert response.mimetype == "application/json"
    assert "Location" not in response.headers
    # Apple's documented format (iOS 13+): applinks.details[].appIDs and components.
    assert response.get_json() == {
        "applinks": {
            "details": [
                {
                    "appIDs": ["ABCDE12345.com.acme.bank", "ABCDE12345.com.acme.bank.beta"],
                    "components": [{"/": "/wise/return"}, {"/": "/wise/return-business"}],
                }
            ]
        },
        "webcredentials": {"apps": ["ABCDE12345.com.acme.bank", "ABCDE12345.com.acme.bank.beta"]},
    }


def test_asset_links_names_the_package_and_its_certificates(config: dict[str, Any]) -> None:
    response = make_app(config).test_client().get(ASSET_LINKS)

    assert response.status_code == 200
    assert response.mimetype == "application/json"
    assert "Location" not in response.headers
    # Google's Digital Asset Links statement list; fingerprints as uppercase hex pairs.
    assert response.get_json() == [
        {
            "relation": ["delegate_permission/common.handle_all_urls"],
            "target": {
                "namespace": "android_app",
                "package_name": "com.acme.bank",
                "sha256_cert_fingerprints": [CERT, OTHER_CERT],
            },
        }
    ]


@pytest.mark.parametrize("path", [AASA, ASSET_LINKS])
def test_files_are_not_redirected_or_served_under_other_names(
    config: dict[str, Any], path: str
) -> None:
    client = make_app(config).test_client()

    assert client.get(path, follow_redirects=False).status_code == 200
    # Apple fetches the file without an extension and follows no redirect: no variant of the
    # name answers with a redirect to the real one.
    for variant in (path + "/", path + ".json", path.upper()):
        answer = client.get(variant, follow_redirects=False)
        assert answer.status_code == 404, variant
        assert "Location" not in answer.headers


@pytest.mark.parametrize(
    ("overrides", "missing"),
    [
        ({"ONBOARDING_APP_LINKS_IOS_APP_IDS": ""}, AASA),
        (
            {
                "ONBOARDING_APP_LINKS_ANDROID_PACKAGE": "",
                "ONBOARDING_APP_LINKS_ANDROID_CERT_SHA256": "",
            },
            ASSET_LINKS,
        ),
    ],
)
def test_missing_settings_answer_404_not_an_empty_file(
    config: dict[str, Any], overrides: dict[str, str], missing: str
) -> None:
    client = make_app(config, **overrides).test_client()

    assert client.get(missing).status_code == 404
    present = ASSET_LINKS if missing == AASA else AASA
    assert client.get(present).status_code == 200


def test_no_https_return_url_on_the_kit_host_answers_404(config: dict[str, Any]) -> None:
    client = make_app(
        config, ONBOARDING_RETURN_URLS="acmebank://wise/return,https://app.acme.example/return"
    ).test_client()

    assert client.get(AASA).status_code == 404
    assert client.get(ASSET_LINKS).status_code == 404


def test_unconfigured_kit_serves_neither_file(client: Any) -> None:
    assert client.get(AASA).status_code == 404
    assert client.get(ASSET_LINKS).status_code == 404


@pytest.mark.parametrize(
    ("overrides", "variable"),
    [
        ({"ONBOARDING_APP_LINKS_IOS_APP_IDS": "com.acme.bank"}, "ONBOARDING_APP_LINKS_IOS_APP_IDS"),
        (
            {"ONBOARDING_APP_LINKS_IOS_APP_IDS": "abcde12345.com.acme.bank"},
            "ONBOARDING_APP_LINKS_IOS_APP_IDS",
        ),
        (
            {"ONBOARDING_APP_LINKS_ANDROID_PACKAGE": "acme"},
            "ONBOARDING_APP_LINKS_ANDROID_PACKAGE",
        ),
        (
            {"ONBOARDING_APP_LINKS_ANDROID_CERT_SHA256": "AB:CD"},
            "ONBOARDING_APP_LINKS_ANDROID_CERT_SHA256",
        ),
        (
            {"ONBOARDING_APP_LINKS_ANDROID_CERT_SHA256": ""},
            "ONBOARDING_APP_LINKS_ANDROID_CERT_SHA256",
        ),
        ({"ONBOARDING_RETURN_URLS": f"{KIT}/wise/*"}, "ONBOARDING_RETURN_URLS"),
    ],
)
def test_invalid_app_link_settings_name_the_variable(
    config: dict[str, Any], overrides: dict[str, str], variable: str
) -> None:
    environ = {k: v for k, v in {**config, **APP_LINKS, **overrides}.items() if k != "CLOCK"}

    with pytest.raises(SettingsError, match=variable):
        load_settings(environ)
