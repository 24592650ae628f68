// STUB for the shims-compile check: androidx.activity.result.ActivityResultCallback (activity 1.9).
package androidx.activity.result;

public interface ActivityResultCallback<O> {
    void onActivityResult(O result);
}
