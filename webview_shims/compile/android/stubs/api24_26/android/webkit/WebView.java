// STUB for the shims-compile check: members of android.webkit.WebView added after API 23.
// Only these methods are merged into the real WebView class of API 23's android.jar.
package android.webkit;

public class WebView {
    private WebView() {} // only the methods below are merged

    /** API 26. */
    public WebViewClient getWebViewClient() { throw new RuntimeException("Stub!"); }

    /** API 26. */
    public WebChromeClient getWebChromeClient() { throw new RuntimeException("Stub!"); }
}
