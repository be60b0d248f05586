package webapp

import (
	"net/http"
	"net/http/httptest"
	"os"
	"testing"
)

// TestBrowserWebModules runs the web modules' unit tests
// (testdata/webtest: markdown.js with hostile inputs, notify.js) in
// headless chromium, on the files the app embeds.
func TestBrowserWebModules(t *testing.T) {
	browser := newBrowser(t)
	mux := http.NewServeMux()
	mux.Handle("/web/", http.StripPrefix("/web/", http.FileServerFS(os.DirFS("web"))))
	mux.Handle("/test/", http.StripPrefix("/test/", http.FileServerFS(os.DirFS("testdata/webtest"))))
	srv := httptest.NewServer(mux)
	defer srv.Close()

	tb := newTab(t, browser, "modules", 800, 600)
	tb.open(srv.URL + "/test/index.html")
	waitFor[bool](tb, "the tests to finish", `window.testResults?.done === true`)
	failures := eval[[]string](tb, `window.testResults.failures`)
	for _, f := range failures {
		t.Error(f)
	}
	passed := eval[int](tb, `window.testResults.passed`)
	if passed == 0 && len(failures) == 0 {
		t.Fatal("no test ran")
	}
	t.Logf("%d web module tests passed", passed)
}
