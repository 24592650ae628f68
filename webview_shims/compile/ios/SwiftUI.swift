// STUB for the shims-compile check, not Apple's module: the members of SwiftUI that the generated
// Swift uses, with the signatures Apple documents at
// https://developer.apple.com/documentation/swiftui/uiviewcontrollerrepresentable.

@_exported import Foundation
import UIKit

public protocol View {}

public struct UIViewControllerRepresentableContext<Representable: UIViewControllerRepresentable> {}

public protocol UIViewControllerRepresentable: View {
    associatedtype UIViewControllerType: UIViewController
    typealias Context = UIViewControllerRepresentableContext<Self>
    func makeUIViewController(context: Context) -> UIViewControllerType
    func updateUIViewController(_ uiViewController: UIViewControllerType, context: Context)
}
