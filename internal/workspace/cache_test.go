package workspace

import (
	"bytes"
	"context"
	"crypto/sha1"
	"encoding/hex"
	"fmt"
	"strings"
	"sync"
	"testing"

	"github.com/gantry-ci/gantry/internal/pipeline"
	"github.com/google/go-cmp/cmp"
)

func TestCacheKey(t *testing.T) {
	ws := newRepo(t, map[string]string{"fakepackage.json": "{\"a\": 1}\n", "fakepackage1.json": "{\"b\": 2}\n", "lock/x.lock": "x"})
	// GitLab: SHA-1 of the files' blob ids, sorted, joined by "-".
	ids := []string{git(t, ws, "hash-object", "fakepackage.json"), git(t, ws, "hash-object", "fakepackage1.json")}
	if ids[1] < ids[0] {
		ids[0], ids[1] = ids[1], ids[0]
	}
	sum := sha1.Sum([]byte(strings.Join(ids, "-")))
	digest := hex.EncodeToString(sum[:])
	lockSum := sha1.Sum([]byte(git(t, ws, "hash-object", "lock/x.lock")))
	tests := []struct {
		name  string
		cache pipeline.Cache
		want  string
	}{
		{"default", pipeline.Cache{}, "default"},
		{"named", pipeline.Cache{Key: "global"}, "global"},
		{"files", pipeline.Cache{KeyFiles: []string{"fakepackage.json", "fakepackage1.json"}}, digest},
		{"files in other order, repeated, absolute", pipeline.Cache{KeyFiles: []string{ws + "/fakepackage1.json", "fakepackage.json", "fakepackage.json"}}, digest},
		{"prefix", pipeline.Cache{KeyFiles: []string{"fakepackage.json", "fakepackage1.json"}, KeyPrefix: "rspec"}, "rspec-" + digest},
		{"missing files", pipeline.Cache{KeyFiles: []string{"no-such-file"}}, "default"},
		{"missing files with prefix", pipeline.Cache{KeyFiles: []string{"no-such-file"}, KeyPrefix: "p"}, "p-default"},
		{"glob", pipeline.Cache{KeyFiles: []string{"lock/*.lock"}}, hex.EncodeToString(lockSum[:])},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := CacheKey(ws, tt.cache)
			if err != nil {
				t.Fatal(err)
			}
			if got != tt.want {
				t.Errorf("CacheKey = %q, want %q", got, tt.want)
			}
		})
	}
}

func TestCheckCacheKey(t *testing.T) {
	for _, bad := range []string{"a/b", "..", ".", "%2E%2e", "a%2Fb", strings.Repeat("k", 251)} {
		if err := CheckCacheKey(bad); err == nil {
			t.Errorf("CheckCacheKey(%q) accepted it", bad)
		}
	}
	for _, good := range []string{"default", "main-protected", "0_package-abc", "a.b"} {
		if err := CheckCacheKey(good); err != nil {
			t.Errorf("CheckCacheKey(%q) = %v", good, err)
		}
	}
}

func TestCacheSaveRestore(t *testing.T) {
	d, err := Open(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	caches := d.Caches()
	producer := t.TempDir()
	writeFiles(t, producer, map[string]string{"cache/file1.txt": "1", "cache/sub/file2.txt": "2", "other": "o"})

	var log bytes.Buffer
	spec := pipeline.Cache{Paths: []string{"cache/**.txt"}}
	if ok, err := caches.Save(ctx, producer, spec, "default", true, &log); err != nil || !ok {
		t.Fatalf("Save = %v, %v", ok, err)
	}
	// policy: pull does not save, on_success does not save a failed job.
	if ok, _ := caches.Save(ctx, producer, pipeline.Cache{Paths: []string{"other"}, Policy: PolicyPull}, "default", true, &log); ok {
		t.Error("pull policy saved")
	}
	if ok, _ := caches.Save(ctx, producer, pipeline.Cache{Paths: []string{"other"}}, "default", false, &log); ok {
		t.Error("on_success cache saved after a failure")
	}

	consumer := t.TempDir()
	got, err := caches.Restore(ctx, consumer, pipeline.Cache{Paths: []string{"cache"}, Policy: PolicyPull}, "default", nil, &log)
	if err != nil || got != "default" {
		t.Fatalf("Restore = %q, %v", got, err)
	}
	// As in the runner (doublestar), ** not alone in a path segment is *.
	want := map[string]string{"cache": "/", "cache/file1.txt": "1"}
	if diff := cmp.Diff(want, tree(t, consumer)); diff != "" {
		t.Errorf("restored (-want +got):\n%s\nlog:\n%s", diff, log.String())
	}

	// push policy does not restore.
	if got, _ := caches.Restore(ctx, t.TempDir(), pipeline.Cache{Policy: PolicyPush}, "default", nil, &log); got != "" {
		t.Errorf("push policy restored %q", got)
	}
}

func TestCacheFallbackKeys(t *testing.T) {
	d, err := Open(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	ws := t.TempDir()
	writeFiles(t, ws, map[string]string{"vendor/a": "from main"})
	if _, err := d.Caches().Save(ctx, ws, pipeline.Cache{Paths: []string{"vendor"}}, "main", true, nil); err != nil {
		t.Fatal(err)
	}
	spec := pipeline.Cache{FallbackKeys: []string{"nope", "bad/key"}}
	var log bytes.Buffer
	got, err := d.Caches().Restore(ctx, t.TempDir(), spec, "feature-x", []string{"main"}, &log)
	if err != nil || got != "main" {
		t.Errorf("Restore = %q, %v; want main\n%s", got, err, log.String())
	}
	if got, _ := d.Caches().Restore(ctx, t.TempDir(), spec, "feature-x", nil, nil); got != "" {
		t.Errorf("Restore without a match = %q", got)
	}
}

// Jobs saving the same key at once never leave a mixed or partial archive.
func TestCacheConcurrentSaves(t *testing.T) {
	d, err := Open(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	spec := pipeline.Cache{Paths: []string{"c"}}
	var wg sync.WaitGroup
	errs := make(chan error, 16)
	for i := range 8 {
		ws := t.TempDir()
		files := map[string]string{}
		for j := range 50 {
			files[fmt.Sprintf("c/f%02d", j)] = fmt.Sprintf("writer %d", i)
		}
		writeFiles(t, ws, files)
		wg.Add(2)
		go func() {
			defer wg.Done()
			_, err := d.Caches().Save(ctx, ws, spec, "shared", true, nil)
			errs <- err
		}()
		go func() {
			defer wg.Done()
			_, err := d.Caches().Restore(ctx, t.TempDir(), spec, "shared", nil, nil)
			errs <- err
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		if err != nil {
			t.Error(err)
		}
	}
	dst := t.TempDir()
	if _, err := d.Caches().Restore(ctx, dst, spec, "shared", nil, nil); err != nil {
		t.Fatal(err)
	}
	got := tree(t, dst)
	if len(got) != 51 {
		t.Fatalf("restored %d entries, want 51", len(got))
	}
	for name, content := range got {
		if content != "/" && content != got["c/f00"] {
			t.Errorf("%s = %q but c/f00 = %q: archives were mixed", name, content, got["c/f00"])
		}
	}
}
