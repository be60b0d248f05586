package groups

import (
	"fmt"
	"slices"

	"github.com/session-go/session-go/internal/config"
)

// Dump returns the ring's persistent state in libsession's Keys dump format:
// the bt dict {"A": [[generation, hash…]…], "L": [{g, k, t}…] (oldest
// first), "P": {c: pending key message, g, k}} ("P" only while a rekey is
// pending).
func (r *KeyRing) Dump() []byte {
	active := config.List{}
	gens := make([]int64, 0, len(r.active))
	for g := range r.active {
		gens = append(gens, g)
	}
	slices.Sort(gens)
	for _, g := range gens {
		l := config.List{g}
		hs := make([]string, 0, len(r.active[g]))
		for h := range r.active[g] {
			hs = append(hs, h)
		}
		slices.Sort(hs)
		for _, h := range hs {
			l = append(l, h)
		}
		active = append(active, l)
	}
	ks := config.List{}
	for _, k := range r.keys {
		ks = append(ks, config.Dict{"g": k.Generation, "k": string(k.Key[:]), "t": k.Timestamp})
	}
	d := config.Dict{"A": active, "L": ks}
	if r.pending != nil {
		d["P"] = config.Dict{"c": string(r.pendingM), "g": r.pending.Generation, "k": string(r.pending.Key[:])}
	}
	b, err := config.EncodeBT(d)
	if err != nil {
		panic("groups: key ring has no bt encoding: " + err.Error()) // only ints, strings, lists, dicts
	}
	return b
}

// LoadDump restores a ring's state from [KeyRing.Dump] (or libsession's
// Keys dump), replacing what the ring held.
func (r *KeyRing) LoadDump(dump []byte) error {
	if len(dump) > 4*MaxKeyMessageSize+maxSupplementKeys*64 {
		return fmt.Errorf("%w: key dump of %d bytes", ErrTooLarge, len(dump))
	}
	v, err := config.DecodeBT(dump)
	if err != nil {
		return fmt.Errorf("%w: key dump: %v", ErrMalformed, err)
	}
	d, ok := v.(config.Dict)
	if !ok {
		return fmt.Errorf("%w: key dump is not a dict", ErrMalformed)
	}
	active := map[int64]map[string]struct{}{}
	al, ok := d["A"].(config.List)
	if !ok {
		return fmt.Errorf("%w: key dump has no active list (A)", ErrMalformed)
	}
	for _, e := range al {
		l, ok := e.(config.List)
		if !ok || len(l) == 0 {
			return fmt.Errorf("%w: key dump active entry", ErrMalformed)
		}
		g, ok := l[0].(int64)
		if !ok {
			return fmt.Errorf("%w: key dump active generation", ErrMalformed)
		}
		hs := map[string]struct{}{}
		for _, h := range l[1:] {
			s, ok := h.(string)
			if !ok {
				return fmt.Errorf("%w: key dump active hash", ErrMalformed)
			}
			hs[s] = struct{}{}
		}
		active[g] = hs
	}
	ll, ok := d["L"].(config.List)
	if !ok {
		return fmt.Errorf("%w: key dump has no key list (L)", ErrMalformed)
	}
	b, err := config.EncodeBT(ll)
	if err != nil {
		return fmt.Errorf("%w: key dump key list", ErrMalformed)
	}
	ks, err := parseKeyList(b)
	if err != nil {
		return err
	}
	for i := 1; i < len(ks); i++ {
		if ks[i-1].compare(ks[i]) >= 0 {
			return fmt.Errorf("%w: key dump keys out of order", ErrMalformed)
		}
	}
	var pending *Key
	var pendingM []byte
	if p, present := d["P"]; present {
		pd, ok := p.(config.Dict)
		c, okC := pd["c"].(string)
		g, okG := pd["g"].(int64)
		k, okK := pd["k"].(string)
		if !ok || !okC || !okG || !okK || len(k) != 32 {
			return fmt.Errorf("%w: key dump pending entry", ErrMalformed)
		}
		pending = &Key{Generation: g, Key: [32]byte([]byte(k))}
		pendingM = []byte(c)
	}
	r.keys, r.active, r.pending, r.pendingM = ks, active, pending, pendingM
	return nil
}
