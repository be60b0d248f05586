package onionreq

import (
	"encoding/json"
	"fmt"
	"time"

	"github.com/session-go/session-go/internal/keys"
	"github.com/session-go/session-go/internal/netview"
)

// The cache lets a client that starts again (a `session receive`) skip what
// it did last time: its onion paths, whose guards it tested, the swarms it
// looked up and the network-time offset. Everything in it goes through the
// same rules as if just learnt: paths and swarm members the directory no
// longer lists (or lists at another address or key) are dropped when the
// pool loads, paths expire by their build time, swarms by their fetch time,
// and a path that fails is struck and rebuilt as any other.

// MaxCacheSize bounds a cache LoadCache accepts.
const MaxCacheSize = 1 << 20

// maxCachedSwarms bounds the swarms a cache keeps.
const maxCachedSwarms = 64

type cacheFile struct {
	Paths    []cachedPath  `json:"paths"`
	Swarms   []cachedSwarm `json:"swarms"`
	OffsetMS int64         `json:"offset_ms"`
}

type cachedPath struct {
	Hops  []netview.Node `json:"hops"`
	Built int64          `json:"built"` // ms since the Unix epoch
}

type cachedSwarm struct {
	Account string         `json:"account"`
	ID      string         `json:"id"`
	Nodes   []netview.Node `json:"nodes"`
	Fetched int64          `json:"fetched"`
	Count   int            `json:"count"`
}

// SaveCache returns the client's paths, swarms and network-time offset, for
// [Client.LoadCache] in a later run.
func (c *Client) SaveCache() ([]byte, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	var f cacheFile
	for _, p := range c.st.paths {
		f.Paths = append(f.Paths, cachedPath{Hops: p.hops, Built: p.built.UnixMilli()})
	}
	for acct, e := range c.st.swarms {
		if len(f.Swarms) == maxCachedSwarms {
			break
		}
		f.Swarms = append(f.Swarms, cachedSwarm{Account: acct.String(), ID: e.id, Nodes: e.nodes,
			Fetched: e.fetched.UnixMilli(), Count: e.count})
	}
	f.OffsetMS = c.st.clock.offset().Milliseconds()
	return json.Marshal(f)
}

// LoadCache restores what [Client.SaveCache] returned, before the client's
// first request. Entries that do not hold up are dropped, as described
// above; a cache that cannot be read is an error and changes nothing.
func (c *Client) LoadCache(b []byte) error {
	if len(b) > MaxCacheSize {
		return fmt.Errorf("onionreq: cache of %d bytes, limit %d", len(b), MaxCacheSize)
	}
	var f cacheFile
	if err := json.Unmarshal(b, &f); err != nil {
		return fmt.Errorf("onionreq: reading the cache: %w", err)
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	now := c.now()
	for _, p := range f.Paths {
		if len(c.st.paths) >= c.cfg.Paths || len(p.Hops) != c.cfg.Hops {
			continue
		}
		good := true
		for _, h := range p.Hops {
			good = good && usable(h)
		}
		built := time.UnixMilli(p.Built)
		if !good || built.After(now) {
			continue
		}
		c.st.addPath(p.Hops, now).built = built
	}
	for i, s := range f.Swarms {
		if i == maxCachedSwarms {
			break
		}
		acct, err := keys.ParseID(s.Account)
		fetched := time.UnixMilli(s.Fetched)
		if err != nil || fetched.After(now) {
			continue
		}
		c.st.setSwarm(acct, s.ID, s.Nodes, fetched)
		if e, ok := c.st.swarms[acct]; ok && s.Count > len(e.nodes) {
			e.count = s.Count
		}
	}
	if f.OffsetMS != 0 && len(c.st.clock.samples) == 0 {
		c.st.clock.reset(time.Duration(f.OffsetMS) * time.Millisecond)
	}
	return nil
}
