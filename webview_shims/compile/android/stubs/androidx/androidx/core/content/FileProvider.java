// STUB for the shims-compile check: androidx.core.content.FileProvider (core 1.13). Implements
// ContentProvider's abstract methods as the real class does, so a subclass needs no code.
package androidx.core.content;

import android.content.ContentProvider;
import android.content.ContentValues;
import android.content.Context;
import android.database.Cursor;
import android.net.Uri;
import androidx.annotation.NonNull;
import androidx.annotation.Nullable;
import java.io.File;

public class FileProvider extends ContentProvider {
    public FileProvider() {}

    @NonNull
    public static Uri getUriForFile(@NonNull Context context, @NonNull String authority, @NonNull File file) {
        throw new RuntimeException("Stub!");
    }

    @Override
    public boolean onCreate() { throw new RuntimeException("Stub!"); }

    @Override
    public Cursor query(@NonNull Uri uri, @Nullable String[] projection, @Nullable String selection,
            @Nullable String[] selectionArgs, @Nullable String sortOrder) {
        throw new RuntimeException("Stub!");
    }

    @Override
    public String getType(@NonNull Uri uri) { throw new RuntimeException("Stub!"); }

    @Override
    public Uri insert(@NonNull Uri uri, @NonNull ContentValues values) { throw new RuntimeException("Stub!"); }

    @Override
    public int update(@NonNull Uri uri, @NonNull ContentValues values, @Nullable String selection,
            @Nullable String[] selectionArgs) {
        throw new RuntimeException("Stub!");
    }

    @Override
    public int delete(@NonNull Uri uri, @Nullable String selection, @Nullable String[] selectionArgs) {
        throw new RuntimeException("Stub!");
    }
}
