package gitrepo

import (
	"bytes"
	"crypto/sha1"
	"encoding/binary"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
)

// indexPaths lists the paths the index of the working copy r holds,
// as `git ls-files --cached --deduplicate` does, by reading the index
// file (versions 2 to 4). A split or sparse index, or a damaged one, is
// errUnsupported: git reads those.
func indexPaths(r *Repo) ([]string, error) {
	if r.err != nil {
		return nil, r.err
	}
	data, err := os.ReadFile(filepath.Join(r.l.gitDir, "index"))
	if errors.Is(err, fs.ErrNotExist) {
		return []string{}, nil // no index yet: nothing is tracked
	}
	if err != nil {
		return nil, fmt.Errorf("%w: %w", err, errUnsupported)
	}
	return parseIndex(data)
}

// parseIndex reads the entries' paths of an index file: a "DIRC" header
// with version and count, the entries (stat data, object name, flags,
// path), extensions, and a SHA-1 of all that.
func parseIndex(data []byte) ([]string, error) {
	bad := func(why string) error { return fmt.Errorf("index: %s: %w", why, errUnsupported) }
	if len(data) < 12+sha1.Size || string(data[:4]) != "DIRC" {
		return nil, bad("no header")
	}
	body, sum := data[:len(data)-sha1.Size], data[len(data)-sha1.Size:]
	if want := sha1.Sum(body); !bytes.Equal(want[:], sum) {
		return nil, bad("checksum")
	}
	version := binary.BigEndian.Uint32(body[4:])
	if version < 2 || version > 4 {
		return nil, bad(fmt.Sprintf("version %d", version))
	}
	count := binary.BigEndian.Uint32(body[8:])
	if uint64(count) > uint64(len(body))/62 {
		return nil, bad("entry count")
	}
	paths := make([]string, 0, count)
	pos := 12
	var prev []byte
	for range count {
		// ctime, mtime, dev, ino, mode, uid, gid, size: 40 bytes; the
		// object name: 20; flags: 2.
		const fixed = 62
		if pos+fixed > len(body) {
			return nil, bad("truncated entry")
		}
		entry := pos
		mode := binary.BigEndian.Uint32(body[pos+24:])
		flags := binary.BigEndian.Uint16(body[pos+60:])
		pos += fixed
		if flags&0x4000 != 0 { // extended flags follow
			if version < 3 || pos+2 > len(body) {
				return nil, bad("extended flags")
			}
			pos += 2
		}
		if mode&0o170000 == 0o040000 {
			return nil, bad("sparse directory entry")
		}
		var name []byte
		if version == 4 {
			// The path is the previous one less its last n bytes, plus
			// the NUL-terminated rest.
			n, used := offsetVarint(body[pos:])
			if used <= 0 || n > uint64(len(prev)) {
				return nil, bad("path prefix")
			}
			pos += used
			end := bytes.IndexByte(body[pos:], 0)
			if end < 0 {
				return nil, bad("path")
			}
			name = append(append([]byte{}, prev[:len(prev)-int(n)]...), body[pos:pos+end]...)
			pos += end + 1
		} else {
			end := bytes.IndexByte(body[pos:], 0)
			if end < 0 {
				return nil, bad("path")
			}
			name = body[pos : pos+end]
			// Entries are padded with 1 to 8 NULs to a multiple of 8.
			pos = entry + (pos-entry+end+8)&^7
		}
		if len(name) == 0 || pos > len(body) {
			return nil, bad("path")
		}
		if len(paths) == 0 || paths[len(paths)-1] != string(name) {
			// Conflicted paths have an entry per stage, side by side.
			paths = append(paths, string(name))
		}
		prev = name
	}
	// Extensions: a 4-byte signature, a size, the data. An uppercase
	// first letter marks one a reader may skip; the others ("link" for
	// a split index, "sdir" for a sparse one) change what the entries
	// mean.
	for pos < len(body) {
		if pos+8 > len(body) {
			return nil, bad("extension header")
		}
		sig := body[pos : pos+4]
		size := binary.BigEndian.Uint32(body[pos+4:])
		if sig[0] < 'A' || sig[0] > 'Z' {
			return nil, bad(fmt.Sprintf("extension %q", sig))
		}
		if uint64(size) > uint64(len(body)-pos-8) {
			return nil, bad("extension size")
		}
		pos += 8 + int(size)
	}
	return paths, nil
}

// offsetVarint reads git's varint (varint.c): big-endian base-128, each
// continuation byte adding one, so that every value has one encoding.
func offsetVarint(b []byte) (uint64, int) {
	if len(b) == 0 {
		return 0, 0
	}
	c := b[0]
	v, i := uint64(c&0x7f), 1
	for c&0x80 != 0 {
		if i >= len(b) || v >= 1<<56 {
			return 0, 0
		}
		c = b[i]
		i++
		v = (v+1)<<7 | uint64(c&0x7f)
	}
	return v, i
}
