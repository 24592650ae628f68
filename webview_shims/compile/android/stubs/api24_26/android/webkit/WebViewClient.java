// STUB for the shims-compile check: members of android.webkit.WebViewClient added after API 23.
// Only these methods are merged into the real WebViewClient class of API 23's android.jar.
package android.webkit;

public class WebViewClient {
    private WebViewClient() {} // only the methods below are merged

    /** API 24. */
    public boolean shouldOverrideUrlLoading(WebView view, WebResourceRequest request) {
        throw new RuntimeException("Stub!");
    }
}
