package devnet

import (
	"encoding/json"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestControlNeedsTheToken: the control API of a running devnet refuses a
// request without the token of its control file, or with another one, and
// answers one with it; the file is readable by its owner only.
func TestControlNeedsTheToken(t *testing.T) {
	dn := &Net{Dir: t.TempDir()}
	if err := dn.serveControl(); err != nil {
		t.Fatal(err)
	}
	defer dn.stopControl()
	path := filepath.Join(dn.Dir, ControlFile)
	fi, err := os.Stat(path)
	if err != nil {
		t.Fatal(err)
	}
	if fi.Mode().Perm() != 0o600 {
		t.Errorf("control file mode %v, want 0600", fi.Mode().Perm())
	}
	b, _ := os.ReadFile(path)
	var cf controlFile
	if err := json.Unmarshal(b, &cf); err != nil {
		t.Fatal(err)
	}
	get := func(auth string) int {
		req, _ := http.NewRequest(http.MethodPost, "http://"+cf.Addr+"/add", strings.NewReader(`{"n":0}`))
		if auth != "" {
			req.Header.Set("Authorization", auth)
		}
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		return resp.StatusCode
	}
	wrong := []byte(cf.Token)
	wrong[0] ^= 1
	for _, auth := range []string{"", "Bearer ", "Bearer " + string(wrong), cf.Token} {
		if got := get(auth); got != http.StatusUnauthorized {
			t.Errorf("Authorization %q: HTTP %d, want 401", auth, got)
		}
	}
	// With the token the request is read (and n=0 refused as such).
	if got := get("Bearer " + cf.Token); got != http.StatusBadRequest {
		t.Errorf("with the token: HTTP %d, want 400 for n=0", got)
	}
	dn.stopControl()
	if _, err := os.Stat(path); !os.IsNotExist(err) {
		t.Errorf("control file left after stop: %v", err)
	}
}

// TestControlFileLeftoversIgnored: a temporary file left in the devnet
// directory under the name the control file used to be written through
// (with a wide mode, or as a symbolic link to a file elsewhere) neither
// widens the control file's mode nor receives the token.
func TestControlFileLeftoversIgnored(t *testing.T) {
	dir := t.TempDir()
	elsewhere := filepath.Join(t.TempDir(), "stolen")
	if err := os.WriteFile(elsewhere, nil, 0o666); err != nil {
		t.Fatal(err)
	}
	if err := os.Symlink(elsewhere, filepath.Join(dir, ControlFile+".tmp")); err != nil {
		t.Fatal(err)
	}
	dn := &Net{Dir: dir}
	if err := dn.serveControl(); err != nil {
		t.Fatal(err)
	}
	defer dn.stopControl()
	if b, _ := os.ReadFile(elsewhere); len(b) != 0 {
		t.Fatalf("the token went through a leftover link: %q", b)
	}
	dn.stopControl()
	if err := os.Remove(filepath.Join(dir, ControlFile+".tmp")); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, ControlFile+".tmp"), []byte("old"), 0o666); err != nil {
		t.Fatal(err)
	}
	if err := os.Chmod(filepath.Join(dir, ControlFile+".tmp"), 0o666); err != nil {
		t.Fatal(err)
	}
	if err := dn.serveControl(); err != nil {
		t.Fatal(err)
	}
	fi, err := os.Stat(filepath.Join(dir, ControlFile))
	if err != nil {
		t.Fatal(err)
	}
	if fi.Mode().Perm() != 0o600 {
		t.Fatalf("control file mode %v after a leftover of mode 0666", fi.Mode().Perm())
	}
	ents, _ := os.ReadDir(dir)
	for _, e := range ents {
		if strings.HasPrefix(e.Name(), "."+ControlFile) {
			t.Errorf("temporary file left: %s", e.Name())
		}
	}
}
