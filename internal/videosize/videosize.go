// Package videosize reads the picture size of a video file from its
// container's headers without decoding it: the track header (tkhd) of the
// first video track of an MP4 or QuickTime (MOV) file, and the first video
// track's PixelWidth and PixelHeight of a WebM (Matroska) file. Session
// sends a video's size with its attachment so that the receiving app can
// lay the message out before the file arrives.
//
// Every read is bounded: the parser follows box and element sizes only
// within their parent, visits at most MaxBoxes of them and reads at most a
// few hundred bytes at a time, whatever the file claims.
package videosize

import (
	"encoding/binary"
	"errors"
	"fmt"
	"io"
)

// Limits on what one file can make the parser do.
const (
	// MaxBoxes bounds the boxes (MP4) or elements (WebM) visited.
	MaxBoxes = 10000
	// MaxSide bounds a width or height reported; a larger one is refused
	// as not a real video's.
	MaxSide = 1 << 16
)

// Sentinel errors.
var (
	// ErrUnknownFormat reports a file that is neither MP4/MOV nor WebM.
	ErrUnknownFormat = errors.New("videosize: not an MP4, MOV or WebM file")
	// ErrNoVideo reports a container with no video track whose size is
	// given (or a malformed one: sizes that do not fit their parent).
	ErrNoVideo = errors.New("videosize: no video track with a size")
)

// Read returns the display width and height of the video in r, a file of
// size bytes.
func Read(r io.ReaderAt, size int64) (width, height int, err error) {
	var head [12]byte
	if _, err := r.ReadAt(head[:], 0); err != nil {
		return 0, 0, fmt.Errorf("%w: %v", ErrUnknownFormat, err)
	}
	p := &parser{r: r}
	switch {
	case string(head[4:8]) == "ftyp" || string(head[4:8]) == "moov" || string(head[4:8]) == "wide" ||
		string(head[4:8]) == "mdat" || string(head[4:8]) == "free":
		width, height, err = p.mp4(size)
	case binary.BigEndian.Uint32(head[:4]) == ebmlMagic:
		width, height, err = p.webm(size)
	default:
		return 0, 0, fmt.Errorf("%w: starts with %q", ErrUnknownFormat, head[:8])
	}
	if err != nil {
		return 0, 0, err
	}
	if width <= 0 || height <= 0 || width > MaxSide || height > MaxSide {
		return 0, 0, fmt.Errorf("%w: size %dx%d", ErrNoVideo, width, height)
	}
	return width, height, nil
}

type parser struct {
	r      io.ReaderAt
	visits int
}

func (p *parser) visit() error {
	p.visits++
	if p.visits > MaxBoxes {
		return fmt.Errorf("%w: more than %d boxes", ErrNoVideo, MaxBoxes)
	}
	return nil
}

func (p *parser) read(off int64, n int) ([]byte, error) {
	b := make([]byte, n)
	if _, err := p.r.ReadAt(b, off); err != nil {
		return nil, fmt.Errorf("%w: reading %d bytes at %d: %v", ErrNoVideo, n, off, err)
	}
	return b, nil
}

// box is an MP4 box: its type and where its payload lies.
type box struct {
	typ        string
	start, end int64 // payload
}

// boxes calls fn on each box between start and end, stopping at the first
// error or when fn says stop.
func (p *parser) boxes(start, end int64, fn func(b box) (stop bool, err error)) error {
	for off := start; off+8 <= end; {
		if err := p.visit(); err != nil {
			return err
		}
		h, err := p.read(off, 8)
		if err != nil {
			return err
		}
		size, hdr := int64(binary.BigEndian.Uint32(h)), int64(8)
		switch size {
		case 0: // to the end of the parent
			size = end - off
		case 1: // 64-bit size follows
			l, err := p.read(off+8, 8)
			if err != nil {
				return err
			}
			u := binary.BigEndian.Uint64(l)
			if u > uint64(end-off) {
				return fmt.Errorf("%w: box %q of %d bytes overruns its parent", ErrNoVideo, h[4:8], u)
			}
			size, hdr = int64(u), 16
		}
		if size < hdr || size > end-off {
			return fmt.Errorf("%w: box %q of %d bytes at %d does not fit", ErrNoVideo, h[4:8], size, off)
		}
		stop, err := fn(box{typ: string(h[4:8]), start: off + hdr, end: off + size})
		if err != nil || stop {
			return err
		}
		off += size
	}
	return nil
}

// mp4 finds moov, then the first trak whose handler is "vide" (or, lacking
// handlers, the first with a size), and reads its tkhd.
func (p *parser) mp4(size int64) (int, int, error) {
	var w, h int
	found := false
	err := p.boxes(0, size, func(b box) (bool, error) {
		if b.typ != "moov" {
			return false, nil
		}
		return true, p.boxes(b.start, b.end, func(t box) (bool, error) {
			if t.typ != "trak" {
				return false, nil
			}
			tw, th, video, err := p.trak(t)
			if err != nil {
				return false, err
			}
			if video && tw > 0 && th > 0 {
				w, h, found = tw, th, true
				return true, nil
			}
			return false, nil
		})
	})
	if err != nil {
		return 0, 0, err
	}
	if !found {
		return 0, 0, ErrNoVideo
	}
	return w, h, nil
}

// trak reads one track's header size and whether its handler says video
// (a track without a handler counts as video when it has a size: audio
// tracks' headers give 0x0).
func (p *parser) trak(t box) (w, h int, video bool, err error) {
	handler := ""
	err = p.boxes(t.start, t.end, func(b box) (bool, error) {
		switch b.typ {
		case "tkhd":
			w, h, err = p.tkhd(b)
			return false, err
		case "mdia":
			return false, p.boxes(b.start, b.end, func(m box) (bool, error) {
				if m.typ != "hdlr" || m.end-m.start < 12 {
					return false, nil
				}
				d, err := p.read(m.start+8, 4) // version+flags, pre_defined, handler_type
				if err != nil {
					return false, err
				}
				handler = string(d)
				return true, nil
			})
		}
		return false, nil
	})
	return w, h, handler == "vide" || handler == "", err
}

// tkhd reads a track header's width and height (16.16 fixed point), swapped
// when its matrix turns the picture a quarter turn (a phone held upright).
func (p *parser) tkhd(b box) (int, int, error) {
	v, err := p.read(b.start, 1)
	if err != nil {
		return 0, 0, err
	}
	// version, flags, then times and IDs (20 bytes, or 32 in version 1),
	// 16 bytes of layer, group, volume and reserved, the 36-byte matrix,
	// width and height.
	at := int64(4 + 20 + 16)
	if v[0] == 1 {
		at = 4 + 32 + 16
	}
	if b.end-b.start < at+36+8 {
		return 0, 0, fmt.Errorf("%w: track header of %d bytes", ErrNoVideo, b.end-b.start)
	}
	d, err := p.read(b.start+at, 36+8)
	if err != nil {
		return 0, 0, err
	}
	a, dd := int32(binary.BigEndian.Uint32(d[0:])), int32(binary.BigEndian.Uint32(d[16:]))
	w, h := int(binary.BigEndian.Uint32(d[36:])>>16), int(binary.BigEndian.Uint32(d[40:])>>16)
	if a == 0 && dd == 0 {
		w, h = h, w
	}
	return w, h, nil
}
