package fileclient

import (
	"encoding/hex"
	"errors"
	"strings"
	"testing"

	"github.com/session-go/session-go/internal/netview"
)

func TestFileURLRoundTrip(t *testing.T) {
	s, err := FromNetwork(&netview.FileServer{URL: "http://127.0.0.1:8080/", X25519: strings.Repeat("ab", 32)})
	if err != nil {
		t.Fatal(err)
	}
	for _, det := range []bool{false, true} {
		u := s.FileURL("tKO2VVg1JPHwgZuvqK_7bDHJeSr4UJ_8i13ETlwAn0jB", det)
		got, id, err := ParseFileURL(u)
		if err != nil || got != s || id != "tKO2VVg1JPHwgZuvqK_7bDHJeSr4UJ_8i13ETlwAn0jB" {
			t.Fatalf("%s: %+v %q %v", u, got, id, err)
		}
		d, err := got.destination()
		if err != nil || d.Host != "127.0.0.1" || d.Port != 8080 || d.Protocol != "http" || d.Target != "/oxen/v4/lsrpc" {
			t.Fatalf("destination %+v %v", d, err)
		}
	}
}

func TestParseFileURLRejects(t *testing.T) {
	key := strings.Repeat("ab", 32)
	for _, u := range []string{
		"",
		"ftp://h/file/x#p=" + key,
		"http://h/file/x",            // no server key
		"http://h/file/x#p=abcd",     // short key
		"http://h/files/x#p=" + key,  // not /file/
		"http://h/file/#p=" + key,    // no id
		"http://h/file/a/b#p=" + key, // id with a slash
		"http://h_x/file/a#p=" + key, // bad host
		"http://h/file/" + strings.Repeat("a", 3000) + "#p=" + key,
	} {
		if _, _, err := ParseFileURL(u); !errors.Is(err, ErrBadURL) {
			t.Errorf("%q: %v", u, err)
		}
	}
	// Session's own file server is known without a key in the URL, as
	// its clients send them; on another port it is not.
	s, id, err := ParseFileURL("http://filev2.getsession.org/file/12345")
	if err != nil || id != "12345" || hex.EncodeToString(s.X25519[:]) != sessionFileServers["filev2.getsession.org"] {
		t.Errorf("Session's file server: %+v %q %v", s, id, err)
	}
	if _, _, err := ParseFileURL("http://filev2.getsession.org:81/file/12345"); !errors.Is(err, ErrBadURL) {
		t.Errorf("Session's file server name on another port: %v", err)
	}
	if _, err := FromNetwork(nil); !errors.Is(err, ErrBadURL) {
		t.Error("nil file server accepted")
	}
}

// FuzzParseFileURL: attachment URLs arrive in messages from anyone.
func FuzzParseFileURL(f *testing.F) {
	f.Add("http://127.0.0.1:8080/file/abc#p=" + strings.Repeat("ab", 32))
	f.Add("https://filev2.getsession.org/file/abc#d=&p=" + strings.Repeat("00", 32))
	f.Fuzz(func(t *testing.T, u string) {
		s, id, err := ParseFileURL(u)
		if err != nil {
			return
		}
		if _, err := s.destination(); err != nil {
			t.Fatalf("accepted %q but no destination: %v", u, err)
		}
		if id == "" {
			t.Fatal("empty id accepted")
		}
	})
}
