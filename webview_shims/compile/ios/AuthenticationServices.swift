// STUB for the shims-compile check, not Apple's module: the members of AuthenticationServices
// that the generated Swift uses, with the signatures Apple documents at
// https://developer.apple.com/documentation/authenticationservices/aswebauthenticationsession.

@_exported import Foundation
import UIKit

public typealias ASPresentationAnchor = UIWindow

public protocol ASWebAuthenticationPresentationContextProviding: NSObjectProtocol {
    func presentationAnchor(for session: ASWebAuthenticationSession) -> ASPresentationAnchor
}

open class ASWebAuthenticationSession: NSObject {
    public typealias CompletionHandler = (URL?, (any Error)?) -> Void

    /// iOS 17.4+: what ends the session.
    @available(iOS 17.4, *)
    public struct Callback {
        public static func customScheme(_ customScheme: String) -> Callback { Callback() }
        public static func https(host: String, path: String) -> Callback { Callback() }
    }

    public init(
        url URL: URL,
        callbackURLScheme: String?,
        completionHandler: @escaping ASWebAuthenticationSession.CompletionHandler
    ) {}

    @available(iOS 17.4, *)
    public init(
        url URL: URL,
        callback: ASWebAuthenticationSession.Callback,
        completionHandler: @escaping ASWebAuthenticationSession.CompletionHandler
    ) {}

    open weak var presentationContextProvider: (any ASWebAuthenticationPresentationContextProviding)?
    open var prefersEphemeralWebBrowserSession: Bool = false
    open func start() -> Bool { false }
    open func cancel() {}
}
