package videosize

import (
	"bytes"
	"encoding/binary"
	"errors"
	"testing"
)

func mp4box(typ string, parts ...[]byte) []byte {
	payload := bytes.Join(parts, nil)
	b := binary.BigEndian.AppendUint32(nil, uint32(8+len(payload)))
	return append(append(b, typ...), payload...)
}

// tkhd is a track header of version v, with the identity matrix or a
// quarter turn.
func tkhd(v byte, w, h uint32, turned bool) []byte {
	b := []byte{v, 0, 0, 7}
	if v == 1 {
		b = append(b, make([]byte, 32)...)
	} else {
		b = append(b, make([]byte, 20)...)
	}
	b = append(b, make([]byte, 16)...)
	m := []uint32{0x10000, 0, 0, 0, 0x10000, 0, 0, 0, 0x40000000}
	if turned {
		m = []uint32{0, 0x10000, 0, 0xFFFF0000, 0, 0, 0, 0, 0x40000000}
	}
	for _, x := range m {
		b = binary.BigEndian.AppendUint32(b, x)
	}
	b = binary.BigEndian.AppendUint32(b, w<<16)
	b = binary.BigEndian.AppendUint32(b, h<<16)
	return mp4box("tkhd", b)
}

func hdlr(kind string) []byte {
	return mp4box("mdia", mp4box("hdlr", make([]byte, 8), []byte(kind), make([]byte, 13)))
}

var ftyp = mp4box("ftyp", []byte("isom\x00\x00\x02\x00isomiso2mp41"))

func TestMP4(t *testing.T) {
	audio := mp4box("trak", tkhd(0, 0, 0, false), hdlr("soun"))
	for name, c := range map[string]struct {
		file []byte
		w, h int
	}{
		"video track":            {bytes.Join([][]byte{ftyp, mp4box("moov", mp4box("trak", tkhd(0, 640, 360, false), hdlr("vide")))}, nil), 640, 360},
		"audio first, moov last": {bytes.Join([][]byte{ftyp, mp4box("mdat", make([]byte, 1000)), mp4box("moov", mp4box("mvhd", make([]byte, 100)), audio, mp4box("trak", tkhd(1, 1920, 1080, false), hdlr("vide")))}, nil), 1920, 1080},
		"upright phone video":    {bytes.Join([][]byte{ftyp, mp4box("moov", mp4box("trak", tkhd(0, 1920, 1080, true), hdlr("vide")))}, nil), 1080, 1920},
		"no handler":             {bytes.Join([][]byte{mp4box("wide"), mp4box("moov", mp4box("trak", tkhd(0, 320, 240, false)))}, nil), 320, 240},
	} {
		w, h, err := Read(bytes.NewReader(c.file), int64(len(c.file)))
		if err != nil || w != c.w || h != c.h {
			t.Errorf("%s: %dx%d, %v; want %dx%d", name, w, h, err, c.w, c.h)
		}
	}
	// A 64-bit box size.
	mdat := append(binary.BigEndian.AppendUint32(nil, 1), "mdat"...)
	mdat = binary.BigEndian.AppendUint64(mdat, 16+8)
	file := bytes.Join([][]byte{ftyp, mdat, make([]byte, 8), mp4box("moov", mp4box("trak", tkhd(0, 2, 4, false), hdlr("vide")))}, nil)
	if w, h, err := Read(bytes.NewReader(file), int64(len(file))); err != nil || w != 2 || h != 4 {
		t.Errorf("after a 64-bit box: %dx%d, %v", w, h, err)
	}
}

func TestMP4Refused(t *testing.T) {
	good := bytes.Join([][]byte{ftyp, mp4box("moov", mp4box("trak", tkhd(0, 640, 360, false), hdlr("vide")))}, nil)
	overrun := bytes.Clone(good)
	binary.BigEndian.PutUint32(overrun[len(ftyp):], 1<<30) // moov claims a gigabyte
	many := bytes.Join([][]byte{ftyp, bytes.Repeat(mp4box("free"), MaxBoxes+1), good[len(ftyp):]}, nil)
	for name, c := range map[string]struct {
		file []byte
		want error
	}{
		"not a video":   {[]byte("GIF89a, a picture of a cat"), ErrUnknownFormat},
		"short":         {[]byte("abc"), ErrUnknownFormat},
		"truncated":     {good[:len(good)-20], ErrNoVideo},
		"overrun":       {overrun, ErrNoVideo},
		"audio only":    {bytes.Join([][]byte{ftyp, mp4box("moov", mp4box("trak", tkhd(0, 0, 0, false), hdlr("soun")))}, nil), ErrNoVideo},
		"box flood":     {many, ErrNoVideo},
		"no moov":       {ftyp, ErrNoVideo},
		"short tkhd":    {bytes.Join([][]byte{ftyp, mp4box("moov", mp4box("trak", mp4box("tkhd", make([]byte, 40))))}, nil), ErrNoVideo},
		"zero-size box": {bytes.Join([][]byte{ftyp, {0, 0, 0, 4, 'f', 'r', 'e', 'e'}}, nil), ErrNoVideo},
	} {
		if w, h, err := Read(bytes.NewReader(c.file), int64(len(c.file))); !errors.Is(err, c.want) {
			t.Errorf("%s: %dx%d, %v; want %v", name, w, h, err, c.want)
		}
	}
}

