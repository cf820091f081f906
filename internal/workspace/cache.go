package workspace

import (
	"context"
	"crypto/sha1"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"strings"

	"github.com/bmatcuk/doublestar/v4"
	"github.com/gantry-ci/gantry/internal/pipeline"
)

// Caches holds the caches of a repository, shared by all its pipelines:
// .gantry/cache/<key>/cache.tar.
type Caches struct {
	dir string
}

// Caches returns the repository's cache store.
func (d *Dir) Caches() *Caches { return &Caches{dir: filepath.Join(d.Path, "cache")} }

// DefaultCacheKey is the key of a cache without key:.
const DefaultCacheKey = "default"

// Cache policies.
const (
	PolicyPull     = "pull"
	PolicyPush     = "push"
	PolicyPullPush = "pull-push"
)

// CacheKey resolves a cache's key the way GitLab does, with variables
// already expanded by the caller:
//   - key: name        -> name
//   - key: files: [..] -> prefix-SHA1 of the files' git blob ids, or
//     prefix-default when none of the files exists
//   - no key           -> "default"
//
// Files are read from the workspace ws before the job runs (GitLab reads
// them at the pipeline's commit; gantry's commit is the working tree).
// Globs are allowed in files:, as in GitLab; an absolute path inside ws is
// taken relative to it.
func CacheKey(ws string, c pipeline.Cache) (string, error) {
	key := c.Key
	if len(c.KeyFiles) > 0 {
		digest, err := filesDigest(ws, c.KeyFiles)
		if err != nil {
			return "", err
		}
		key = digest
		if c.KeyPrefix != "" {
			key = c.KeyPrefix + "-" + digest
		}
	}
	if key == "" {
		key = DefaultCacheKey
	}
	if err := CheckCacheKey(key); err != nil {
		return "", err
	}
	return key, nil
}

// CheckCacheKey refuses the keys GitLab refuses (containing "/", or only
// dots), which also keeps a key from naming a directory outside the store.
func CheckCacheKey(key string) error {
	if strings.Contains(key, "/") || strings.Contains(strings.ToLower(key), "%2f") {
		return fmt.Errorf("cache key %q: must not contain / (use another separator)", key)
	}
	if strings.Trim(strings.ReplaceAll(strings.ToLower(key), "%2e", "."), ".") == "" {
		return fmt.Errorf("cache key %q: must not be only dots", key)
	}
	if strings.ContainsRune(key, 0) || len(key) > 250 {
		return fmt.Errorf("cache key %q: must be at most 250 bytes, without NUL", key)
	}
	return nil
}

// filesDigest hashes the listed files the way GitLab builds a files: key:
// the SHA-1 of their git blob ids, sorted, de-duplicated, joined by "-".
func filesDigest(ws string, patterns []string) (string, error) {
	root, err := os.OpenRoot(ws)
	if err != nil {
		return "", fmt.Errorf("cache key files: %w", err)
	}
	defer root.Close() // directory handle only
	var ids []string
	seen := map[string]bool{}
	for _, p := range patterns {
		rel := filepath.ToSlash(p)
		if filepath.IsAbs(p) {
			r, err := filepath.Rel(ws, p)
			if err != nil || strings.HasPrefix(r, "..") {
				continue // outside the project: GitLab finds no such file either
			}
			rel = filepath.ToSlash(r)
		}
		names := []string{rel}
		if strings.Contains(rel, "*") {
			if names, err = doublestar.Glob(root.FS(), rel, doublestar.WithFilesOnly(), doublestar.WithNoFollow()); err != nil {
				return "", fmt.Errorf("cache key files: %s: %w", p, err)
			}
		}
		for _, n := range names {
			if seen[n] {
				continue
			}
			seen[n] = true
			id, err := blobID(root, n)
			if errors.Is(err, fs.ErrNotExist) {
				continue
			}
			if err != nil {
				return "", fmt.Errorf("cache key files: %w", err)
			}
			ids = append(ids, id)
		}
	}
	if len(ids) == 0 {
		return DefaultCacheKey, nil
	}
	sort.Strings(ids)
	ids = dedupSorted(ids)
	sum := sha1.Sum([]byte(strings.Join(ids, "-")))
	return hex.EncodeToString(sum[:]), nil
}

