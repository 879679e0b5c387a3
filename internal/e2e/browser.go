// Package e2e drives the real server in headless Chromium through the flows
// people click through, and saves a screenshot of each step.
//
// The tests run when Chromium is installed and are skipped loudly when it
// is not, unless SHEGONG_E2E=required (as in CI), which makes a missing
// browser a failure. Screenshots go to SHEGONG_SCREENSHOTS (default
// ./screenshots at the repository root).
package e2e

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
)

// Browser is one headless Chromium tab bound to a test.
type Browser struct {
	T      *testing.T
	Ctx    context.Context
	Base   string
	dir    string
	step   int
	prefix string
}

func chromiumPath() string {
	for _, name := range []string{"chromium", "chromium-browser", "google-chrome", "headless-shell"} {
		if p, err := exec.LookPath(name); err == nil {
			return p
		}
	}
	return ""
}

// NewBrowser starts Chromium for base (the test server URL).
func NewBrowser(t *testing.T, base, prefix string, width, height int) *Browser {
	t.Helper()
	path := chromiumPath()
	if path == "" {
		if os.Getenv("SHEGONG_E2E") == "required" {
			t.Fatal("Chromium is required (SHEGONG_E2E=required) but not installed")
		}
		t.Skip("SKIPPED BROWSER TEST: Chromium not installed (install the chromium package, or set SHEGONG_E2E=required to make this fail)")
	}
	opts := []chromedp.ExecAllocatorOption{
		chromedp.ExecPath(path),
		chromedp.Headless,
		chromedp.NoSandbox,
		chromedp.DisableGPU,
		chromedp.NoFirstRun,
		chromedp.NoDefaultBrowserCheck,
		chromedp.UserDataDir(t.TempDir()),
		chromedp.Flag("disable-quic", true),
		chromedp.Flag("disable-background-networking", true),
		chromedp.Flag("disable-component-update", true),
		chromedp.Flag("disable-sync", true),
		chromedp.Flag("disable-dev-shm-usage", true),
		chromedp.Flag("lang", "zh-CN"),
		chromedp.WindowSize(width, height),
	}
	actx, cancelA := chromedp.NewExecAllocator(context.Background(), opts...)
	ctx, cancelC := chromedp.NewContext(actx)
	ctx, cancelT := context.WithTimeout(ctx, 3*time.Minute)
	t.Cleanup(func() { cancelT(); cancelC(); cancelA() })
	if err := chromedp.Do(ctx); err != nil {
		t.Fatalf("start chromium: %v", err)
	}
	dir := os.Getenv("SHEGONG_SCREENSHOTS")
	if dir == "" {
		dir = filepath.Join(repoRoot(), "screenshots")
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	return &Browser{T: t, Ctx: ctx, Base: base, dir: dir, prefix: prefix}
}

func repoRoot() string {
	wd, _ := os.Getwd()
	for d := wd; d != filepath.Dir(d); d = filepath.Dir(d) {
		if _, err := os.Stat(filepath.Join(d, "go.mod")); err == nil {
			return d
		}
	}
	return wd
}

// Run runs chromedp actions and fails the test on error.
func (b *Browser) Run(actions ...chromedp.Action[chromedp.Void]) {
	b.T.Helper()
	if err := chromedp.Do(b.Ctx, actions...); err != nil {
		b.Shot("failure")
		b.T.Fatalf("browser: %v", err)
	}
}

// Open navigates to path and waits for the page body.
func (b *Browser) Open(path string) {
	b.T.Helper()
	b.Run(chromedp.Navigate(b.Base+path), chromedp.WaitReady(chromedp.CSS("body")))
}

// Fill clears the field matched by sel and types text.
func (b *Browser) Fill(sel, text string) {
	b.T.Helper()
	b.Run(chromedp.WaitVisible(chromedp.CSS(sel)), chromedp.Clear(chromedp.CSS(sel)),
		chromedp.SendKeys(chromedp.CSS(sel), text))
}

// Select chooses an option value of a select.
func (b *Browser) Select(sel, value string) {
	b.T.Helper()
	b.Run(chromedp.WaitVisible(chromedp.CSS(sel)), chromedp.SetValue(chromedp.CSS(sel), value))
}

// Click clicks the element and waits until the page it leads to has
// loaded (a marker set on the old page must be gone).
func (b *Browser) Click(sel string) {
	b.T.Helper()
	b.Run(chromedp.WaitVisible(chromedp.CSS(sel)))
	if _, err := chromedp.Run(b.Ctx, chromedp.Evaluate[bool]("window.__e2eOld = true")); err != nil {
		b.T.Fatalf("browser: mark page: %v", err)
	}
	b.Run(chromedp.Click(chromedp.CSS(sel)))
	// Evaluation fails while the old document goes away; keep asking.
	deadline := time.Now().Add(20 * time.Second)
	for {
		ok, err := chromedp.Run(b.Ctx, chromedp.Evaluate[bool](`!window.__e2eOld && document.readyState === "complete"`))
		if err == nil && ok {
			return
		}
		if time.Now().After(deadline) {
			b.Shot("no-navigation")
			b.T.Fatalf("browser: clicking %s did not load a page (last error: %v)", sel, err)
		}
		time.Sleep(100 * time.Millisecond)
	}
}

// ClickStay clicks an element that changes the page in place.
func (b *Browser) ClickStay(sel string) {
	b.T.Helper()
	b.Run(chromedp.WaitVisible(chromedp.CSS(sel)), chromedp.Click(chromedp.CSS(sel)), chromedp.Sleep(200*time.Millisecond))
}

// Text returns the visible text of the first element matching sel.
func (b *Browser) Text(sel string) string {
	b.T.Helper()
	b.Run(chromedp.WaitReady(chromedp.CSS(sel)))
	s, err := chromedp.Run(b.Ctx, chromedp.Text(chromedp.CSS(sel)))
	if err != nil {
		b.T.Fatalf("browser: text of %s: %v", sel, err)
	}
	return s
}

// MustSee fails unless the page's main text contains every want.
func (b *Browser) MustSee(want ...string) {
	b.T.Helper()
	body := b.Text("body")
	for _, w := range want {
		if !strings.Contains(body, w) {
			b.Shot("missing")
			b.T.Fatalf("page %s does not show %q; it shows:\n%s", b.URL(), w, clip(body, 1500))
		}
	}
}

// URL returns the current location.
func (b *Browser) URL() string {
	u, _ := chromedp.Run(b.Ctx, chromedp.Location())
	return u
}

var unsafeName = regexp.MustCompile(`[^a-zA-Z0-9_-]+`)

// Shot saves a full-page PNG screenshot named after the test and step.
func (b *Browser) Shot(name string) string {
	b.step++
	buf, err := chromedp.Run(b.Ctx, chromedp.FullScreenshot(100))
	if err != nil {
		b.T.Logf("screenshot %s: %v", name, err)
		return ""
	}
	file := filepath.Join(b.dir, fmt.Sprintf("%s-%02d-%s.png", b.prefix, b.step, unsafeName.ReplaceAllString(name, "_")))
	if err := os.WriteFile(file, buf, 0o644); err != nil {
		b.T.Logf("write screenshot: %v", err)
	}
	return file
}

func clip(s string, n int) string {
	if len(s) > n {
		return s[:n] + "…"
	}
	return s
}
