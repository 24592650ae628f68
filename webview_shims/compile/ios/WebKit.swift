// STUB for the shims-compile check, not Apple's module: the members of WebKit that the generated
// Swift uses, with the signatures Apple documents at https://developer.apple.com/documentation/webkit.
// The delegate methods the shims implement are *required* here (optional in Apple's SDK), so a
// method whose signature is slightly off fails to satisfy the protocol instead of being ignored.
// Enums are compiled with library evolution, like Apple's, so `@unknown default` is needed.

@_exported import Foundation
@_exported import FoundationNetworking
import UIKit

public enum WKMediaCaptureType: Int {
    case camera
    case microphone
    case cameraAndMicrophone
}

public enum WKPermissionDecision: Int {
    case prompt
    case grant
    case deny
}

public enum WKNavigationActionPolicy: Int {
    case cancel
    case allow
    case download
}

public struct WKAudiovisualMediaTypes: OptionSet {
    public let rawValue: UInt
    public init(rawValue: UInt) { self.rawValue = rawValue }
    public static let audio = WKAudiovisualMediaTypes(rawValue: 1)
    public static let video = WKAudiovisualMediaTypes(rawValue: 2)
    public static let all = WKAudiovisualMediaTypes(rawValue: 3)
}

open class WKSecurityOrigin: NSObject {
    open var `protocol`: String { "" }
    open var host: String { "" }
    open var port: Int { 0 }
}

open class WKFrameInfo: NSObject {
    open var isMainFrame: Bool { false }
    open var request: URLRequest { fatalError("stub") }
    open var securityOrigin: WKSecurityOrigin { fatalError("stub") }
}

open class WKNavigationAction: NSObject {
    open var sourceFrame: WKFrameInfo { fatalError("stub") }
    open var targetFrame: WKFrameInfo? { nil }
    open var request: URLRequest { fatalError("stub") }
}

open class WKWindowFeatures: NSObject {}

open class WKNavigation: NSObject {}

open class WKWebViewConfiguration: NSObject {
    public override init() {}
    open var allowsInlineMediaPlayback: Bool = false
    open var mediaTypesRequiringUserActionForPlayback: WKAudiovisualMediaTypes = .all
}

public protocol WKNavigationDelegate: NSObjectProtocol {
    func webView(
        _ webView: WKWebView,
        decidePolicyFor navigationAction: WKNavigationAction,
        decisionHandler: @escaping (WKNavigationActionPolicy) -> Void
    )
}

public protocol WKUIDelegate: NSObjectProtocol {
    func webView(
        _ webView: WKWebView,
        createWebViewWith configuration: WKWebViewConfiguration,
        for navigationAction: WKNavigationAction,
        windowFeatures: WKWindowFeatures
    ) -> WKWebView?

    @available(iOS 15.0, *)
    func webView(
        _ webView: WKWebView,
        requestMediaCapturePermissionFor origin: WKSecurityOrigin,
        initiatedByFrame frame: WKFrameInfo,
        type: WKMediaCaptureType,
        decisionHandler: @escaping (WKPermissionDecision) -> Void
    )
}

open class WKWebView: UIView {
    public init(frame: CGRect, configuration: WKWebViewConfiguration) { super.init(frame: frame) }
    public required init?(coder: NSCoder) { super.init(coder: coder) }
    open var configuration: WKWebViewConfiguration { fatalError("stub") }
    open weak var navigationDelegate: (any WKNavigationDelegate)?
    open weak var uiDelegate: (any WKUIDelegate)?
    open var allowsBackForwardNavigationGestures: Bool = false
    open var url: URL? { nil }
    @discardableResult
    open func load(_ request: URLRequest) -> WKNavigation? { nil }
}
