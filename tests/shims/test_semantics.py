"""What the generated manifest and Info.plist grant, derived from the config (not golden text).

Golden files catch drift but are regenerated with the templates; these checks say what the output
must mean for each config, parsed as XML and plist rather than matched as text.
"""

from __future__ import annotations

import plistlib
import xml.etree.ElementTree as ET

import pytest

from tests.shims.conftest import CONFIG_PATHS, rendered
from webview_shims.config import ShimsConfig, load_config

ANDROID = "{http://schemas.android.com/apk/res/android}"


def config_named(name: str) -> ShimsConfig:
    return load_config(CONFIG_PATHS[name])


@pytest.mark.parametrize("name", sorted(CONFIG_PATHS))
def test_manifest_asks_for_exactly_the_permissions_the_config_needs(name: str) -> None:
    config = config_named(name)
    manifest = ET.fromstring(rendered(name)["android/AndroidManifest.xml"])
    permissions = {e.get(f"{ANDROID}name") for e in manifest.iter("uses-permission")}
    expected = {"android.permission.INTERNET"}
    if config.camera or config.file_upload:
        expected.add("android.permission.CAMERA")
    if config.microphone:
        expected.add("android.permission.RECORD_AUDIO")
    assert permissions == expected
    queried = {
        action.get(f"{ANDROID}name")
        for intent in manifest.iter("intent")
        for action in intent.iter("action")
    }
    assert "android.media.action.IMAGE_CAPTURE" in queried
    assert "android.support.customtabs.action.CustomTabsService" in queried


@pytest.mark.parametrize("name", sorted(CONFIG_PATHS))
def test_every_return_url_has_its_own_intent_filter(name: str) -> None:
    config = config_named(name)
    manifest = ET.fromstring(rendered(name)["android/AndroidManifest.xml"])
    filters = set()
    for intent_filter in manifest.iter("intent-filter"):
        data: dict[str, str] = {}
        for element in intent_filter.iter("data"):
            for attribute in ("scheme", "host", "path"):
                value = element.get(f"{ANDROID}{attribute}")
                if value is not None:
                    data[attribute] = value
        actions = {a.get(f"{ANDROID}name") for a in intent_filter.iter("action")}
        categories = {c.get(f"{ANDROID}name") for c in intent_filter.iter("category")}
        assert actions == {"android.intent.action.VIEW"}
        assert "android.intent.category.BROWSABLE" in categories
        filters.add((data.get("scheme"), data.get("host"), data.get("path")))
    expected = {(url.scheme, url.host, url.path) for url in config.return_urls}
    assert filters == expected


@pytest.mark.parametrize("name", sorted(CONFIG_PATHS))
def test_info_plist_has_a_usage_string_for_each_enabled_capability(name: str) -> None:
    config = config_named(name)
    keys = plistlib.loads(rendered(name)["ios/Info.plist"].encode())
    expected = {}
    if config.camera:
        expected["NSCameraUsageDescription"] = config.camera_usage_description
    if config.microphone:
        expected["NSMicrophoneUsageDescription"] = config.microphone_usage_description
    if config.file_upload:
        expected["NSPhotoLibraryUsageDescription"] = config.photo_library_usage_description
    assert keys == expected


@pytest.mark.parametrize("name", sorted(CONFIG_PATHS))
def test_manifest_declares_the_shims_own_file_provider_only_with_uploads(name: str) -> None:
    config = config_named(name)
    manifest = ET.fromstring(rendered(name)["android/AndroidManifest.xml"])
    providers = [
        (p.get(f"{ANDROID}name"), p.get(f"{ANDROID}authorities"), p.get(f"{ANDROID}exported"))
        for p in manifest.iter("provider")
    ]
    if not config.file_upload:
        assert providers == []
        return
    # A subclass, never androidx.core.content.FileProvider itself: the manifest merger matches
    # providers by class name, so a plain FileProvider clashes with the app's own.
    assert providers == [
        (
            f"{config.android_package}.wiseonboarding.WiseOnboardingFileProvider",
            "${applicationId}.wiseonboarding.fileprovider",
            "false",
        )
    ]
