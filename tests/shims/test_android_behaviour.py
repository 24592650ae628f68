"""What the generated Android code does, read from its syntax tree for the default and golden
configs: which resources a page can be granted, the file chooser, and the FileProvider.

The golden files are regenerated with the templates, so they cannot catch a template that stops
doing one of these; these checks say what the code must do whatever the golden files contain.
"""

from __future__ import annotations

from pathlib import Path

import pytest
import tree_sitter

from tests.shims.calls import (
    body_of,
    calls,
    calls_to,
    classes,
    enclosing,
    function,
    functions,
    kotlin_modifiers,
    kotlin_parameters,
    names_in,
    supertypes,
)
from tests.shims.conftest import CONFIG_PATHS
from tests.shims.syntax import Source, find_declaration, identifiers, parse_file, strings_in, walk
from webview_shims.config import ShimsConfig, load_config

ACTIVITY = "android/WiseOnboardingActivity.kt"
POLICY = "android/WiseOnboardingPolicy.kt"
QUICKSTART = "quickstart/PermissionQuickStart.kt"
FILE_PROVIDER = "android/WiseOnboardingFileProvider.kt"
# Never granted by any configuration: DRM identifiers and MIDI system-exclusive access.
NEVER_GRANTED = ("RESOURCE_PROTECTED_MEDIA_ID", "RESOURCE_MIDI_SYSEX")


def source(render_dir: Path, config: str, relative: str) -> Source:
    """Parse one generated file of one config."""
    return parse_file(render_dir / config / relative)


def expected_resources(config: ShimsConfig) -> set[str]:
    """The WebView resources the config lets a trusted page have."""
    resources = set()
    if config.camera:
        resources.add("RESOURCE_VIDEO_CAPTURE")
    if config.microphone:
        resources.add("RESOURCE_AUDIO_CAPTURE")
    return resources


def chain_root(node: tree_sitter.Node) -> tree_sitter.Node:
    """The first call of a chain such as ``a(x).filter { }.map { }``: ``a(x)``."""
    while node.type == "call_expression" and node.children[0].type == "navigation_expression":
        receiver = node.children[0].children[0]
        if receiver.type != "call_expression":
            break
        node = receiver
    return node


def local_initializer(src: Source, scope: tree_sitter.Node, name: str) -> tree_sitter.Node:
    """The value a ``val name = ...`` declared under ``scope`` starts with."""
    found = [
        node.named_children[-1]
        for node in walk(scope)
        if node.type == "property_declaration"
        and src.text(node.child_by_field_name("name") or node.named_children[0]) == name
    ]
    assert len(found) == 1, f"{src.path}: {len(found)} declarations of {name} in scope"
    return found[0]


@pytest.mark.parametrize("config", CONFIG_PATHS)
def test_every_grant_hands_over_only_the_filtered_resources(render_dir: Path, config: str) -> None:
    src = source(render_dir, config, ACTIVITY)
    grants = calls_to(src, src.root, "request.grant")
    assert len(grants) == 2, "onPermissionRequest and the answer after the runtime prompt"
    for grant in grants:
        [(_, argument)] = grant.arguments
        assert "resources" not in names_in(src, argument), f"{src.where(argument)} grants all"
        [conversion] = calls(src, argument)
        local, _, method = conversion.callee.partition(".")
        assert method == "toTypedArray"
        assert conversion.node == argument
        scope = enclosing(grant.node, {"function_declaration"})
        assert scope is not None
        root = chain_root(local_initializer(src, scope, local))
        assert calls(src, root)[0].callee == "allowedResources", src.text(root)


@pytest.mark.parametrize("config", CONFIG_PATHS)
def test_allowed_resources_filters_by_the_policy_set(render_dir: Path, config: str) -> None:
    src = source(render_dir, config, ACTIVITY)
    body = body_of(src, function(src, "allowedResources"))
    [filtering] = calls_to(src, body, "request.resources.filter")
    tests = [n for n in walk(filtering.node) if n.type == "in_expression"]
    assert [src.text(n) for n in tests] == ["it in WiseOnboardingPolicy.ALLOWED_RESOURCES"]


def _constant(src: Source, name: str) -> bool:
    value = src.text(find_declaration(src, name).named_children[-1])
    assert value in {"true", "false"}, f"{name} = {value}"
    return value == "true"


