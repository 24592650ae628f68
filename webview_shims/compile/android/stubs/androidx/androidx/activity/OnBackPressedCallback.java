// STUB for the shims-compile check: androidx.activity.OnBackPressedCallback (activity 1.9).
package androidx.activity;

public abstract class OnBackPressedCallback {
    public OnBackPressedCallback(boolean enabled) {}

    public abstract void handleOnBackPressed();

    public final boolean isEnabled() { throw new RuntimeException("Stub!"); }

    public final void setEnabled(boolean isEnabled) { throw new RuntimeException("Stub!"); }
}
