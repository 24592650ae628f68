// STUB for the shims-compile check: the members of androidx.activity.ComponentActivity
// (androidx.activity:activity 1.9) that the generated Kotlin uses. The rest comes from the real
// android.app.Activity of API 23.
package androidx.activity;

import androidx.activity.result.ActivityResultCallback;
import androidx.activity.result.ActivityResultLauncher;
import androidx.activity.result.contract.ActivityResultContract;
import androidx.annotation.NonNull;
import androidx.lifecycle.LifecycleOwner;

public class ComponentActivity extends android.app.Activity implements LifecycleOwner {
    public ComponentActivity() {}

    @NonNull
    public final OnBackPressedDispatcher getOnBackPressedDispatcher() { throw new RuntimeException("Stub!"); }

    @NonNull
    public final <I, O> ActivityResultLauncher<I> registerForActivityResult(
            @NonNull ActivityResultContract<I, O> contract,
            @NonNull ActivityResultCallback<O> callback) {
        throw new RuntimeException("Stub!");
    }
}
