// STUB for the shims-compile check: androidx.browser.customtabs.CustomTabsIntent (browser 1.8).
// No generated stubs of androidx.browser are published, so this one is checked by hand against
// https://developer.android.com/reference/androidx/browser/customtabs/CustomTabsIntent only.
package androidx.browser.customtabs;

import android.content.Context;
import android.net.Uri;
import androidx.annotation.NonNull;

public final class CustomTabsIntent {
    public static final int SHARE_STATE_DEFAULT = 0;
    public static final int SHARE_STATE_ON = 1;
    public static final int SHARE_STATE_OFF = 2;

    public void launchUrl(@NonNull Context context, @NonNull Uri url) { throw new RuntimeException("Stub!"); }

    public static final class Builder {
        public Builder() {}

        @NonNull
        public Builder setShowTitle(boolean showTitle) { throw new RuntimeException("Stub!"); }

        @NonNull
        public Builder setShareState(int shareState) { throw new RuntimeException("Stub!"); }

        @NonNull
        public CustomTabsIntent build() { throw new RuntimeException("Stub!"); }
    }
}
