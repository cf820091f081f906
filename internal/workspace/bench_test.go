package workspace

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// benchRepo makes a committed repository of n files of about 1 KiB in
// directories of 50, plus a few untracked ones.
func benchRepo(b *testing.B, n int) string {
	b.Helper()
	root := b.TempDir()
	git(b, root, "init", "-q", "-b", "main")
	body := strings.Repeat("some source code line\n", 48)
	for i := range n {
		p := filepath.Join(root, fmt.Sprintf("pkg%03d", i/50), fmt.Sprintf("file%04d.go", i))
		if i%50 == 0 {
			if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
				b.Fatal(err)
			}
		}
		if err := os.WriteFile(p, []byte(body), 0o644); err != nil {
			b.Fatal(err)
		}
	}
	git(b, root, "add", "-A")
	git(b, root, "commit", "-q", "-m", "bench")
	writeFiles(b, root, map[string]string{"untracked/a.txt": "a", "untracked/b.txt": "b"})
	return root
}

// BenchmarkCreateWorkspace measures one job's workspace (files and .git)
// on a 5,000-file repository; the pipeline's one-off snapshot and git
// template are made before the timer starts.
func BenchmarkCreateWorkspace(b *testing.B) {
	_, src := snapshot(b, benchRepo(b, 5000))
	create(b, src, "warmup")
	i := 0
	for b.Loop() {
		// A new slug each time: replacing an old workspace is measured
		// apart, by BenchmarkRecreateWorkspace.
		i++
		create(b, src, fmt.Sprintf("job-%d", i))
	}
	b.ReportMetric(float64(len(src.Files())), "files")
}

// BenchmarkRecreateWorkspace makes the same job's workspace again, as the
// next run does: what the job left is refreshed in place.
func BenchmarkRecreateWorkspace(b *testing.B) {
	_, src := snapshot(b, benchRepo(b, 5000))
	for b.Loop() {
		ws := create(b, src, "job")
		// What a build leaves: an output file and a changed source.
		writeFiles(b, ws, map[string]string{"out/bin": "x", "pkg000/file0000.go": "changed"})
	}
}

// BenchmarkSnapshot measures what a pipeline pays once: listing the files
// and reading the .git template (its index cached after the first run).
func BenchmarkSnapshot(b *testing.B) {
	root := benchRepo(b, 5000)
	d, err := Open(root)
	if err != nil {
		b.Fatal(err)
	}
	ctx := context.Background()
	for b.Loop() {
		src, err := d.Snapshot(ctx)
		if err != nil {
			b.Fatal(err)
		}
		if _, err := src.gitTemplate(); err != nil {
			b.Fatal(err)
		}
		if err := src.Close(); err != nil {
			b.Fatal(err)
		}
	}
}
