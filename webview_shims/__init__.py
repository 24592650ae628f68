"""Generate webview code for iOS, Android, React Native and Flutter that lets Wise's onboarding use
the camera, for trusted origins only; and the camera-check page that diagnoses a device.

The generator never imports the backend: partners can run it on its own.
"""

from __future__ import annotations

from webview_shims.config import ConfigError, ReturnUrl, ShimsConfig, load_config, parse_config
from webview_shims.render import diff_tree, make_environment, render_files, write_tree

__all__ = [
    "ConfigError",
    "ReturnUrl",
    "ShimsConfig",
    "diff_tree",
    "load_config",
    "make_environment",
    "parse_config",
    "render_files",
    "write_tree",
]
