package gitrepo

import (
	"bytes"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"syscall"
)

// refStore reads a files-backend ref store: loose refs (one file each)
// over packed-refs, as git resolves them.
type refStore struct {
	l       layout
	objects *objectStore
	// looseRead holds the loose ref files read so far: HEAD's branch is
	// read for HEAD and again among defaultBranchRefs.
	looseRead map[string]looseRef
	// packed is packed-refs, nil until loadPacked reads it.
	packed map[string]packedRef
	// tagsPeeled: packed-refs gives the peeled object of each annotated
	// tag it holds (its "peeled" or "fully-peeled" trait), so a tag
	// without a "^" line is not annotated.
	tagsPeeled bool
}

// looseRef is what loose found: a file's trimmed content, or none.
type looseRef struct {
	content string
	ok      bool
}

// packedRef is a line of packed-refs and its peeled ("^") line.
type packedRef struct {
	sha, peeled string
}

func newRefStore(l layout) (*refStore, error) {
	objects, err := newObjectStore(l.commonDir)
	if err != nil {
		return nil, err
	}
	return &refStore{l: l, objects: objects, looseRead: map[string]looseRef{}}, nil
}

// maxSymrefDepth is how many symbolic refs resolve follows, as git's
// SYMREF_MAXDEPTH.
const maxSymrefDepth = 5

// resolve returns the object a ref names and, for a symbolic ref, the
// ref it points to. found is false for a ref that does not exist or a
// symbolic ref whose target does not.
func (r *refStore) resolve(name string) (sha, target string, found bool, err error) {
	for depth := 0; depth < maxSymrefDepth; depth++ {
		content, ok, err := r.loose(name)
		if err != nil {
			return "", "", false, err
		}
		if !ok {
			p, err := r.packedRef(name)
			if err != nil || p.sha == "" {
				return "", "", false, err
			}
			return p.sha, target, true, nil
		}
		sym, isSym := parseSymref(content)
		if !isSym {
			if !isHex40(content) {
				return "", "", false, fmt.Errorf("ref %s: %q: %w", name, content, errUnsupported)
			}
			return content, target, true, nil
		}
		if !strings.HasPrefix(sym, "refs/") || !validRefName(sym) {
			return "", "", false, fmt.Errorf("ref %s -> %q: %w", name, sym, errUnsupported)
		}
		if target == "" {
			target = sym
		}
		name = sym
	}
	return "", "", false, fmt.Errorf("ref %s: symbolic refs too deep: %w", name, errUnsupported)
}

// listed reports whether for-each-ref would list the ref (it resolves)
// and, for a symbolic ref, the ref it points to. A ref to a missing
// object is listed by some versions of git and skipped by others (before
// GIT_REF_PARANOIA became the default): that is errUnsupported, and the
// installed git decides.
func (r *refStore) listed(name string) (target string, found bool, err error) {
	sha, target, found, err := r.resolve(name)
	if err != nil || !found {
		return "", false, err
	}
	ok, err := r.objects.hasObject(sha)
	if err != nil {
		return "", false, err
	}
	if !ok {
		return "", false, fmt.Errorf("ref %s: object %s is missing: %w", name, sha, errUnsupported)
	}
	return target, true, nil
}

// parseSymref reads "ref: <name>" (git allows any spaces after the colon).
func parseSymref(content string) (string, bool) {
	rest, ok := strings.CutPrefix(content, "ref:")
	if !ok {
		return "", false
	}
	return strings.TrimLeft(rest, " \t"), true
}

// loose reads the loose ref file of name, trailing whitespace trimmed;
// ok is false when there is none (a directory is no ref). Each file is
// read once.
func (r *refStore) loose(name string) (string, bool, error) {
	if l, seen := r.looseRead[name]; seen {
		return l.content, l.ok, nil
	}
	data, err := os.ReadFile(r.refPath(name))
	var l looseRef
	switch {
	case err == nil:
		l = looseRef{strings.TrimRight(string(data), " \t\r\n"), true}
	case errors.Is(err, fs.ErrNotExist), errors.Is(err, syscall.EISDIR), errors.Is(err, syscall.ENOTDIR):
		// A directory (refs/tags/v1 holding v1/rc), or a path through a
		// file, is no ref.
	default:
		return "", false, fmt.Errorf("ref %s: %w", name, err)
	}
	r.looseRead[name] = l
	return l.content, l.ok, nil
}

// refPath is where the loose ref name lives: per-worktree refs and HEAD
// in the worktree's git directory, the rest in the common one.
func (r *refStore) refPath(name string) string {
	dir := r.l.commonDir
	if !strings.HasPrefix(name, "refs/") || strings.HasPrefix(name, "refs/bisect/") ||
		strings.HasPrefix(name, "refs/worktree/") || strings.HasPrefix(name, "refs/rewritten/") {
		dir = r.l.gitDir
	}
	return filepath.Join(dir, filepath.FromSlash(name))
}

// packedRef looks name up in packed-refs, read on first use.
func (r *refStore) packedRef(name string) (packedRef, error) {
	if err := r.loadPacked(); err != nil {
		return packedRef{}, err
	}
	return r.packed[name], nil
}

