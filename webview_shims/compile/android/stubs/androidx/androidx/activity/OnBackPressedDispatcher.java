// STUB for the shims-compile check: androidx.activity.OnBackPressedDispatcher (activity 1.9).
package androidx.activity;

import androidx.annotation.NonNull;
import androidx.lifecycle.LifecycleOwner;

public final class OnBackPressedDispatcher {
    public final void addCallback(@NonNull OnBackPressedCallback onBackPressedCallback) {
        throw new RuntimeException("Stub!");
    }

    public final void addCallback(@NonNull LifecycleOwner owner, @NonNull OnBackPressedCallback onBackPressedCallback) {
        throw new RuntimeException("Stub!");
    }
}
