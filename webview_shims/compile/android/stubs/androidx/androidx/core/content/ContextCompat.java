// STUB for the shims-compile check: androidx.core.content.ContextCompat (core 1.13).
package androidx.core.content;

import android.content.Context;
import androidx.annotation.NonNull;

public class ContextCompat {
    protected ContextCompat() {}

    public static int checkSelfPermission(@NonNull Context context, @NonNull String permission) {
        throw new RuntimeException("Stub!");
    }
}