func (r *refStore) loadPacked() error {
	if r.packed != nil {
		return nil
	}
	data, err := os.ReadFile(filepath.Join(r.l.commonDir, "packed-refs"))
	if err != nil && !errors.Is(err, fs.ErrNotExist) {
		return err
	}
	r.packed, r.tagsPeeled, err = parsePackedRefs(data)
	if err != nil {
		return fmt.Errorf("packed-refs: %w", err)
	}
	return nil
}

// parsePackedRefs reads packed-refs: an optional "# pack-refs with:"
// line of traits, then "<sha> <ref>" lines, each maybe followed by the
// object it peels to, "^<sha>". Anything else is left to git.
func parsePackedRefs(data []byte) (refs map[string]packedRef, tagsPeeled bool, err error) {
	refs = map[string]packedRef{}
	last := ""
	for n, line := range bytes.Split(data, []byte("\n")) {
		s := strings.TrimSuffix(string(line), "\r")
		switch {
		case s == "":
			continue
		case n == 0 && strings.HasPrefix(s, "# pack-refs with:"):
			for _, t := range strings.Fields(strings.TrimPrefix(s, "# pack-refs with:")) {
				tagsPeeled = tagsPeeled || t == "peeled" || t == "fully-peeled"
			}
		case s[0] == '^':
			p, ok := refs[last]
			if !ok || !isHex40(s[1:]) || p.peeled != "" {
				return nil, false, fmt.Errorf("line %d: %w", n+1, errUnsupported)
			}
			p.peeled = s[1:]
			refs[last] = p
		default:
			sha, name, ok := strings.Cut(s, " ")
			if !ok || !isHex40(sha) || !validRefName(name) {
				return nil, false, fmt.Errorf("line %d: %w", n+1, errUnsupported)
			}
			refs[name] = packedRef{sha: sha}
			last = name
		}
	}
	return refs, tagsPeeled, nil
}

// validRefName is a conservative form of git's check-ref-format: a name
// it accepts git accepts too; names it refuses are left to git.
func validRefName(name string) bool {
	if name == "" || strings.HasSuffix(name, "/") || strings.HasSuffix(name, ".") ||
		strings.Contains(name, "..") || strings.Contains(name, "@{") || strings.Contains(name, "//") {
		return false
	}
	for _, part := range strings.Split(name, "/") {
		if part == "" || part[0] == '.' || strings.HasSuffix(part, ".lock") {
			return false
		}
	}
	for i := 0; i < len(name); i++ {
		c := name[i]
		if c <= ' ' || c == 0x7f || strings.IndexByte("~^:?*[\\", c) >= 0 {
			return false
		}
	}
	return true
}

// hasReplaceRefs reports whether any refs/replace/ ref exists: git then
// shows replacement objects in place of the real ones.
func (r *refStore) hasReplaceRefs() (bool, error) {
	entries, err := os.ReadDir(filepath.Join(r.l.commonDir, "refs", "replace"))
	if len(entries) > 0 {
		return true, nil
	}
	if err != nil && !errors.Is(err, fs.ErrNotExist) {
		return false, err
	}
	if err := r.loadPacked(); err != nil {
		return false, err
	}
	for name := range r.packed {
		if strings.HasPrefix(name, "refs/replace/") {
			return true, nil
		}
	}
	return false, nil
}

// tags lists refs/tags/ as git does: loose refs over packed ones. A
// loose tag that is symbolic or unreadable is left to git.
func (r *refStore) tags() (map[string]packedRef, error) {
	if err := r.loadPacked(); err != nil {
		return nil, err
	}
	tags := map[string]packedRef{}
	for name, p := range r.packed {
		if strings.HasPrefix(name, "refs/tags/") {
			tags[name] = p
		}
	}
	err := r.eachLoose("refs/tags", func(name string, d fs.DirEntry) error {
		if !d.Type().IsRegular() || !validRefName(name) {
			return fmt.Errorf("tag %s: %w", name, errUnsupported)
		}
		sha, ok, err := r.loose(name)
		if err != nil || !ok {
			return err // !ok: deleted meanwhile
		}
		if !isHex40(sha) {
			return fmt.Errorf("tag %s: %w", name, errUnsupported)
		}
		if p := tags[name]; p.sha != sha {
			// The loose ref overrides the packed one; the same object
			// keeps what packed-refs says it peels to.
			tags[name] = packedRef{sha: sha}
		}
		return nil
	})
	return tags, err
}

// eachLoose calls f for each file under the loose ref directory dir
// ("refs/tags") with its ref name. A directory deleted meanwhile is
// skipped, as git would no longer see it.
func (r *refStore) eachLoose(dir string, f func(name string, d fs.DirEntry) error) error {
	return filepath.WalkDir(filepath.Join(r.l.commonDir, filepath.FromSlash(dir)), func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			if errors.Is(err, fs.ErrNotExist) {
				return nil
			}
			return err
		}
		if d.IsDir() {
			return nil
		}
		rel, err := filepath.Rel(r.l.commonDir, path)
		if err != nil {
			return err
		}
		return f(filepath.ToSlash(rel), d)
	})
}
