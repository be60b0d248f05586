package fileserver

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/binary"
	"encoding/hex"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/session-go/session-go/internal/onion"
)

type clock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *clock) now() time.Time { c.mu.Lock(); defer c.mu.Unlock(); return c.t }
func (c *clock) add(d time.Duration) {
	c.mu.Lock()
	c.t = c.t.Add(d)
	c.mu.Unlock()
}

type testServer struct {
	*Server
	url   string
	clock *clock
	dir   string
}

func newKey(t testing.TB) *onion.NodeKey {
	var sk [32]byte
	rand.Read(sk[:])
	k, err := onion.NewNodeKey(sk[:])
	if err != nil {
		t.Fatal(err)
	}
	return k
}

func start(t testing.TB, mutate func(*Config)) *testServer {
	t.Helper()
	dir := t.TempDir()
	c := &clock{t: time.Unix(1_800_000_000, 0)}
	cfg := Config{Dir: dir, Key: newKey(t), Now: c.now}
	if mutate != nil {
		mutate(&cfg)
	}
	s, err := Open(context.Background(), cfg)
	if err != nil {
		t.Fatal(err)
	}
	hs := httptest.NewServer(s.Handler())
	t.Cleanup(func() { hs.Close(); s.Close() })
	return &testServer{Server: s, url: hs.URL, clock: c, dir: dir}
}

// do sends req to the server as the last hop of an onion path would: the
// innermost layer sealed to the server's key, framed with its routing JSON.
func (ts *testServer) do(t testing.TB, enc onion.EncType, req onion.V4Request) *onion.V4Response {
	t.Helper()
	status, body, key := ts.post(t, enc, req)
	if status != http.StatusOK {
		t.Fatalf("%s %s: HTTP %d %q", req.Method, req.Endpoint, status, body)
	}
	pt, err := key.DecryptReply(body)
	if err != nil {
		t.Fatalf("%s %s: reply does not decrypt: %v", req.Method, req.Endpoint, err)
	}
	resp, err := onion.ParseV4Response(pt)
	if err != nil {
		t.Fatalf("%s %s: %v", req.Method, req.Endpoint, err)
	}
	return resp
}

func (ts *testServer) post(t testing.TB, enc onion.EncType, req onion.V4Request) (int, []byte, *onion.ReplyKey) {
	t.Helper()
	pt, err := req.Encode()
	if err != nil {
		t.Fatal(err)
	}
	ct, key, err := onion.SealLayer(enc, pt, ts.PublicKey(), nil)
	if err != nil {
		t.Fatal(err)
	}
	pub := key.PublicKey()
	encName := "xchacha20"
	if enc == onion.AESGCM {
		encName = "aes-gcm"
	}
	framed := binary.LittleEndian.AppendUint32(nil, uint32(len(ct)))
	framed = append(framed, ct...)
	framed = append(framed, `{"ephemeral_key":"`+hex.EncodeToString(pub[:])+`","enc_type":"`+encName+`"}`...)
	resp, err := http.Post(ts.url+TargetV4, "application/octet-stream", bytes.NewReader(framed))
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, body, key
}

func uploadReq(data []byte, ttl string) onion.V4Request {
	h := map[string]string{"Content-Type": "application/octet-stream"}
	if ttl != "" {
		h["X-FS-TTL"] = ttl
	}
	return onion.V4Request{Method: "POST", Endpoint: "/file", Headers: h, Body: data}
}

func decodeJSON(t testing.TB, b []byte) map[string]any {
	t.Helper()
	var m map[string]any
	if err := json.Unmarshal(b, &m); err != nil {
		t.Fatalf("%q: %v", b, err)
	}
	return m
}

