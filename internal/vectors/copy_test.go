package vectors

import (
	"bytes"
	"io/fs"
	"os"
	"path/filepath"
	"testing"
)

// TestVectorsCopyIsCurrent compares the copy in testdata with the shared
// vector folder beside the repository (../shared/vectors from the root), when
// there is one, so that the copy the tests use by default never goes stale
// silently. On a machine with only the clone there is nothing to compare.
func TestVectorsCopyIsCurrent(t *testing.T) {
	shared := filepath.Join(repoRoot(t), "..", "shared", "vectors")
	if _, err := os.Stat(shared); err != nil {
		t.Skipf("no shared vectors at %s to compare with", shared)
	}
	files := func(root string) map[string][]byte {
		out := map[string][]byte{}
		err := filepath.WalkDir(root, func(path string, d fs.DirEntry, err error) error {
			if err != nil || d.IsDir() {
				return err
			}
			rel, err := filepath.Rel(root, path)
			if err != nil {
				return err
			}
			b, err := os.ReadFile(path)
			out[filepath.ToSlash(rel)] = b
			return err
		})
		if err != nil {
			t.Fatal(err)
		}
		return out
	}
	want, got := files(shared), files("testdata")
	for name, b := range want {
		c, ok := got[name]
		switch {
		case !ok:
			t.Errorf("testdata/%s is missing: copy it from %s", name, shared)
		case !bytes.Equal(b, c):
			t.Errorf("testdata/%s differs from %s: copy it again", name, filepath.Join(shared, name))
		}
	}
	for name := range got {
		if _, ok := want[name]; !ok {
			t.Errorf("testdata/%s is not in %s: remove it", name, shared)
		}
	}
}

// repoRoot is the folder holding go.mod, found upwards from this package.
func repoRoot(t *testing.T) string {
	wd, err := os.Getwd()
	if err != nil {
		t.Fatal(err)
	}
	for dir := wd; ; dir = filepath.Dir(dir) {
		if _, err := os.Stat(filepath.Join(dir, "go.mod")); err == nil {
			return dir
		}
		if filepath.Dir(dir) == dir {
			t.Fatalf("no go.mod above %s", wd)
		}
	}
}
