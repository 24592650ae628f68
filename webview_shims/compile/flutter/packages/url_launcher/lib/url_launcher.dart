// STUB for the shims-compile check, not the plugin: the members of url_launcher 6.3 that the
// generated Dart uses, with the plugin's own signatures
// (https://pub.dev/documentation/url_launcher/latest/).

enum LaunchMode {
  platformDefault,
  inAppWebView,
  inAppBrowserView,
  externalApplication,
  externalNonBrowserApplication,
}

Future<bool> launchUrl(
  Uri url, {
  LaunchMode mode = LaunchMode.platformDefault,
  String? webOnlyWindowName,
}) async =>
    false;

Future<bool> canLaunchUrl(Uri url) async => false;