@pytest.mark.parametrize("config", CONFIG_PATHS)
def test_policy_allows_exactly_the_configured_resources(render_dir: Path, config: str) -> None:
    # Evaluate ALLOWED_RESOURCES = buildSet { if (FLAG) add(PermissionRequest.X) ... }.
    src = source(render_dir, config, POLICY)
    allowed = set()
    for add in calls_to(src, find_declaration(src, "ALLOWED_RESOURCES"), "add"):
        [(_, value)] = add.arguments
        guard = enclosing(add.node, {"if_expression"})
        condition = guard.child_by_field_name("condition") if guard is not None else None
        if condition is None or _constant(src, src.text(condition)):
            allowed.add(src.text(value).removeprefix("PermissionRequest."))
    assert allowed == expected_resources(load_config(CONFIG_PATHS[config]))


@pytest.mark.parametrize("config", CONFIG_PATHS)
def test_quick_start_grants_exactly_the_configured_resources(render_dir: Path, config: str) -> None:
    src = source(render_dir, config, QUICKSTART)
    wanted = find_declaration(src, "wanted")
    named = {n for n in names_in(src, wanted) if n.startswith("RESOURCE_")}
    assert named == expected_resources(load_config(CONFIG_PATHS[config]))
    [grant] = calls_to(src, src.root, "request.grant")
    assert [src.text(value) for _, value in grant.arguments] == ["wanted.toTypedArray()"]


@pytest.mark.parametrize("config", CONFIG_PATHS)
@pytest.mark.parametrize("relative", [ACTIVITY, POLICY, QUICKSTART])
def test_drm_and_midi_are_never_named(render_dir: Path, config: str, relative: str) -> None:
    src = source(render_dir, config, relative)
    for name in NEVER_GRANTED:
        assert identifiers(src, name) == [], f"{relative} mentions {name}"


def _chrome_client(src: Source) -> tree_sitter.Node:
    [client] = [
        c
        for c in walk(src.root)
        if c.type == "class_declaration" and supertypes(src, c) == ["WebChromeClient()"]
    ]
    name = src.text(client.child_by_field_name("name") or client.named_children[0])
    assignments = [
        n
        for n in walk(src.root)
        if n.type == "assignment" and src.text(n.children[-1]) == f"{name}()"
    ]
    assert [src.text(n.children[0]) for n in assignments] == ["webView.webChromeClient"]
    return client


@pytest.mark.parametrize("config", CONFIG_PATHS)
def test_file_chooser_exists_exactly_when_uploads_are_on(render_dir: Path, config: str) -> None:
    src = source(render_dir, config, ACTIVITY)
    choosers = functions(src, "onShowFileChooser")
    if not load_config(CONFIG_PATHS[config]).file_upload:
        # Not overridden: WebChromeClient's default answers false, so the picker never opens.
        assert choosers == []
        return
    [chooser] = choosers
    assert enclosing(chooser, {"class_declaration"}) == _chrome_client(src)
    assert "override" in kotlin_modifiers(src, chooser)
    assert [(p.name, p.type) for p in kotlin_parameters(src, chooser)] == [
        ("view", "WebView"),
        ("filePathCallback", "ValueCallback<Array<Uri>>"),
        ("fileChooserParams", "WebChromeClient.FileChooserParams"),
    ]
    returns = [n for n in walk(body_of(src, chooser)) if n.type == "return_expression"]
    assert returns, "onShowFileChooser answers"
    assert {src.text(n) for n in returns} == {"return true"}


def _package(src: Source) -> str:
    [header] = [n for n in src.root.children if n.type == "package_header"]
    return src.text(header.named_children[-1])


@pytest.mark.parametrize("config", CONFIG_PATHS)
def test_uploads_use_the_shims_own_file_provider(render_dir: Path, config: str) -> None:
    settings = load_config(CONFIG_PATHS[config])
    provider_file = render_dir / config / FILE_PROVIDER
    activity = source(render_dir, config, ACTIVITY)
    uri_calls = calls_to(activity, activity.root, "FileProvider.getUriForFile")
    if not settings.file_upload:
        assert not provider_file.exists()
        assert uri_calls == []
        return
    src = parse_file(provider_file)
    assert _package(src) == _package(activity) == f"{settings.android_package}.wiseonboarding"
    [provider] = classes(src, "WiseOnboardingFileProvider")
    assert supertypes(src, provider) == ["FileProvider()"]
    assert strings_in(src, find_declaration(src, "AUTHORITY_SUFFIX")) == [
        ".wiseonboarding.fileprovider"
    ]
    [uri_call] = uri_calls
    assert uri_call.arguments[1][1].type == "call_expression"
    assert [c.callee for c in calls(activity, uri_call.arguments[1][1])] == [
        "WiseOnboardingFileProvider.authority"
    ]
