"""shims.toml validation: every bad config fails with an error that names the field."""

from __future__ import annotations

import copy
import tomllib
from pathlib import Path
from typing import Any

import pytest

from webview_shims.config import (
    DEFAULT_CONFIG_PATH,
    KNOWN_KEYS,
    ConfigError,
    load_config,
    parse_config,
)

VALID: dict[str, Any] = {
    "app": {"name": "Acme", "ios_bundle_id": "com.acme.app", "android_package": "com.acme.app"},
    "web": {
        "trusted_origins": ["https://wise.com"],
        "return_urls": ["https://acme.example/onboarding/return"],
    },
}


def with_change(path: str, value: Any) -> dict[str, Any]:
    """VALID with ``table.key`` set to ``value`` (``...`` removes the key)."""
    raw = copy.deepcopy(VALID)
    table, _, key = path.partition(".")
    section = raw.setdefault(table, {})
    if value is ...:
        section.pop(key, None)
    else:
        section[key] = value
    return raw


BAD_CONFIGS = [
    ("web.trusted_origin", ["https://wise.com"], "web.trusted_origin", "unknown key"),
    ("permissions.flash", True, "permissions.flash", "unknown key"),
    ("android.package", "x", "android", "unknown table"),
    ("web.trusted_origins", ["http://wise.com"], "web.trusted_origins[0]", "must be https"),
    ("web.trusted_origins", ["ftp://wise.com"], "web.trusted_origins[0]", "must be https"),
    ("web.trusted_origins", ["wise.com"], "web.trusted_origins[0]", "not a valid URL"),
    ("web.trusted_origins", ["https://"], "web.trusted_origins[0]", "not a valid URL"),
    ("web.trusted_origins", ["https://wise.com:99999"], "web.trusted_origins[0]", "valid URL"),
    ("web.trusted_origins", ["https://wi se.com"], "web.trusted_origins[0]", "whitespace"),
    ("web.trusted_origins", ["https://wise.com/"], "web.trusted_origins[0]", "has no path"),
    ("web.trusted_origins", ["https://wise.com@evil.example"], "web.trusted_origins[0]", "user"),
    ("web.trusted_origins", ["https://wise_com"], "web.trusted_origins[0]", "host name"),
    ("web.trusted_origins", [], "web.trusted_origins", "at least one origin"),
    ("web.trusted_origins", "https://wise.com", "web.trusted_origins", "list of strings"),
    ("web.trusted_origins", [1], "web.trusted_origins[0]", "must be a string"),
    (
        "web.trusted_origins",
        ["https://wise.com", "https://WISE.com:443"],
        "web.trusted_origins[1]",
        "listed twice",
    ),
    ("web.return_urls", ..., "web.return_urls", "is required"),
    ("web.return_urls", [], "web.return_urls", "at least one return URL"),
    ("web.return_urls", ["javascript://x/alert(1)"], "web.return_urls[0]", "not javascript:"),
    ("web.return_urls", ["javascript:alert(1)"], "web.return_urls[0]", "not a valid URL"),
    ("web.return_urls", ["data://x/y"], "web.return_urls[0]", "not data:"),
    ("web.return_urls", ["http://acme.example/r"], "web.return_urls[0]", "must be https"),
    ("web.return_urls", ["https://acme.example/r?x=1"], "web.return_urls[0]", "?query"),
    ("web.return_urls", ["https://acme.example/r#done"], "web.return_urls[0]", "#fragment"),
    ("web.return_urls", ["https://acme.example/%7Er"], "web.return_urls[0]", "the path may"),
    ("web.return_urls", ["acme://"], "web.return_urls[0]", "not a valid URL"),
    ("generate.platforms", ["ios", "windows"], "generate.platforms[1]", "unknown platform"),
    ("generate.platforms", [], "generate.platforms", "non-empty list"),
    ("generate.platforms", ["ios", "ios"], "generate.platforms[1]", "listed twice"),
    ("app.ios_bundle_id", "acme", "app.ios_bundle_id", "not a bundle id"),
    ("app.ios_bundle_id", "com.acme app", "app.ios_bundle_id", "not a bundle id"),
    ("app.ios_bundle_id", ..., "app.ios_bundle_id", "is required"),
    ("app.android_package", "acme", "app.android_package", "at least two parts"),
    ("app.android_package", "com.acme.in", "app.android_package", "keyword"),
    ("app.android_package", "com.1acme", "app.android_package", "must start with a letter"),
    ("app.android_package", "com.acme-bank", "app.android_package", "must start with a letter"),
    ("app.android_package", ..., "app.android_package", "is required"),
    ("app.name", ..., "app.name", "is required"),
    ("app.name", 7, "app.name", "must be a string"),
    ("app.name", "  ", "app.name", "must not be empty"),
    ("app.name", "Acme\nBank", "app.name", "single line"),
    ("permissions.camera", "yes", "permissions.camera", "true or false"),
    ("ios.camera_usage_description", "", "ios.camera_usage_description", "must not be empty"),
]


