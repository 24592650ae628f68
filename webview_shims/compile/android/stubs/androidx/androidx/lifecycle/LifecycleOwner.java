// STUB for the shims-compile check: androidx.lifecycle.LifecycleOwner (lifecycle-common), used
// only as the owner type of OnBackPressedDispatcher.addCallback.
package androidx.lifecycle;

public interface LifecycleOwner {}
