package gitrepo

import (
	"compress/zlib"
	"encoding/hex"
	"fmt"
	"io"
	"os"
)

// Pack entry types: whole objects, and deltas against a base given by
// its offset in the same pack or by its name.
const (
	packOfsDelta = 6
	packRefDelta = 7
)

// packTypes are the whole-object types of a pack entry's header.
var packTypes = map[byte]string{1: "commit", 2: "tree", 3: "blob", 4: "tag"}

// maxDeltaDepth bounds a delta chain (git makes them at most 50 deep by
// default, 250 with gc --aggressive in some versions).
const maxDeltaDepth = 1000

// readPacked reads the object whose entry starts at off in pack,
// applying deltas down to their whole base.
func (s *objectStore) readPacked(pack string, off int64, sha string, depth int) (string, []byte, error) {
	f, err := os.Open(pack)
	if err != nil {
		return "", nil, err
	}
	defer f.Close()
	var head [4]byte
	if _, err := io.ReadFull(f, head[:]); err != nil || string(head[:]) != "PACK" {
		return "", nil, fmt.Errorf("pack %s: %w", pack, errUnsupported)
	}
	return s.readEntry(f, off, sha, depth)
}

// readEntry reads the pack entry at off of the open pack f.
func (s *objectStore) readEntry(f *os.File, off int64, sha string, depth int) (string, []byte, error) {
	if depth > maxDeltaDepth {
		return "", nil, fmt.Errorf("object %s: delta chain too deep: %w", sha, errUnsupported)
	}
	// The header is a type and a variable-length size, then for a delta
	// its base: at most 10 + 20 bytes, read at once.
	var h [32]byte
	n, err := f.ReadAt(h[:], off)
	if n == 0 {
		return "", nil, fmt.Errorf("object %s: %w", sha, err)
	}
	kind := (h[0] >> 4) & 7
	size := int64(h[0] & 15)
	i := 1
	for shift := 4; h[i-1]&0x80 != 0; shift += 7 {
		if i >= n || shift > 56 {
			return "", nil, fmt.Errorf("object %s: bad pack entry: %w", sha, errUnsupported)
		}
		size |= int64(h[i]&0x7f) << shift
		i++
	}
	if size > maxObject {
		return "", nil, fmt.Errorf("object %s: %d bytes: %w", sha, size, errUnsupported)
	}
	var baseType string
	var base []byte
	switch kind {
	case packOfsDelta:
		// The base's distance back from this entry, in git's offset
		// encoding: each continuation byte adds one before shifting.
		if i >= n {
			return "", nil, fmt.Errorf("object %s: bad pack entry: %w", sha, errUnsupported)
		}
		c := h[i]
		i++
		dist := int64(c & 0x7f)
		for c&0x80 != 0 {
			if i >= n || dist > 1<<48 {
				return "", nil, fmt.Errorf("object %s: bad delta offset: %w", sha, errUnsupported)
			}
			c = h[i]
			i++
			dist = (dist+1)<<7 | int64(c&0x7f)
		}
		if dist <= 0 || dist > off {
			return "", nil, fmt.Errorf("object %s: bad delta offset: %w", sha, errUnsupported)
		}
		baseType, base, err = s.readEntry(f, off-dist, sha, depth+1)
	case packRefDelta:
		if i+20 > n {
			return "", nil, fmt.Errorf("object %s: bad pack entry: %w", sha, errUnsupported)
		}
		baseSha := hex.EncodeToString(h[i : i+20])
		i += 20
		baseType, base, err = s.readObjectDepth(baseSha, depth+1)
	default:
		typ, ok := packTypes[kind]
		if !ok {
			return "", nil, fmt.Errorf("object %s: pack entry type %d: %w", sha, kind, errUnsupported)
		}
		data, err := inflate(f, off+int64(i), size)
		if err != nil {
			return "", nil, fmt.Errorf("object %s: %w", sha, err)
		}
		return typ, data, nil
	}
	if err != nil {
		return "", nil, err
	}
	delta, err := inflate(f, off+int64(i), size)
	if err != nil {
		return "", nil, fmt.Errorf("object %s: %w", sha, err)
	}
	data, err := applyDelta(base, delta)
	if err != nil {
		return "", nil, fmt.Errorf("object %s: %w", sha, err)
	}
	return baseType, data, nil
}

// inflate reads size bytes of zlib data at off.
func inflate(f *os.File, off, size int64) ([]byte, error) {
	z, err := zlib.NewReader(io.NewSectionReader(f, off, 1<<62))
	if err != nil {
		return nil, err
	}
	defer z.Close()
	data := make([]byte, size)
	if _, err := io.ReadFull(z, data); err != nil {
		return nil, err
	}
	return data, nil
}

// applyDelta rebuilds an object from its base and a delta: the base's
// and the result's sizes, then instructions that copy a range of the
// base (high bit set) or insert the next 1-127 bytes of the delta.
func applyDelta(base, delta []byte) ([]byte, error) {
	bad := fmt.Errorf("bad delta: %w", errUnsupported)
	src, delta, ok := deltaSize(delta)
	if !ok || src != uint64(len(base)) {
		return nil, bad
	}
	dst, delta, ok := deltaSize(delta)
	if !ok || dst > maxObject {
		return nil, bad
	}
	out := make([]byte, 0, dst)
	for len(delta) > 0 {
		op := delta[0]
		delta = delta[1:]
		switch {
		case op&0x80 != 0:
			var off, n uint64
			for b := 0; b < 7; b++ {
				if op&(1<<b) == 0 {
					continue
				}
				if len(delta) == 0 {
					return nil, bad
				}
				if b < 4 {
					off |= uint64(delta[0]) << (8 * b)
				} else {
					n |= uint64(delta[0]) << (8 * (b - 4))
				}
				delta = delta[1:]
			}
			if n == 0 {
				n = 0x10000
			}
			if off+n > uint64(len(base)) || uint64(len(out))+n > dst {
				return nil, bad
			}
			out = append(out, base[off:off+n]...)
		case op != 0:
			if int(op) > len(delta) || uint64(len(out))+uint64(op) > dst {
				return nil, bad
			}
			out = append(out, delta[:op]...)
			delta = delta[op:]
		default:
			return nil, bad // reserved
		}
	}
	if uint64(len(out)) != dst {
		return nil, bad
	}
	return out, nil
}

// deltaSize reads a delta's little-endian base-128 size.
func deltaSize(b []byte) (uint64, []byte, bool) {
	var v uint64
	for i, shift := 0, 0; i < len(b) && shift < 64; i, shift = i+1, shift+7 {
		v |= uint64(b[i]&0x7f) << shift
		if b[i]&0x80 == 0 {
			return v, b[i+1:], true
		}
	}
	return 0, nil, false
}