// blobID is `git hash-object` of a file: the SHA-1 of "blob <size>\0" and
// its content.
func blobID(root *os.Root, name string) (string, error) {
	f, err := root.Open(name)
	if err != nil {
		return "", err
	}
	defer f.Close() // read-only
	fi, err := f.Stat()
	if err != nil {
		return "", err
	}
	if !fi.Mode().IsRegular() {
		return "", fs.ErrNotExist
	}
	h := sha1.New()
	h.Write([]byte("blob " + strconv.FormatInt(fi.Size(), 10) + "\x00"))
	if _, err := io.Copy(h, f); err != nil {
		return "", err
	}
	return hex.EncodeToString(h.Sum(nil)), nil
}

func dedupSorted(s []string) []string {
	out := s[:0]
	for i, v := range s {
		if i == 0 || v != s[i-1] {
			out = append(out, v)
		}
	}
	return out
}

func (c *Caches) archive(key string) string {
	return filepath.Join(c.dir, key, "cache.tar")
}

// Restore extracts the cache into ws before a job runs, unless its policy
// is push. It tries key, then the cache's fallback_keys, then extra
// fallbacks (CACHE_FALLBACK_KEY), and returns the key it restored, "" when
// none existed (not an error: the job runs without a cache).
func (c *Caches) Restore(ctx context.Context, ws string, spec pipeline.Cache, key string, extraFallbacks []string, log io.Writer) (string, error) {
	if log == nil {
		log = io.Discard
	}
	if spec.Policy == PolicyPush {
		return "", nil
	}
	candidates := append([]string{key}, spec.FallbackKeys...)
	candidates = append(candidates, extraFallbacks...)
	for _, k := range candidates {
		if k == "" || CheckCacheKey(k) != nil {
			continue
		}
		if err := ctx.Err(); err != nil {
			return "", err
		}
		fmt.Fprintf(log, "Checking cache for %s...\n", k)
		f, err := os.Open(c.archive(k))
		if errors.Is(err, fs.ErrNotExist) {
			fmt.Fprintf(log, "WARNING: cache %s not found\n", k)
			continue
		}
		if err != nil {
			return "", fmt.Errorf("restore cache %s: %w", k, err)
		}
		// The open file stays valid even if a job saving the same key
		// renames a new archive over it meanwhile.
		_, err = extractArchive(f, ws)
		f.Close() // read-only
		if err != nil {
			return "", fmt.Errorf("restore cache %s: %w", k, err)
		}
		fmt.Fprintf(log, "Successfully extracted cache %s\n", k)
		return k, nil
	}
	return "", nil
}

// Save archives the cache's paths (and untracked files) from ws after a
// job, unless its policy is pull or its when: does not apply. Jobs saving
// the same key at once each write a temporary file and rename it into
// place: the last rename wins, and no reader sees a mixed archive.
func (c *Caches) Save(ctx context.Context, ws string, spec pipeline.Cache, key string, succeeded bool, log io.Writer) (bool, error) {
	if log == nil {
		log = io.Discard
	}
	if spec.Policy == PolicyPull || !WhenApplies(spec.When, succeeded) {
		return false, nil
	}
	if err := CheckCacheKey(key); err != nil {
		return false, err
	}
	if len(spec.Paths) == 0 && !spec.Untracked {
		return false, nil
	}
	if succeeded {
		fmt.Fprintln(log, "Saving cache for successful job")
	} else {
		fmt.Fprintln(log, "Saving cache for failed job")
	}
	fmt.Fprintf(log, "Creating cache %s...\n", key)
	root, err := os.OpenRoot(ws)
	if err != nil {
		return false, fmt.Errorf("save cache %s: %w", key, err)
	}
	defer root.Close() // directory handle only
	set := newFileSet(root, ws, nil, log)
	for _, p := range spec.Paths {
		set.addPath(p)
	}
	if spec.Untracked {
		set.addUntracked(ctx)
	}
	dst := c.archive(key)
	if err := os.MkdirAll(filepath.Dir(dst), 0o755); err != nil {
		return false, fmt.Errorf("save cache %s: %w", key, err)
	}
	if err := writeArchiveFile(dst, root, set.sorted()); err != nil {
		return false, fmt.Errorf("save cache %s: %w", key, err)
	}
	fmt.Fprintln(log, "Created cache")
	return true, nil
}
