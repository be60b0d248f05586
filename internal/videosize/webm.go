package videosize

import (
	"fmt"
	"math/bits"
)

// Matroska (WebM) element IDs, as they appear on the wire (marker bits
// kept).
const (
	ebmlMagic     = 0x1A45DFA3
	idSegment     = 0x18538067
	idTracks      = 0x1654AE6B
	idCluster     = 0x1F43B675
	idTrackEntry  = 0xAE
	idTrackType   = 0x83
	idVideo       = 0xE0
	idPixelWidth  = 0xB0
	idPixelHeight = 0xBA
	trackVideo    = 1
)

// element is an EBML element: its ID and where its data lies. unknown
// marks an element of unknown size (a live recording's Segment or
// Cluster), which runs to its parent's end.
type element struct {
	id         uint32
	start, end int64
	unknown    bool
}

// elements calls fn on each element between start and end.
func (p *parser) elements(start, end int64, fn func(e element) (stop bool, err error)) error {
	for off := start; off < end; {
		if err := p.visit(); err != nil {
			return err
		}
		n := min(int64(12), end-off)
		h, err := p.read(off, int(n))
		if err != nil {
			return err
		}
		idLen := bits.LeadingZeros8(h[0]) + 1
		if idLen > 4 || idLen >= len(h) {
			return fmt.Errorf("%w: bad element ID at %d", ErrNoVideo, off)
		}
		var id uint32
		for _, c := range h[:idLen] {
			id = id<<8 | uint32(c)
		}
		s := h[idLen:]
		sizeLen := bits.LeadingZeros8(s[0]) + 1
		if sizeLen > 8 || sizeLen > len(s) {
			return fmt.Errorf("%w: bad element size at %d", ErrNoVideo, off)
		}
		size := uint64(s[0]) & (0xFF >> sizeLen)
		allOnes := size == 0xFF>>sizeLen
		for _, c := range s[1:sizeLen] {
			size = size<<8 | uint64(c)
			allOnes = allOnes && c == 0xFF
		}
		dstart := off + int64(idLen+sizeLen)
		e := element{id: id, start: dstart}
		switch {
		case allOnes:
			e.end, e.unknown = end, true
		case size > uint64(end-dstart):
			return fmt.Errorf("%w: element %#x of %d bytes at %d overruns its parent", ErrNoVideo, id, size, off)
		default:
			e.end = dstart + int64(size)
		}
		stop, err := fn(e)
		if err != nil || stop {
			return err
		}
		if e.unknown {
			return nil // nothing after it can be found without reading it
		}
		off = e.end
	}
	return nil
}

// uint reads an unsigned integer element's value (at most 8 bytes).
func (p *parser) uint(e element) (uint64, error) {
	if e.end-e.start > 8 {
		return 0, fmt.Errorf("%w: integer of %d bytes", ErrNoVideo, e.end-e.start)
	}
	d, err := p.read(e.start, int(e.end-e.start))
	if err != nil {
		return 0, err
	}
	var v uint64
	for _, c := range d {
		v = v<<8 | uint64(c)
	}
	return v, nil
}

// webm finds the Segment's Tracks and the first video TrackEntry's pixel
// size.
func (p *parser) webm(size int64) (int, int, error) {
	var w, h uint64
	found := false
	err := p.elements(0, size, func(seg element) (bool, error) {
		if seg.id != idSegment {
			return false, nil
		}
		return true, p.elements(seg.start, seg.end, func(tr element) (bool, error) {
			switch tr.id {
			case idCluster:
				return true, nil // the tracks come first
			case idTracks:
			default:
				return false, nil
			}
			return true, p.elements(tr.start, tr.end, func(te element) (bool, error) {
				if te.id != idTrackEntry {
					return false, nil
				}
				var typ, tw, th uint64
				err := p.elements(te.start, te.end, func(f element) (bool, error) {
					var err error
					switch f.id {
					case idTrackType:
						typ, err = p.uint(f)
					case idVideo:
						err = p.elements(f.start, f.end, func(v element) (bool, error) {
							var err error
							switch v.id {
							case idPixelWidth:
								tw, err = p.uint(v)
							case idPixelHeight:
								th, err = p.uint(v)
							}
							return false, err
						})
					}
					return false, err
				})
				if err != nil {
					return false, err
				}
				if typ == trackVideo && tw > 0 && th > 0 {
					w, h, found = tw, th, true
					return true, nil
				}
				return false, nil
			})
		})
	})
	if err != nil {
		return 0, 0, err
	}
	if !found || w > MaxSide || h > MaxSide {
		return 0, 0, fmt.Errorf("%w: %dx%d", ErrNoVideo, w, h)
	}
	return int(w), int(h), nil
}
