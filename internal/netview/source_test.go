package netview

import (
	"crypto/ed25519"
	"crypto/rand"
	"crypto/tls"
	"encoding/hex"
	"encoding/json"
	"errors"
	"net/http"
	"net/http/httptest"
	"sync"
	"testing"
	"time"
)

// seedServer is a real HTTPS seed answering get_n_service_nodes with a
// signed directory of nodes; answer decides how each answer is signed.
type seedServer struct {
	*httptest.Server
	key ed25519.PrivateKey

	mu     sync.Mutex
	answer func(h http.Header, body []byte) // guarded by mu
}

func newSeedServer(t *testing.T, nodes []Node) *seedServer {
	t.Helper()
	_, key, err := ed25519.GenerateKey(rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	s := &seedServer{key: key}
	s.answer = func(h http.Header, body []byte) { SignSeedAnswer(h, key, time.Now(), body) }
	var res ServiceNodesResult
	res.Result.ServiceNodeStates = nodes
	body, _ := json.Marshal(res)
	s.Server = httptest.NewTLSServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		s.mu.Lock()
		s.answer(w.Header(), body)
		s.mu.Unlock()
		w.Write(body)
	}))
	t.Cleanup(s.Close)
	return s
}

func (s *seedServer) setAnswer(f func(h http.Header, body []byte)) {
	s.mu.Lock()
	s.answer = f
	s.mu.Unlock()
}

// TestSeedAnswersAreSignedAndFresh: a seed's answer is taken only when
// signed by the seed's key at a time close to the client's clock; an answer
// signed long ago (a replay), with the old body-only signature, or with its
// time or body changed is refused.
func TestSeedAnswersAreSignedAndFresh(t *testing.T) {
	srv := newSeedServer(t, testNodes(t, 3))
	pub := srv.key.Public().(ed25519.PublicKey)
	src, err := NewSeedSource([]Seed{{URL: srv.URL, Ed25519: hex.EncodeToString(pub)}},
		&http.Client{Transport: &http.Transport{TLSClientConfig: &tls.Config{InsecureSkipVerify: true}}})
	if err != nil {
		t.Fatal(err)
	}
	if d, err := src.Load(t.Context()); err != nil || d.Len() != 3 {
		t.Fatalf("fresh signed answer: %v", err)
	}
	old := time.Now().Add(-MaxSeedAnswerSkew - time.Minute)
	for _, tc := range []struct {
		name string
		sign func(h http.Header, body []byte)
	}{
		{"signed long ago (replayed)", func(h http.Header, body []byte) { SignSeedAnswer(h, srv.key, old, body) }},
		{"signed far ahead", func(h http.Header, body []byte) {
			SignSeedAnswer(h, srv.key, time.Now().Add(MaxSeedAnswerSkew+time.Minute), body)
		}},
		{"body-only signature, no time", func(h http.Header, body []byte) {
			SignSeedAnswer(h, srv.key, time.Now(), body)
			h.Del(SignatureTimestampHeader)
		}},
		{"time changed after signing", func(h http.Header, body []byte) {
			SignSeedAnswer(h, srv.key, old, body)
			h.Set(SignatureTimestampHeader, time.Now().Format("20060102")) // any other number
		}},
		{"another key", func(h http.Header, body []byte) {
			_, other, _ := ed25519.GenerateKey(rand.Reader)
			SignSeedAnswer(h, other, time.Now(), body)
		}},
		{"body changed after signing", func(h http.Header, body []byte) {
			SignSeedAnswer(h, srv.key, time.Now(), append([]byte(" "), body...))
		}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			srv.setAnswer(tc.sign)
			if _, err := src.Load(t.Context()); !errors.Is(err, ErrBadSeedAnswer) {
				t.Fatalf("Load = %v, want ErrBadSeedAnswer", err)
			}
		})
	}
	// A client whose clock is behind by less than the skew still loads.
	srv.setAnswer(func(h http.Header, body []byte) { SignSeedAnswer(h, srv.key, time.Now(), body) })
	src.Now = func() time.Time { return time.Now().Add(-MaxSeedAnswerSkew / 2) }
	if _, err := src.Load(t.Context()); err != nil {
		t.Fatalf("client clock within the skew: %v", err)
	}
}
