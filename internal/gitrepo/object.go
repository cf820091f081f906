package gitrepo

import (
	"bytes"
	"compress/zlib"
	"encoding/binary"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strconv"
	"strings"
)

// errUnsupported means the repository holds something the direct reader
// does not follow exactly (an alternate object store, a pack index version
// it does not know, a SHA-256 repository...): the caller asks git instead.
var errUnsupported = errors.New("not readable without git")

// maxObject bounds what readObject inflates: a commit or tag object is a
// few kilobytes; anything larger is left to git.
const maxObject = 16 << 20

// objectStore reads objects of a SHA-1 repository: loose ones under
// objects/xx/, and packed ones (see pack.go).
type objectStore struct {
	dir   string   // the objects directory
	packs []string // pack index paths, found on first use
	found bool
}

func newObjectStore(commonDir string) (*objectStore, error) {
	dir := filepath.Join(commonDir, "objects")
	// Objects borrowed from elsewhere could be anywhere: git knows where.
	if _, err := os.Stat(filepath.Join(dir, "info", "alternates")); err == nil {
		return nil, fmt.Errorf("alternates: %w", errUnsupported)
	}
	return &objectStore{dir: dir}, nil
}

// readObject returns an object's type ("commit", "tag", ...) and content.
func (s *objectStore) readObject(sha string) (string, []byte, error) {
	return s.readObjectDepth(sha, 0)
}

// readObjectDepth is readObject for the base of a delta depth deep.
func (s *objectStore) readObjectDepth(sha string, depth int) (string, []byte, error) {
	if !isHex40(sha) {
		return "", nil, fmt.Errorf("object %q: %w", sha, errUnsupported)
	}
	f, err := os.Open(filepath.Join(s.dir, sha[:2], sha[2:]))
	if err == nil {
		defer f.Close()
		return readLoose(f, sha)
	}
	if !errors.Is(err, os.ErrNotExist) {
		return "", nil, err
	}
	idx, off, err := s.findPacked(sha)
	if err != nil {
		return "", nil, err
	}
	if idx == "" {
		return "", nil, fmt.Errorf("object %s not found: %w", sha, errUnsupported)
	}
	return s.readPacked(strings.TrimSuffix(idx, ".idx")+".pack", off, sha, depth)
}

// hasObject reports whether the object exists, as git checks before it
// lists a ref.
func (s *objectStore) hasObject(sha string) (bool, error) {
	if !isHex40(sha) {
		return false, fmt.Errorf("object %q: %w", sha, errUnsupported)
	}
	if _, err := os.Lstat(filepath.Join(s.dir, sha[:2], sha[2:])); err == nil {
		return true, nil
	}
	idx, _, err := s.findPacked(sha)
	return idx != "", err
}

// readLoose inflates a loose object: "<type> <size>\0<content>".
func readLoose(r io.Reader, sha string) (string, []byte, error) {
	z, err := zlib.NewReader(r)
	if err != nil {
		return "", nil, fmt.Errorf("object %s: %w", sha, err)
	}
	defer z.Close()
	data, err := io.ReadAll(io.LimitReader(z, maxObject+64))
	if err != nil {
		return "", nil, fmt.Errorf("object %s: %w", sha, err)
	}
	header, content, ok := bytes.Cut(data, []byte{0})
	typ, size, ok2 := strings.Cut(string(header), " ")
	n, err := strconv.Atoi(size)
	if !ok || !ok2 || err != nil || n != len(content) {
		return "", nil, fmt.Errorf("object %s: bad loose object: %w", sha, errUnsupported)
	}
	return typ, content, nil
}

// findPacked looks sha up in every pack index; it returns the index's path
// and the object's offset in its pack, or "" when no pack has it.
func (s *objectStore) findPacked(sha string) (string, int64, error) {
	if !s.found {
		idx, err := filepath.Glob(filepath.Join(s.dir, "pack", "*.idx"))
		if err != nil {
			return "", 0, err
		}
		s.packs, s.found = idx, true
	}
	want, err := hex.DecodeString(sha)
	if err != nil {
		return "", 0, errUnsupported
	}
	for _, idx := range s.packs {
		off, ok, err := lookupIndex(idx, want)
		if err != nil {
			return "", 0, err
		}
		if ok {
			return idx, off, nil
		}
	}
	return "", 0, nil
}

// lookupIndex finds an object in a version 2 pack index: a fan-out table
// of 256 cumulative counts, then the sorted names, CRCs, 4-byte offsets
// and 8-byte large offsets. Only the fan-out bucket of names is read.
func lookupIndex(path string, want []byte) (int64, bool, error) {
	f, err := os.Open(path)
	if err != nil {
		return 0, false, err
	}
	defer f.Close()
	head := make([]byte, 8+256*4)
	if _, err := io.ReadFull(f, head); err != nil {
		return 0, false, fmt.Errorf("pack index %s: %w", path, err)
	}
	if !bytes.Equal(head[:8], []byte{0xff, 't', 'O', 'c', 0, 0, 0, 2}) {
		return 0, false, fmt.Errorf("pack index %s: %w", path, errUnsupported)
	}
	fan := head[8:]
	count := int64(binary.BigEndian.Uint32(fan[255*4:]))
	var lo int64
	if want[0] > 0 {
		lo = int64(binary.BigEndian.Uint32(fan[(int(want[0])-1)*4:]))
	}
	hi := int64(binary.BigEndian.Uint32(fan[int(want[0])*4:]))
	if hi <= lo {
		return 0, false, nil
	}
	if hi > count {
		return 0, false, fmt.Errorf("pack index %s: bad fan-out: %w", path, errUnsupported)
	}
	names := make([]byte, (hi-lo)*20)
	if _, err := f.ReadAt(names, int64(len(head))+lo*20); err != nil {
		return 0, false, fmt.Errorf("pack index %s: %w", path, err)
	}
	i, j := 0, int(hi-lo)
	for i < j {
		m := (i + j) / 2
		if bytes.Compare(names[m*20:m*20+20], want) < 0 {
			i = m + 1
		} else {
			j = m
		}
	}
	if i == int(hi-lo) || !bytes.Equal(names[i*20:i*20+20], want) {
		return 0, false, nil
	}
	pos := lo + int64(i)
	base := int64(len(head)) + count*20 + count*4 // past names and CRCs
	var b [8]byte
	if _, err := f.ReadAt(b[:4], base+pos*4); err != nil {
		return 0, false, fmt.Errorf("pack index %s: %w", path, err)
	}
	off := int64(binary.BigEndian.Uint32(b[:4]))
	if off&0x80000000 != 0 {
		large := base + count*4 + (off&0x7fffffff)*8
		if _, err := f.ReadAt(b[:], large); err != nil {
			return 0, false, fmt.Errorf("pack index %s: %w", path, err)
		}
		off = int64(binary.BigEndian.Uint64(b[:]))
	}
	return off, true, nil
}

// isHex40 reports whether s is a SHA-1 object name in lowercase hex.
func isHex40(s string) bool {
	if len(s) != 40 {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		if (c < '0' || c > '9') && (c < 'a' || c > 'f') {
			return false
		}
	}
	return true
}
