// STUB for the shims-compile check, not Apple's module: the members of UIKit that the generated
// Swift uses, with the signatures Apple documents at https://developer.apple.com/documentation/uikit.
// Classes are `open` where Apple's are subclassable, so `override` is checked against them.

@_exported import Foundation

open class UIResponder: NSObject {}

open class UIView: UIResponder {
    public init(frame: CGRect) {}
    public override convenience init() { self.init(frame: .zero) }
    public required init?(coder: NSCoder) {}
}

open class UIWindow: UIView {}

open class UIViewController: UIResponder {
    public init(nibName nibNameOrNil: String?, bundle nibBundleOrNil: Bundle?) {}
    public required init?(coder: NSCoder) {}
    open var view: UIView!
    open func loadView() {}
    open func viewDidLoad() {}
    open var navigationController: UINavigationController? { nil }
    open var presentingViewController: UIViewController? { nil }
    open func dismiss(animated flag: Bool, completion: (() -> Void)? = nil) {}
    open func present(
        _ viewControllerToPresent: UIViewController,
        animated flag: Bool,
        completion: (() -> Void)? = nil
    ) {}
}

open class UINavigationController: UIViewController {
    open var topViewController: UIViewController? { nil }
    open var viewControllers: [UIViewController] = []
    @discardableResult
    open func popViewController(animated: Bool) -> UIViewController? { nil }
    open func pushViewController(_ viewController: UIViewController, animated: Bool) {}
}

open class UIApplication: UIResponder {
    public class var shared: UIApplication { fatalError("stub") }

    public struct OpenExternalURLOptionsKey: Hashable {
        public init(rawValue: String) {}
    }

    open func open(
        _ url: URL,
        options: [UIApplication.OpenExternalURLOptionsKey: Any] = [:],
        completionHandler completion: ((Bool) -> Void)? = nil
    ) {}
}
