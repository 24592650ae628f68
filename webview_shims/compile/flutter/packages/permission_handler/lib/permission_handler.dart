// STUB for the shims-compile check, not the plugin: the members of permission_handler 11 (and
// the platform interface it re-exports) that the generated Dart uses, with the plugin's own
// signatures (https://pub.dev/documentation/permission_handler/latest/).

class Permission {
  const Permission._(this.value);
  final int value;
  static const camera = Permission._(1);
  static const microphone = Permission._(7);
  static const photos = Permission._(9);
}

enum PermissionStatus { denied, granted, restricted, limited, permanentlyDenied, provisional }

extension PermissionStatusGetters on PermissionStatus {
  bool get isDenied => this == PermissionStatus.denied;
  bool get isGranted => this == PermissionStatus.granted;
  bool get isPermanentlyDenied => this == PermissionStatus.permanentlyDenied;
}

extension FuturePermissionStatusGetters on Future<PermissionStatus> {
  Future<bool> get isDenied async => (await this).isDenied;
  Future<bool> get isGranted async => (await this).isGranted;
  Future<bool> get isPermanentlyDenied async => (await this).isPermanentlyDenied;
}

extension PermissionActions on Permission {
  Future<PermissionStatus> get status async => PermissionStatus.denied;
  Future<PermissionStatus> request() async => PermissionStatus.denied;
}