@pytest.mark.parametrize(
    ("path", "value", "field", "message"),
    BAD_CONFIGS,
    ids=[f"{case[2]}-{case[3]}" for case in BAD_CONFIGS],
)
def test_bad_config_names_the_field(path: str, value: Any, field: str, message: str) -> None:
    with pytest.raises(ConfigError) as raised:
        parse_config(with_change(path, value))
    assert raised.value.field == field
    assert message in str(raised.value)
    assert str(raised.value).startswith(f"{field}: ")


def test_invalid_toml_names_the_file(tmp_path: Path) -> None:
    path = tmp_path / "shims.toml"
    path.write_text('[app]\nname = "Acme\n', encoding="utf-8")
    with pytest.raises(ConfigError, match="not valid TOML") as raised:
        load_config(path)
    assert raised.value.field == str(path)


def test_missing_file_names_the_file(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="cannot be read"):
        load_config(tmp_path / "absent.toml")


def test_defaults_follow_the_issue() -> None:
    raw: dict[str, Any] = {
        "app": {"name": "Acme", "ios_bundle_id": "com.acme.app", "android_package": "a.b"},
        "web": {"return_urls": ["acme://done"]},
    }
    config = parse_config(raw)
    assert config.trusted_origins == ("https://wise.com", "https://wise-sandbox.com")
    assert (config.camera, config.microphone, config.file_upload) == (True, False, True)
    assert config.platforms == ("ios", "android", "react_native", "flutter")
    assert "Acme" in config.camera_usage_description


def test_origins_are_serialised_like_browsers_do() -> None:
    config = parse_config(
        with_change(
            "web.trusted_origins",
            [
                "https://Wise.COM:443",
                "http://localhost:5000",
                "http://127.0.0.1",
                "https://a.b:8443",
            ],
        )
    )
    assert config.trusted_origins == (
        "https://wise.com",
        "http://localhost:5000",
        "http://127.0.0.1",
        "https://a.b:8443",
    )


def test_return_urls_are_matched_by_endpoint() -> None:
    config = parse_config(
        with_change("web.return_urls", ["Acme://Done", "https://acme.example:443/r/x"])
    )
    first, second = config.return_urls
    assert (first.scheme, first.host, first.path, first.endpoint) == (
        "acme",
        "done",
        "/",
        "acme://done/",
    )
    assert first.is_custom_scheme
    assert second.endpoint == "https://acme.example/r/x"
    assert config.system_browser_return_url is first


def test_platform_ids_are_only_required_for_their_platform() -> None:
    raw = with_change("generate.platforms", ["flutter", "react_native"])
    raw["app"] = {"name": "Acme"}
    config = parse_config(raw)
    assert config.platforms == ("react_native", "flutter")
    assert config.ios_bundle_id is None
    assert config.android_package is None


def test_the_documented_example_sets_every_key() -> None:
    # Every key of the schema appears in shims.toml, so the example documents all of them.
    raw = tomllib.loads(DEFAULT_CONFIG_PATH.read_text(encoding="utf-8"))
    assert {table: set(raw[table]) for table in raw} == {
        table: set(keys) for table, keys in KNOWN_KEYS.items()
    }
    text = DEFAULT_CONFIG_PATH.read_text(encoding="utf-8").splitlines()
    for number, line in enumerate(text):
        if "=" in line and not line.startswith("#"):
            assert text[number - 1].startswith("#"), f"shims.toml:{number + 1} has no comment"