func TestUploadDownloadInfoExtend(t *testing.T) {
	ts := start(t, nil)
	data := make([]byte, 300_000)
	rand.Read(data)
	for _, enc := range []onion.EncType{onion.XChaCha20, onion.AESGCM} {
		resp := ts.do(t, enc, uploadReq(data, ""))
		if resp.Code != 200 {
			t.Fatalf("upload: %d %s", resp.Code, resp.Body)
		}
		m := decodeJSON(t, resp.Body)
		id, _ := m["id"].(string)
		if id != FileID(data) || len(id) != IDLen {
			t.Fatalf("id %q, want the content address %q", id, FileID(data))
		}
		wantExp := float64(ts.clock.now().Unix()) + DefaultTTL.Seconds()
		if enc == onion.AESGCM {
			wantExp = float64(ts.clock.now().Unix()) + 5184000 // extended below in the first round
		}
		if m["expires"].(float64) != wantExp {
			t.Errorf("expires %v, want %v", m["expires"], wantExp)
		}
		got := ts.do(t, enc, onion.V4Request{Method: "GET", Endpoint: "/file/" + id})
		if got.Code != 200 || !bytes.Equal(got.Body, data) {
			t.Fatalf("%v download: %d, %d bytes (identical: %v)", enc, got.Code, len(got.Body), bytes.Equal(got.Body, data))
		}
		info := ts.do(t, enc, onion.V4Request{Method: "GET", Endpoint: "/file/" + id + "/info"})
		im := decodeJSON(t, info.Body)
		if info.Code != 200 || im["size"].(float64) != float64(len(data)) {
			t.Fatalf("info: %d %s", info.Code, info.Body)
		}
		ext := ts.do(t, enc, onion.V4Request{Method: "POST", Endpoint: "/file/" + id + "/extend",
			Headers: map[string]string{"X-FS-TTL": "5184000"}, Body: []byte{}})
		if ext.Code != 200 || decodeJSON(t, ext.Body)["expires"].(float64) != float64(ts.clock.now().Unix())+5184000 {
			t.Fatalf("extend: %d %s", ext.Code, ext.Body)
		}
	}
	// The disk holds exactly the uploaded bytes under the id.
	id := FileID(data)
	onDisk, err := os.ReadFile(filepath.Join(ts.dir, "files", id))
	if err != nil || !bytes.Equal(onDisk, data) {
		t.Fatalf("file on disk: %v", err)
	}
}

// A file damaged on disk is served as it is (the receiver's checks refuse
// it); uploading the same bytes again repairs it, while an intact copy is
// left alone.
func TestUploadRepairsDamagedCopy(t *testing.T) {
	ts := start(t, nil)
	x := onion.XChaCha20
	data := make([]byte, 200_000)
	rand.Read(data)
	if r := ts.do(t, x, uploadReq(data, "")); r.Code != 200 {
		t.Fatalf("upload: %d", r.Code)
	}
	id := FileID(data)
	p := filepath.Join(ts.dir, "files", id)
	before, _ := os.Stat(p)
	if r := ts.do(t, x, uploadReq(data, "")); r.Code != 200 {
		t.Fatalf("upload again: %d", r.Code)
	}
	if after, _ := os.Stat(p); !os.SameFile(before, after) {
		t.Error("an intact copy was rewritten")
	}
	damaged := bytes.Clone(data)
	damaged[len(damaged)/2] ^= 1
	if err := os.WriteFile(p, damaged, 0o600); err != nil {
		t.Fatal(err)
	}
	if got := ts.do(t, x, onion.V4Request{Method: "GET", Endpoint: "/file/" + id}); bytes.Equal(got.Body, data) {
		t.Fatal("the damage did not show")
	}
	if r := ts.do(t, x, uploadReq(data, "")); r.Code != 200 || decodeJSON(t, r.Body)["id"] != id {
		t.Fatalf("repairing upload: %d %s", r.Code, r.Body)
	}
	if got := ts.do(t, x, onion.V4Request{Method: "GET", Endpoint: "/file/" + id}); got.Code != 200 || !bytes.Equal(got.Body, data) {
		t.Fatalf("after the repair: %d, identical %v", got.Code, bytes.Equal(got.Body, data))
	}
}

