package client

import (
	"encoding/binary"
	"os"
	"path/filepath"
	"testing"

	"github.com/session-go/session-go/internal/clientdb"
)

// testMP4 is a minimal MP4 (or, with brand "qt  ", MOV) whose one video
// track's header says w×h.
func testMP4(brand string, w, h uint32) []byte {
	box := func(typ string, payload []byte) []byte {
		b := binary.BigEndian.AppendUint32(nil, uint32(8+len(payload)))
		return append(append(b, typ...), payload...)
	}
	tk := append([]byte{0, 0, 0, 7}, make([]byte, 20+16)...)
	for _, x := range []uint32{0x10000, 0, 0, 0, 0x10000, 0, 0, 0, 0x40000000, w << 16, h << 16} {
		tk = binary.BigEndian.AppendUint32(tk, x)
	}
	hd := append(append(make([]byte, 8), "vide"...), make([]byte, 13)...)
	trak := box("trak", append(box("tkhd", tk), box("mdia", box("hdlr", hd))...))
	return append(box("ftyp", []byte(brand+"\x00\x00\x02\x00")), box("moov", trak)...)
}

// A video sent as a file carries its picture size in its attachment
// pointer, read from the container's track header: MP4 and MOV (whatever
// the name says).
func TestVideoFileSize(t *testing.T) {
	c, _, err := Create(t.Context(), Options{Home: t.TempDir(), Network: "/nonexistent/network.json"}, "Ann")
	if err != nil {
		t.Skipf("no offline account: %v", err)
	}
	defer c.Close()
	dir := t.TempDir()
	for name, data := range map[string][]byte{
		"clip.mp4":   testMP4("isom", 640, 360),
		"clip.mov":   testMP4("qt  ", 1920, 1080),
		"clip.video": testMP4("qt  ", 1920, 1080), // no telling name
	} {
		path := filepath.Join(dir, name)
		if err := os.WriteFile(path, data, 0o600); err != nil {
			t.Fatal(err)
		}
		a, err := c.prepareFile(File{Path: path})
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		ps := pointers([]clientdb.Attachment{a})
		if len(ps) != 1 || ps[0].GetWidth() == 0 || int(ps[0].GetWidth()) != a.Width || int(ps[0].GetHeight()) != a.Height {
			t.Fatalf("%s: pointer %v for %+v", name, ps, a)
		}
		want := [2]int{640, 360}
		if name != "clip.mp4" {
			want = [2]int{1920, 1080}
		}
		if got := [2]int{a.Width, a.Height}; got != want || a.ContentType[:6] != "video/" {
			t.Errorf("%s: %v %q, want %v", name, got, a.ContentType, want)
		}
	}
	// A file that is not a video has no size.
	path := filepath.Join(dir, "notes.txt")
	os.WriteFile(path, []byte("ftyp is a word in this text"), 0o600)
	if a, err := c.prepareFile(File{Path: path}); err != nil || a.Width != 0 {
		t.Errorf("a text file: %+v, %v", a, err)
	}
}
