"""``make shims-compile``: compile or type-check the generated shims with the real toolchains.

Tree-sitter only proves the generated files parse. This package proves they compile: TypeScript
with ``tsc`` against the real npm typings (oldest and current versions), Kotlin with JetBrains'
``kotlinc`` against API 23's real ``android.jar`` plus small stubs, Swift with ``swiftc`` against
stub modules of Apple's frameworks, and Dart with ``dart analyze`` against Flutter's own sources
plus plugin stubs. Swift and Dart run in a Debian sid chroot.

Everything is fetched from the registries (npm, Debian, PyPI) into a git-ignored cache, so a
fresh clone builds it all and later runs reuse it. ``--self-test`` feeds each check mutated copies
of the shims and fails unless every mutant is rejected. Run ``python -m webview_shims.compile
--help``; the README next to this file explains what each check proves and what it does not.
"""