func TestLimitsAndErrors(t *testing.T) {
	ts := start(t, func(c *Config) { c.MaxFileSize = 1000; c.MaxTotalBytes = 2500 })
	x := onion.XChaCha20
	if r := ts.do(t, x, uploadReq(make([]byte, 1001), "")); r.Code != http.StatusRequestEntityTooLarge {
		t.Errorf("over the file limit: %d", r.Code)
	}
	if r := ts.do(t, x, uploadReq([]byte{}, "")); r.Code != http.StatusBadRequest {
		t.Errorf("empty: %d", r.Code)
	}
	for _, bad := range []string{"abc", "-5", "NaN", "Inf", "0"} {
		if r := ts.do(t, x, uploadReq([]byte("a"), bad)); r.Code != http.StatusBadRequest {
			t.Errorf("X-FS-TTL %q: %d", bad, r.Code)
		}
	}
	for _, ep := range []string{"/file/nope", "/file/" + strings.Repeat("A", 44), "/file/../../etc/passwd", "/files/x", "/"} {
		if r := ts.do(t, x, onion.V4Request{Method: "GET", Endpoint: ep}); r.Code != http.StatusNotFound {
			t.Errorf("GET %s: %d", ep, r.Code)
		}
	}
	// The disk quota: two files fit, the third is refused with 507, and
	// a re-upload of a stored one still works.
	for i := range 3 {
		want := 200
		if i == 2 {
			want = http.StatusInsufficientStorage
		}
		if r := ts.do(t, x, uploadReq(bytes.Repeat([]byte{byte(i + 1)}, 1000), "")); r.Code != want {
			t.Errorf("upload %d: %d, want %d", i, r.Code, want)
		}
	}
	if r := ts.do(t, x, uploadReq(bytes.Repeat([]byte{1}, 1000), "")); r.Code != 200 {
		t.Errorf("re-upload with a full disk: %d", r.Code)
	}
	// Garbage and unencrypted bodies get a plain 400, an unknown target 404.
	resp, _ := http.Post(ts.url+TargetV4, "", strings.NewReader("hello"))
	if resp.StatusCode != http.StatusBadRequest {
		t.Errorf("garbage: %d", resp.StatusCode)
	}
	resp, _ = http.Post(ts.url+"/file", "", strings.NewReader("hello"))
	if resp.StatusCode != http.StatusNotFound {
		t.Errorf("plain HTTP /file: %d (only onion requests are served)", resp.StatusCode)
	}
	// A body over the onion limit is refused before it is read whole.
	resp, _ = http.Post(ts.url+TargetV4, "", bytes.NewReader(make([]byte, onion.MaxRequestSize+1)))
	if resp.StatusCode != http.StatusRequestEntityTooLarge {
		t.Errorf("oversized onion body: %d", resp.StatusCode)
	}
}

func TestExpiryAndSweep(t *testing.T) {
	ts := start(t, nil)
	x := onion.XChaCha20
	short := []byte("short-lived")
	long := []byte("long-lived")
	ts.do(t, x, uploadReq(short, "3600"))
	ts.do(t, x, uploadReq(long, ""))
	// A re-upload with a longer TTL extends; a shorter one never shortens.
	r := ts.do(t, x, uploadReq(short, "60"))
	if decodeJSON(t, r.Body)["expires"].(float64) != float64(ts.clock.now().Unix()+3600) {
		t.Errorf("a re-upload shortened the expiry: %s", r.Body)
	}
	ts.clock.add(2 * time.Hour)
	if r := ts.do(t, x, onion.V4Request{Method: "GET", Endpoint: "/file/" + FileID(short)}); r.Code != 404 {
		t.Errorf("expired file served: %d", r.Code)
	}
	n, err := ts.Sweep(context.Background())
	if err != nil || n != 1 {
		t.Fatalf("sweep: %d %v", n, err)
	}
	if _, err := os.Stat(filepath.Join(ts.dir, "files", FileID(short))); !os.IsNotExist(err) {
		t.Errorf("expired file still on disk: %v", err)
	}
	if r := ts.do(t, x, onion.V4Request{Method: "GET", Endpoint: "/file/" + FileID(long)}); r.Code != 200 || !bytes.Equal(r.Body, long) {
		t.Errorf("live file: %d", r.Code)
	}
}

// A crash mid-upload leaves a file in tmp/, or one in files/ without its
// row; a crash mid-sweep leaves a row without its file. Opening again
// cleans all three and keeps the good file.
func TestReconcileAfterCrash(t *testing.T) {
	ts := start(t, nil)
	good := []byte("good")
	ts.do(t, onion.XChaCha20, uploadReq(good, ""))
	gone := []byte("row without file")
	ts.do(t, onion.XChaCha20, uploadReq(gone, ""))
	os.Remove(filepath.Join(ts.dir, "files", FileID(gone)))
	os.WriteFile(filepath.Join(ts.dir, "tmp", "half"), []byte("half an upload"), 0o600)
	orphan := FileID([]byte("orphan"))
	os.WriteFile(filepath.Join(ts.dir, "files", orphan), []byte("orphan"), 0o600)
	ts.Close()

	s2, err := Open(context.Background(), Config{Dir: ts.dir, Key: newKey(t), Now: ts.clock.now})
	if err != nil {
		t.Fatal(err)
	}
	defer s2.Close()
	entries, _ := os.ReadDir(filepath.Join(ts.dir, "tmp"))
	if len(entries) != 0 {
		t.Errorf("tmp/ not emptied: %d entries", len(entries))
	}
	if _, err := os.Stat(filepath.Join(ts.dir, "files", orphan)); !os.IsNotExist(err) {
		t.Error("file without a row kept")
	}
	ctx := context.Background()
	if _, ok, _ := s2.st.info(ctx, FileID(gone), s2.now()); ok {
		t.Error("row without a file kept")
	}
	if _, ok, _ := s2.st.info(ctx, FileID(good), s2.now()); !ok {
		t.Error("good file lost")
	}
}

