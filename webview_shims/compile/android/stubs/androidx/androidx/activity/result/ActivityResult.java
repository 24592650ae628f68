// STUB for the shims-compile check: androidx.activity.result.ActivityResult (activity 1.9).
package androidx.activity.result;

import android.content.Intent;
import androidx.annotation.Nullable;

public final class ActivityResult {
    public ActivityResult(int resultCode, @Nullable Intent data) {}

    public final int getResultCode() { throw new RuntimeException("Stub!"); }

    @Nullable
    public final Intent getData() { throw new RuntimeException("Stub!"); }
}
