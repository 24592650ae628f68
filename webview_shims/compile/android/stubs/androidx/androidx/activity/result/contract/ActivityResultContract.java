// STUB for the shims-compile check: androidx.activity.result.contract.ActivityResultContract
// (activity 1.9).
package androidx.activity.result.contract;

import android.content.Context;
import android.content.Intent;
import androidx.annotation.NonNull;
import androidx.annotation.Nullable;

public abstract class ActivityResultContract<I, O> {
    public ActivityResultContract() {}

    @NonNull
    public abstract Intent createIntent(@NonNull Context context, I input);

    public abstract O parseResult(int resultCode, @Nullable Intent intent);
}