// The in-flight cap answers 503 rather than queueing without bound.
func TestInFlightCap(t *testing.T) {
	ts := start(t, func(c *Config) { c.MaxInFlight = 1 })
	ts.slots <- struct{}{} // one request is being handled
	status, _, _ := ts.post(t, onion.XChaCha20, onion.V4Request{Method: "GET", Endpoint: "/file/x"})
	<-ts.slots
	if status != http.StatusServiceUnavailable {
		t.Errorf("over the cap: %d", status)
	}
}

func TestFileIDKnownAnswer(t *testing.T) {
	// BLAKE2b-33 salted "SessionFileSvr\0\0" of "hello" is pinned in
	// package blake2param against libsodium.
	if got := FileID([]byte("hello")); got != "tKO2VVg1JPHwgZuvqK_7bDHJeSr4UJ_8i13ETlwAn0jB" {
		t.Errorf("FileID(hello) = %s", got)
	}
}

// FuzzServe feeds arbitrary v4 requests (method, endpoint, headers, body)
// to the API: nothing panics, every answer is a valid v4 response, and an
// upload that is accepted can be read back byte for byte.
func FuzzServe(f *testing.F) {
	f.Add("POST", "/file", "X-FS-TTL", "60", []byte("data"))
	f.Add("GET", "/file/tKO2VVg1JPHwgZuvqK_7bDHJeSr4UJ_8i13ETlwAn0jB/info", "", "", []byte(nil))
	f.Add("POST", "/file/tKO2VVg1JPHwgZuvqK_7bDHJeSr4UJ_8i13ETlwAn0jB/extend", "x-fs-ttl", "1e308", []byte{})
	f.Add("GET", "/file/..%2F..%2Fetc?x=1", "", "", []byte(nil))
	ts := start(f, func(c *Config) { c.MaxFileSize = 4096; c.MaxTotalBytes = 1 << 20 })
	f.Fuzz(func(t *testing.T, method, endpoint, hk, hv string, body []byte) {
		req := &onion.V4Request{Method: method, Endpoint: endpoint, Headers: map[string]string{hk: hv}, Body: body}
		resp := ts.serve(context.Background(), req)
		if _, err := resp.Encode(); err != nil {
			t.Fatalf("answer does not encode: %v", err)
		}
		if method == "POST" && pathOf(endpoint) == "/file" && resp.Code == 200 {
			f, _, err := ts.st.open(context.Background(), FileID(body), ts.now())
			if err != nil || f == nil {
				t.Fatalf("accepted upload not stored: %v", err)
			}
			got, _ := io.ReadAll(f)
			f.Close()
			if !bytes.Equal(got, body) {
				t.Fatal("stored bytes differ")
			}
		}
	})
}

// The memory budget refuses an upload that does not fit, while small
// requests (downloads) still go through.
func TestMemoryBudget(t *testing.T) {
	ts := start(t, func(c *Config) { c.MaxBuffered = 1 << 20 })
	if r := ts.do(t, onion.XChaCha20, uploadReq([]byte("small"), "")); r.Code != 200 {
		t.Fatalf("small upload: %d", r.Code)
	}
	status, _, _ := ts.post(t, onion.XChaCha20, uploadReq(make([]byte, 600_000), ""))
	if status != http.StatusServiceUnavailable {
		t.Fatalf("upload over the budget: HTTP %d", status)
	}
	if r := ts.do(t, onion.XChaCha20, onion.V4Request{Method: "GET", Endpoint: "/file/" + FileID([]byte("small"))}); r.Code != 200 {
		t.Fatalf("download: %d", r.Code)
	}
}
