"""The camera-check page file is self-contained, and its CSP hashes are the page's own."""

from __future__ import annotations

import base64
import hashlib
from html.parser import HTMLParser

import pytest

from backend.camera_check import (
    PERMISSIONS_POLICY,
    inline_hashes,
    page_csp,
    page_headers,
    page_html,
)


class Inventory(HTMLParser):
    """Every start tag with its attributes, and the text of script and style elements."""

    def __init__(self) -> None:
        super().__init__()
        self.tags: list[tuple[str, dict[str, str | None]]] = []
        self.blocks: dict[str, list[str]] = {"script": [], "style": []}
        self._open: str | None = None

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.append((tag, dict(attrs)))
        if tag in self.blocks:
            self._open = tag
            self.blocks[tag].append("")

    def handle_endtag(self, tag: str) -> None:
        if tag == self._open:
            self._open = None

    def handle_data(self, data: str) -> None:
        if self._open:
            self.blocks[self._open][-1] += data


@pytest.fixture(scope="module")
def inventory() -> Inventory:
    """The parsed page."""
    parser = Inventory()
    parser.feed(page_html())
    parser.close()
    return parser


def test_one_inline_script_and_one_inline_style(inventory: Inventory) -> None:
    assert [attrs for tag, attrs in inventory.tags if tag == "script"] == [{}]
    assert [attrs for tag, attrs in inventory.tags if tag == "style"] == [{}]


def test_nothing_is_loaded_from_anywhere(inventory: Inventory) -> None:
    for tag, attrs in inventory.tags:
        for name in ("src", "href", "action", "poster", "srcset", "data"):
            value = attrs.get(name)
            assert value is None or value.startswith("data:"), f"<{tag} {name}={value}>"


def test_no_inline_handlers_or_style_attributes(inventory: Inventory) -> None:
    # The CSP allows the one hashed <script> and <style>; attributes would be blocked anyway.
    for tag, attrs in inventory.tags:
        assert not [a for a in attrs if a.startswith("on") or a == "style"], tag


def test_csp_hashes_are_the_pages_own(inventory: Inventory) -> None:
    def sha(text: str) -> str:
        return "'sha256-" + base64.b64encode(hashlib.sha256(text.encode()).digest()).decode() + "'"

    assert inline_hashes(page_html()) == {
        "script": sha(inventory.blocks["script"][0]),
        "style": sha(inventory.blocks["style"][0]),
    }
    csp = page_csp()
    assert f"script-src {sha(inventory.blocks['script'][0])}" in csp
    assert "default-src 'none'" in csp
    assert "unsafe" not in csp


def test_inline_hashes_refuse_a_second_script() -> None:
    with pytest.raises(ValueError, match="exactly one inline <script>"):
        inline_hashes(page_html().replace("</body>", "<script>1</script></body>"))


def test_headers_for_the_backend() -> None:
    headers = page_headers()
    assert headers["Permissions-Policy"] == PERMISSIONS_POLICY == "camera=(self)"
    assert headers["Content-Security-Policy"] == page_csp()
    assert headers["Referrer-Policy"] == "no-referrer"
