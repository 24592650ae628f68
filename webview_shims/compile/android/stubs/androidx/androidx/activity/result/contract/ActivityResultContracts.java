// STUB for the shims-compile check: the contracts of
// androidx.activity.result.contract.ActivityResultContracts (activity 1.9) the generated Kotlin uses.
package androidx.activity.result.contract;

import android.content.Context;
import android.content.Intent;
import androidx.activity.result.ActivityResult;
import androidx.annotation.NonNull;
import androidx.annotation.Nullable;
import java.util.Map;

public final class ActivityResultContracts {
    private ActivityResultContracts() {}

    public static final class StartActivityForResult extends ActivityResultContract<Intent, ActivityResult> {
        public StartActivityForResult() {}

        @NonNull
        @Override
        public Intent createIntent(@NonNull Context context, @NonNull Intent input) { throw new RuntimeException("Stub!"); }

        @NonNull
        @Override
        public ActivityResult parseResult(int resultCode, @Nullable Intent intent) { throw new RuntimeException("Stub!"); }
    }

    public static final class RequestMultiplePermissions extends ActivityResultContract<String[], Map<String, Boolean>> {
        public RequestMultiplePermissions() {}

        @NonNull
        @Override
        public Intent createIntent(@NonNull Context context, @NonNull String[] input) { throw new RuntimeException("Stub!"); }

        @NonNull
        @Override
        public Map<String, Boolean> parseResult(int resultCode, @Nullable Intent intent) { throw new RuntimeException("Stub!"); }
    }

    public static final class RequestPermission extends ActivityResultContract<String, Boolean> {
        public RequestPermission() {}

        @NonNull
        @Override
        public Intent createIntent(@NonNull Context context, @NonNull String input) { throw new RuntimeException("Stub!"); }

        @NonNull
        @Override
        public Boolean parseResult(int resultCode, @Nullable Intent intent) { throw new RuntimeException("Stub!"); }
    }
}
