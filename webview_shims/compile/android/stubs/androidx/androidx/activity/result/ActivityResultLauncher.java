// STUB for the shims-compile check: androidx.activity.result.ActivityResultLauncher (activity 1.9).
package androidx.activity.result;

public abstract class ActivityResultLauncher<I> {
    public ActivityResultLauncher() {}

    public void launch(I input) { throw new RuntimeException("Stub!"); }

    public abstract void unregister();
}
