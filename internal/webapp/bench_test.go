package webapp

import (
	"bufio"
	"context"
	"crypto/rand"
	"encoding/base64"
	"encoding/hex"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/session-go/session-go/client"
	"github.com/session-go/session-go/internal/clientdb"
	"github.com/session-go/session-go/internal/keys"
)

// The goals for the figures; each is printed with its ratio.
const (
	goalP50        = 50 * time.Millisecond
	goalP99        = 250 * time.Millisecond
	goalRSSMB      = 60.0
	goalFirstPaint = 200 * time.Millisecond
)

// BenchmarkAppDelivery measures how long a message takes from Send in one
// browser to its bubble in the other browser, through two apps and a
// devnet: p50 and p99 over 100 messages (b.N is ignored; run with
// -benchtime=1x).
//
//	go test -run='^$' -bench=AppDelivery -benchtime=1x ./internal/webapp
func BenchmarkAppDelivery(b *testing.B) {
	if testNet == nil {
		b.Skip("needs a devnet")
	}
	browser := newBrowser(b)
	alice := startApp(b, "alice", Config{})
	bob := startApp(b, "bob", Config{})
	ac, bc := signedIn(b, alice), signedIn(b, bob)
	var aliceAcct, bobAcct map[string]string
	callJSON(b, ac, "POST", alice.BaseURL()+"api/account/create", `{"display_name":"Alice"}`, &aliceAcct)
	callJSON(b, bc, "POST", bob.BaseURL()+"api/account/create", `{"display_name":"Bob"}`, &bobAcct)
	// They become contacts: Alice writes, Bob answers (which accepts).
	callJSON(b, ac, "POST", alice.BaseURL()+"api/conversations/"+bobAcct["session_id"]+"/messages", `{"body":"hi"}`, nil)
	deadline := time.Now().Add(60 * time.Second)
	for {
		var cv map[string][]client.Conversation
		callJSON(b, bc, "GET", bob.BaseURL()+"api/conversations", "", &cv)
		if len(cv["requests"]) == 1 {
			break
		}
		if time.Now().After(deadline) {
			b.Fatal("Bob never got Alice's request")
		}
		time.Sleep(50 * time.Millisecond)
	}
	callJSON(b, bc, "POST", bob.BaseURL()+"api/conversations/"+aliceAcct["session_id"]+"/messages", `{"body":"hello"}`, nil)

	a := newTab(b, browser, "alice", 1280, 800)
	bt := newTab(b, browser, "bob", 1280, 800)
	a.open(alice.URL())
	bt.open(bob.URL())
	a.do(chromedp.Click(chromedp.CSS(".list .item"), chromedp.NodeVisible))
	bt.do(chromedp.Click(chromedp.CSS(".list .item"), chromedp.NodeVisible))
	waitFor[bool](a, "the composer", `!!document.querySelector('[data-testid=composer]')`)
	waitFor[bool](bt, "the conversation", `document.querySelectorAll('.messages .msg').length >= 2`)
	eval[bool](bt, `(() => {
		window.__arrivals = {};
		new MutationObserver(() => {
			const now = performance.timeOrigin + performance.now();
			for (const e of document.querySelectorAll('.messages [data-testid=message-body]')) {
				const t = e.textContent;
				if (t.startsWith('bench-') && !(t in window.__arrivals)) window.__arrivals[t] = now;
			}
		}).observe(document.body, {subtree: true, childList: true, characterData: true});
		return true;
	})()`)
	n := 100
	if v, err := strconv.Atoi(os.Getenv("APP_BENCH_N")); err == nil {
		n = v
	}
	lat := make([]time.Duration, 0, n)
	b.ResetTimer()
	for i := range n {
		key := fmt.Sprintf("bench-%d", i)
		sent := eval[float64](a, fmt.Sprintf(`(() => {
			const ta = document.querySelector('[data-testid=composer]');
			ta.value = %q;
			ta.dispatchEvent(new Event('input'));
			const t = performance.timeOrigin + performance.now();
			document.querySelector('.composer .send').click();
			return t;
		})()`, key))
		got := waitFor[float64](bt, key, fmt.Sprintf(`window.__arrivals[%q] || 0`, key))
		lat = append(lat, time.Duration((got-sent)*float64(time.Millisecond)))
	}
	b.StopTimer()
	slices.Sort(lat)
	p50, p99 := lat[len(lat)/2], lat[len(lat)*99/100]
	b.ReportMetric(float64(p50.Microseconds())/1000, "p50-ms")
	b.ReportMetric(float64(p99.Microseconds())/1000, "p99-ms")
	b.ReportMetric(float64(p50)/float64(goalP50), "p50-x-goal")
	b.ReportMetric(float64(p99)/float64(goalP99), "p99-x-goal")
	fmt.Printf("app: Send → shown in the other browser over %d messages: p50 %v (goal %v, x%.2f), p99 %v (goal %v, x%.2f)\n",
		n, p50.Round(100*time.Microsecond), goalP50, float64(p50)/float64(goalP50), p99.Round(100*time.Microsecond), goalP99, float64(p99)/float64(goalP99))
}