// ebml is an element with an 8-byte size (or unknown, size -1).
func ebml(id uint32, size int, parts ...[]byte) []byte {
	var b []byte
	for s := 24; s >= 0; s -= 8 {
		if c := byte(id >> s); c != 0 || len(b) > 0 {
			b = append(b, c)
		}
	}
	payload := bytes.Join(parts, nil)
	if size < 0 {
		return append(append(b, 0x01, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF), payload...)
	}
	b = append(b, 0x01)
	b = append(b, binary.BigEndian.AppendUint64(nil, uint64(len(payload)))[1:]...)
	return append(b, payload...)
}

func uintEl(id uint32, v uint16) []byte {
	return ebml(id, 0, binary.BigEndian.AppendUint16(nil, v))
}

func TestWebM(t *testing.T) {
	header := ebml(ebmlMagic, 0, ebml(0x4282, 0, []byte("webm")))
	audio := ebml(idTrackEntry, 0, uintEl(idTrackType, 2))
	video := ebml(idTrackEntry, 0, uintEl(idTrackType, trackVideo), ebml(idVideo, 0, uintEl(idPixelWidth, 1280), uintEl(idPixelHeight, 720)))
	cluster := ebml(idCluster, -1, make([]byte, 100))
	for name, file := range map[string][]byte{
		"known sizes":    bytes.Join([][]byte{header, ebml(idSegment, 0, ebml(0x1549A966, 0, make([]byte, 10)), ebml(idTracks, 0, audio, video))}, nil),
		"live recording": bytes.Join([][]byte{header, ebml(idSegment, -1, ebml(idTracks, 0, video), cluster)}, nil),
	} {
		if w, h, err := Read(bytes.NewReader(file), int64(len(file))); err != nil || w != 1280 || h != 720 {
			t.Errorf("%s: %dx%d, %v", name, w, h, err)
		}
	}
	for name, file := range map[string][]byte{
		"tracks after a cluster": bytes.Join([][]byte{header, ebml(idSegment, -1, cluster, ebml(idTracks, 0, video))}, nil),
		"audio only":             bytes.Join([][]byte{header, ebml(idSegment, 0, ebml(idTracks, 0, audio))}, nil),
		"truncated":              bytes.Join([][]byte{header, ebml(idSegment, 0, ebml(idTracks, 0, video))}, nil)[:len(header)+20],
	} {
		if w, h, err := Read(bytes.NewReader(file), int64(len(file))); !errors.Is(err, ErrNoVideo) {
			t.Errorf("%s: %dx%d, %v", name, w, h, err)
		}
	}
}

// FuzzRead: arbitrary files never panic, never report a size outside
// (0, MaxSide], and never make the parser visit more than MaxBoxes boxes.
func FuzzRead(f *testing.F) {
	f.Add(bytes.Join([][]byte{ftyp, mp4box("moov", mp4box("trak", tkhd(0, 640, 360, false), hdlr("vide")))}, nil))
	f.Add(bytes.Join([][]byte{ebml(ebmlMagic, 0), ebml(idSegment, -1, ebml(idTracks, 0,
		ebml(idTrackEntry, 0, uintEl(idTrackType, 1), ebml(idVideo, 0, uintEl(idPixelWidth, 8), uintEl(idPixelHeight, 8)))))}, nil))
	f.Fuzz(func(t *testing.T, data []byte) {
		w, h, err := Read(bytes.NewReader(data), int64(len(data)))
		if err == nil && (w <= 0 || h <= 0 || w > MaxSide || h > MaxSide) {
			t.Fatalf("size %dx%d", w, h)
		}
	})
}
