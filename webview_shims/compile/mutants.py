"""Mutated copies of the generated shims that each check must reject (``--self-test``).

Each mutant is one near-miss a person could write: a misspelled property, a wrong argument
label, a wrong enum case, an override that overrides nothing, or a warning. The text it replaces
must occur exactly once in the committed output, so a mutant cannot go stale unnoticed.
"""

from __future__ import annotations

import shutil
from dataclasses import dataclass
from pathlib import Path

from webview_shims.compile.workspace import CheckError, ShimTree


@dataclass(frozen=True)
class Mutant:
    """Replace ``before`` with ``after`` in ``path`` of the committed output."""

    check: str
    kind: str
    path: str
    before: str
    after: str

    def apply(self, source: ShimTree, work: Path) -> ShimTree:
        """A copy of ``source`` under ``work`` with this one change."""
        target = work / "mutant"
        if target.exists():
            shutil.rmtree(target)
        shutil.copytree(source.root, target)
        file = target / self.path
        text = file.read_text(encoding="utf-8")
        if text.count(self.before) != 1:
            raise CheckError(
                f"mutant '{self.kind}' is stale: {self.before!r} occurs "
                f"{text.count(self.before)} times in {self.path}, not once"
            )
        file.write_text(text.replace(self.before, self.after), encoding="utf-8")
        return ShimTree(source.name, target)


RN = "react-native/WiseOnboardingWebView.tsx"
KT_ACTIVITY = "android/WiseOnboardingActivity.kt"
SWIFT_VC = "ios/WiseOnboardingViewController.swift"
SWIFT_POLICY = "ios/WiseOnboardingPolicy.swift"
DART = "flutter/wise_onboarding_webview.dart"

MUTANTS: tuple[Mutant, ...] = (
    Mutant(
        "typescript",
        "misspelled property",
        RN,
        "request.isTopFrame !== false &&",
        "request.isTopFrme !== false &&",
    ),
    Mutant(
        "typescript",
        "wrong argument label (destructured prop)",
        RN,
        "({ url, onFinish }: WiseOnboardingWebViewProps)",
        "({ url, onFinished }: WiseOnboardingWebViewProps)",
    ),
    Mutant(
        "typescript",
        "wrong enum case",
        RN,
        'mediaCapturePermissionGrantType="grantIfSameHostElseDeny"',
        'mediaCapturePermissionGrantType="grantIfSameHostElseDenied"',
    ),
    Mutant(
        "typescript",
        "handler whose signature fits no prop",
        RN,
        "(request: ShouldStartLoadRequest): boolean => {",
        "(request: ShouldStartLoadRequest, frame: string): boolean => {",
    ),
    Mutant(
        "kotlin",
        "misspelled property",
        KT_ACTIVITY,
        "mediaPlaybackRequiresUserGesture = false",
        "mediaPlaybackRequiresUserGestures = false",
    ),
    Mutant(
        "kotlin",
        "wrong argument label",
        KT_ACTIVITY,
        "openFileChooser(withCamera = granted)",
        "openFileChooser(camera = granted)",
    ),
    Mutant(
        "kotlin",
        "wrong enum case (constant)",
        KT_ACTIVITY,
        "                    setResult(Activity.RESULT_CANCELED)",
        "                    setResult(Activity.RESULT_CANCELLED)",
    ),
    Mutant(
        "kotlin",
        "override that overrides nothing",
        KT_ACTIVITY,
        "override fun onPermissionRequestCanceled(",
        "override fun onPermissionRequestCancelled(",
    ),
    Mutant(
        "kotlin",
        "override with a wrong parameter type",
        KT_ACTIVITY,
        "filePathCallback: ValueCallback<Array<Uri>>,",
        "filePathCallback: ValueCallback<Uri>,",
    ),
    Mutant(
        "swift",
        "misspelled property",
        SWIFT_POLICY,
        "configuration.allowsInlineMediaPlayback = true",
        "configuration.allowsInlinedMediaPlayback = true",
    ),
    Mutant(
        "swift",
        "wrong argument label (delegate near miss)",
        SWIFT_VC,
        "initiatedByFrame frame: WKFrameInfo,",
        "initiatedBy frame: WKFrameInfo,",
    ),
    Mutant(
        "swift",
        "wrong enum case",
        SWIFT_VC,
        "decisionHandler(.grant)",
        "decisionHandler(.granted)",
    ),
    Mutant(
        "swift",
        "override that overrides nothing",
        SWIFT_VC,
        "public override func viewDidLoad() {",
        "public override func viewDidLoaded() {",
    ),
    Mutant(
        "swift",
        "a warning (never-mutated var)",
        SWIFT_VC,
        "let requester = WiseOnboardingPolicy.origin(of: origin)",
        "var requester = WiseOnboardingPolicy.origin(of: origin)",
    ),
    Mutant(
        "dart",
        "misspelled property",
        DART,
        "if (action.isForMainFrame && !_finished) {",
        "if (action.isForMainFrme && !_finished) {",
    ),
    Mutant(
        "dart",
        "wrong argument label",
        DART,
        "launchUrl(url, mode: LaunchMode.externalApplication)",
        "launchUrl(url, launchMode: LaunchMode.externalApplication)",
    ),
    Mutant(
        "dart",
        "wrong enum case",
        DART,
        "action: PermissionResponseAction.GRANT)",
        "action: PermissionResponseAction.GRANTED)",
    ),
    Mutant(
        "dart",
        "override that overrides nothing",
        DART,
        "State<WiseOnboardingWebView> createState()",
        "State<WiseOnboardingWebView> createStates()",
    ),
    Mutant(
        "dart",
        "strict inference (untyped list literal)",
        DART,
        "final granted = <PermissionResourceType>[];",
        "final granted = [];",
    ),
)
