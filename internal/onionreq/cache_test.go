package onionreq

import (
	"encoding/json"
	"github.com/session-go/session-go/internal/netview"
	"slices"
	"testing"
)

// A client started again from the last run's cache uses its paths and the
// swarms it knew: no guard is tested, and requests go through.
func TestCacheSkipsGuardTests(t *testing.T) {
	fn := newFakeNet(t, 8)
	ctx := ctxT(t)
	first := newTestClient(t, fn.source(), nil)
	id := newIdentity(t)
	if _, _, err := first.SwarmRPC(ctx, id.SessionID(), storeFunc(id, []byte("hello"))); err != nil {
		t.Fatal(err)
	}
	cache, err := first.SaveCache()
	if err != nil {
		t.Fatal(err)
	}
	var ct *countingTransport
	second := newTestClient(t, fn.source(), func(cfg *Config) {
		ct = &countingTransport{Transport: NewHTTPTransport(HTTPConfig{})}
		cfg.Transport = ct
	})
	if err := second.LoadCache(cache); err != nil {
		t.Fatal(err)
	}
	if _, _, err := second.SwarmRPC(ctx, id.SessionID(), retrieveFunc(id)); err != nil {
		t.Fatal(err)
	}
	if ct.total != 0 {
		t.Errorf("%d guard tests after loading the cache, want none", ct.total)
	}
	if !slices.EqualFunc(first.Paths(), second.Paths(), func(a, b []netview.Node) bool { return slices.Equal(a, b) }) {
		t.Errorf("paths differ from the cached ones")
	}
}

// A cached path through a node the directory now lists at another address
// is dropped, and a new one built (its guard tested).
func TestCacheDropsStalePaths(t *testing.T) {
	fn := newFakeNet(t, 8)
	ctx := ctxT(t)
	first := newTestClient(t, fn.source(), nil)
	if err := first.Bootstrap(ctx); err != nil {
		t.Fatal(err)
	}
	cache, _ := first.SaveCache()
	var f cacheFile
	if err := json.Unmarshal(cache, &f); err != nil || len(f.Paths) != 3 {
		t.Fatalf("cache: %d paths, %v", len(f.Paths), err)
	}
	f.Paths[0].Hops[1].IP = "127.0.0.2" // moved, or a stale cache
	stale := f.Paths[0].Hops[0].Ed25519
	cache, _ = json.Marshal(f)
	var ct *countingTransport
	second := newTestClient(t, fn.source(), func(cfg *Config) {
		ct = &countingTransport{Transport: NewHTTPTransport(HTTPConfig{})}
		cfg.Transport = ct
	})
	if err := second.LoadCache(cache); err != nil {
		t.Fatal(err)
	}
	if err := second.Bootstrap(ctx); err != nil {
		t.Fatal(err)
	}
	paths := second.Paths()
	if len(paths) != 3 {
		t.Fatalf("%d paths, want 3", len(paths))
	}
	for _, p := range paths {
		for _, h := range p {
			if h.IP == "127.0.0.2" {
				t.Fatalf("the stale path was kept: guard %s", stale[:8])
			}
		}
	}
	if ct.total != 1 {
		t.Errorf("%d guard tests, want 1 (for the path that replaced the stale one)", ct.total)
	}
	if err := second.LoadCache(make([]byte, MaxCacheSize+1)); err == nil {
		t.Error("an oversized cache was accepted")
	}
}