// BenchmarkAppThousandConversations runs the real `session app` binary on
// an account with 1 000 conversations and reports the time to the first
// render of the list in chromium (from navigation start) and the app's
// idle resident memory.
//
//	go test -run='^$' -bench=AppThousand -benchtime=1x ./internal/webapp
func BenchmarkAppThousandConversations(b *testing.B) {
	if testNet == nil {
		b.Skip("needs a devnet")
	}
	if runtime.GOOS != "linux" {
		b.Skip("reads the app's memory from /proc")
	}
	ctx := context.Background()
	dir := b.TempDir()
	bin := filepath.Join(dir, "session")
	build := exec.Command("go", "build", "-o", bin, "./cmd/session")
	build.Dir = filepath.Join("..", "..")
	build.Env = append(os.Environ(), "CGO_ENABLED=0")
	if out, err := build.CombinedOutput(); err != nil {
		b.Fatalf("building session: %v\n%s", err, out)
	}
	home := filepath.Join(dir, "home")
	c, _, err := client.Create(ctx, client.Options{Home: home, Network: testNet.NetworkFile}, "Many")
	if err != nil {
		b.Fatal(err)
	}
	me, _ := keys.ParseSessionID(c.SessionID())
	c.Close()
	seedConversations(b, home, me, 1000)

	app := exec.Command(bin, "app", "--home", home, "--network", testNet.NetworkFile, "--listen", "127.0.0.1:0", "--no-browser")
	stdout, _ := app.StdoutPipe()
	if err := app.Start(); err != nil {
		b.Fatal(err)
	}
	defer func() { app.Process.Signal(os.Interrupt); app.Wait() }()
	line, err := bufio.NewReader(stdout).ReadString('\n')
	if err != nil || !strings.HasPrefix(line, "app: ") {
		b.Fatalf("app printed %q, %v", line, err)
	}
	url := strings.TrimSpace(strings.TrimPrefix(line, "app: "))

	browser := newBrowser(b)
	tab := newTab(b, browser, "many", 1280, 800)
	b.ResetTimer()
	tab.open(url)
	ms := waitFor[float64](tab, "the first render of the list",
		`(performance.getEntriesByName('conversations-rendered')[0] || {}).startTime || 0`)
	b.StopTimer()
	b.Log("timings [redirectEnd, responseEnd, DOMContentLoaded] and [resource, start, end] in ms:", eval[string](tab, `JSON.stringify([performance.getEntriesByType('navigation').map(e => [e.redirectEnd, e.responseEnd, e.domContentLoadedEventEnd]), performance.getEntriesByType('resource').map(e => [e.name.slice(-20), Math.round(e.startTime), Math.round(e.responseEnd)])])`))
	if rows := eval[int](tab, `document.querySelectorAll('.list .item').length`); rows != 1000 {
		b.Fatalf("the list shows %d conversations, want 1000", rows)
	}
	first := time.Duration(ms * float64(time.Millisecond))
	time.Sleep(5 * time.Second) // idle: the page open, the client long-polling
	rss := rssMB(b, app.Process.Pid)
	b.ReportMetric(float64(first.Microseconds())/1000, "first-render-ms")
	b.ReportMetric(float64(first)/float64(goalFirstPaint), "render-x-goal")
	b.ReportMetric(rss, "idle-RSS-MB")
	b.ReportMetric(rss/goalRSSMB, "RSS-x-goal")
	fmt.Printf("app: 1000 conversations: first render of the list %v (goal %v, x%.2f); idle RSS %.1f MB (goal %.0f MB, x%.2f)\n",
		first.Round(100*time.Microsecond), goalFirstPaint, float64(first)/float64(goalFirstPaint), rss, goalRSSMB, rss/goalRSSMB)
}

// seedConversations writes n conversations straight into the account's
// database (as messages sent from another device), faster than sending.
func seedConversations(b *testing.B, home string, me keys.ID, n int) {
	ctx := context.Background()
	key, err := clientdb.LoadOrCreateKeyFile(filepath.Join(home, "db.key"))
	if err != nil {
		b.Fatal(err)
	}
	db, err := clientdb.Open(ctx, filepath.Join(home, "session.db"), key)
	if err != nil {
		b.Fatal(err)
	}
	defer db.Close()
	start := time.Now().Add(-time.Duration(n) * time.Minute)
	for i := range n {
		raw := make([]byte, 32)
		rand.Read(raw)
		peer, err := keys.ParseSessionID("05" + hex.EncodeToString(raw))
		if err != nil {
			b.Fatal(err)
		}
		h := make([]byte, 32)
		rand.Read(h)
		if _, _, err := db.InsertIncoming(ctx, clientdb.Message{
			Conversation: peer, Sender: me, Direction: clientdb.Outgoing,
			SentAt: start.Add(time.Duration(i) * time.Minute), Body: "message number " + strconv.Itoa(i),
			Hash: base64.RawStdEncoding.EncodeToString(h),
		}); err != nil {
			b.Fatal(err)
		}
	}
}

func rssMB(b *testing.B, pid int) float64 {
	data, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", pid))
	if err != nil {
		b.Fatal(err)
	}
	for _, line := range strings.Split(string(data), "\n") {
		if f := strings.Fields(line); len(f) >= 2 && f[0] == "VmRSS:" {
			kb, _ := strconv.ParseFloat(f[1], 64)
			return kb / 1024
		}
	}
	b.Fatal("no VmRSS")
	return 0
}
