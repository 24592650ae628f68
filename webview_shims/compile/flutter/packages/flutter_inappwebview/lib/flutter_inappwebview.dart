// STUB for the shims-compile check, not the plugin: the members of flutter_inappwebview 6.1
// that the generated Dart uses, with the plugin's own signatures
// (https://pub.dev/documentation/flutter_inappwebview/latest/).
// ignore_for_file: constant_identifier_names

import 'package:flutter/widgets.dart';

class WebUri implements Uri {
  WebUri(String source, {bool forceToStringRawValue = false});
  WebUri.uri(Uri uri);

  // The plugin implements every Uri member; the stub only needs the type.
  @override
  dynamic noSuchMethod(Invocation invocation) => super.noSuchMethod(invocation);
}

class URLRequest {
  URLRequest({this.url, this.method, this.headers, this.body});
  WebUri? url;
  String? method;
  Map<String, String>? headers;
  Object? body;
}

class InAppWebViewSettings {
  InAppWebViewSettings({
    this.useShouldOverrideUrlLoading = false,
    this.javaScriptEnabled = true,
    this.domStorageEnabled = true,
    this.mediaPlaybackRequiresUserGesture = true,
    this.allowsInlineMediaPlayback = false,
    this.supportMultipleWindows = false,
    this.allowFileAccess = true,
    this.allowContentAccess = true,
  });
  bool? useShouldOverrideUrlLoading;
  bool? javaScriptEnabled;
  bool? domStorageEnabled;
  bool? mediaPlaybackRequiresUserGesture;
  bool? allowsInlineMediaPlayback;
  bool? supportMultipleWindows;
  bool? allowFileAccess;
  bool? allowContentAccess;
}

class InAppWebViewController {}

class PermissionResourceType {
  const PermissionResourceType._internal(this._value);
  final String _value;
  static const CAMERA = PermissionResourceType._internal('CAMERA');
  static const MICROPHONE = PermissionResourceType._internal('MICROPHONE');
  static const CAMERA_AND_MICROPHONE =
      PermissionResourceType._internal('CAMERA_AND_MICROPHONE');
  static const GEOLOCATION = PermissionResourceType._internal('GEOLOCATION');

  String toNativeValue() => _value;
}

class PermissionRequest {
  PermissionRequest({required this.origin, this.resources = const [], this.frame});
  WebUri origin;
  List<PermissionResourceType> resources;
  Object? frame;
}

class PermissionResponseAction {
  const PermissionResponseAction._internal(this._value);
  final int _value;
  static const DENY = PermissionResponseAction._internal(0);
  static const GRANT = PermissionResponseAction._internal(1);
  static const PROMPT = PermissionResponseAction._internal(2);

  int toNativeValue() => _value;
}

class PermissionResponse {
  PermissionResponse({this.resources = const [], this.action = PermissionResponseAction.DENY});
  List<PermissionResourceType> resources;
  PermissionResponseAction? action;
}

class NavigationAction {
  NavigationAction({required this.request, required this.isForMainFrame});
  URLRequest request;
  bool isForMainFrame;
}

class NavigationActionPolicy {
  const NavigationActionPolicy._internal(this._value);
  final int _value;
  static const CANCEL = NavigationActionPolicy._internal(0);
  static const ALLOW = NavigationActionPolicy._internal(1);
  static const DOWNLOAD = NavigationActionPolicy._internal(2);

  int toNativeValue() => _value;
}

class InAppWebView extends StatefulWidget {
  InAppWebView({
    super.key,
    this.initialUrlRequest,
    this.initialSettings,
    this.onPermissionRequest,
    this.shouldOverrideUrlLoading,
  });

  final URLRequest? initialUrlRequest;
  final InAppWebViewSettings? initialSettings;
  final Future<PermissionResponse?> Function(
    InAppWebViewController controller,
    PermissionRequest permissionRequest,
  )? onPermissionRequest;
  final Future<NavigationActionPolicy?> Function(
    InAppWebViewController controller,
    NavigationAction navigationAction,
  )? shouldOverrideUrlLoading;

  @override
  State<InAppWebView> createState() => throw UnsupportedError('stub');
}
