package workspace

import (
	"archive/tar"
	"bytes"
	"context"
	"errors"
	"os"
	"path/filepath"
	"testing"

	"github.com/gantry-ci/gantry/internal/pipeline"
	"github.com/google/go-cmp/cmp"
)

type tarEntry struct {
	name, body, link string
	typ              byte
}

func craftTar(t testing.TB, entries ...tarEntry) []byte {
	t.Helper()
	var buf bytes.Buffer
	tw := tar.NewWriter(&buf)
	for _, e := range entries {
		typ := e.typ
		if typ == 0 {
			typ = tar.TypeReg
		}
		hdr := &tar.Header{Name: e.name, Typeflag: typ, Mode: 0o644, Size: int64(len(e.body)), Linkname: e.link}
		if typ != tar.TypeReg {
			hdr.Size = 0
		}
		if err := tw.WriteHeader(hdr); err != nil {
			t.Fatal(err)
		}
		if typ == tar.TypeReg {
			if _, err := tw.Write([]byte(e.body)); err != nil {
				t.Fatal(err)
			}
		}
	}
	if err := tw.Close(); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

// sandbox returns a target directory and a sibling "outside" directory
// that nothing may ever write to.
func sandbox(t *testing.T) (target, outside string) {
	t.Helper()
	base := t.TempDir()
	target, outside = filepath.Join(base, "target"), filepath.Join(base, "outside")
	for _, d := range []string{target, outside} {
		if err := os.Mkdir(d, 0o755); err != nil {
			t.Fatal(err)
		}
	}
	writeFiles(t, outside, map[string]string{"secret": "untouched"})
	return target, outside
}

func checkOutside(t *testing.T, outside string) {
	t.Helper()
	if diff := cmp.Diff(map[string]string{"secret": "untouched"}, tree(t, outside)); diff != "" {
		t.Errorf("something was written outside the target (-want +got):\n%s", diff)
	}
}

func TestExtractRefusesTraversal(t *testing.T) {
	tests := []struct {
		name    string
		entries []tarEntry
		setup   map[string]string // files already in the target
	}{
		{"dot-dot", []tarEntry{{name: "../outside/secret", body: "pwned"}}, nil},
		{"dot-dot inside", []tarEntry{{name: "a/../../outside/secret", body: "pwned"}}, nil},
		{"absolute", []tarEntry{{name: "/tmp/gantry-pwned", body: "pwned"}}, nil},
		{"symlink then write through it", []tarEntry{
			{name: "link", typ: tar.TypeSymlink, link: "../outside"},
			{name: "link/secret", body: "pwned"},
		}, nil},
		{"absolute symlink then write through it", []tarEntry{
			{name: "abs", typ: tar.TypeSymlink, link: "/"},
			{name: "abs/tmp/gantry-pwned", body: "pwned"},
		}, nil},
		{"symlink already in the target", []tarEntry{{name: "out/secret", body: "pwned"}}, map[string]string{"out": "->../outside"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			target, outside := sandbox(t)
			writeFiles(t, target, tt.setup)
			_, err := extractArchive(bytes.NewReader(craftTar(t, tt.entries...)), target)
			if err == nil {
				t.Error("extract succeeded, want an error")
			}
			checkOutside(t, outside)
			if _, err := os.Lstat("/tmp/gantry-pwned"); err == nil {
				t.Error("/tmp/gantry-pwned was written")
			}
		})
	}
}

func TestExtractUnsafeNameError(t *testing.T) {
	target, _ := sandbox(t)
	_, err := extractArchive(bytes.NewReader(craftTar(t, tarEntry{name: "../x", body: "x"})), target)
	if !errors.Is(err, ErrUnsafePath) {
		t.Errorf("error = %v, want ErrUnsafePath", err)
	}
}

// A file entry replaces a symlink in the target instead of writing through
// it.
func TestExtractReplacesSymlink(t *testing.T) {
	target, outside := sandbox(t)
	writeFiles(t, target, map[string]string{"report": "->../outside/secret"})
	if _, err := extractArchive(bytes.NewReader(craftTar(t, tarEntry{name: "report", body: "new"})), target); err != nil {
		t.Fatal(err)
	}
	checkOutside(t, outside)
	if diff := cmp.Diff(map[string]string{"report": "new"}, tree(t, target)); diff != "" {
		t.Errorf("target (-want +got):\n%s", diff)
	}
}

// A job that makes a symlink to a directory outside its workspace and
// lists it as an artifact gets the symlink archived, not what it points to.
func TestArtifactSymlinkOutsideIsNotFollowed(t *testing.T) {
	d, err := Open(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	ws, outside := sandbox(t)
	writeFiles(t, ws, map[string]string{"leak": "->" + outside, "ok.txt": "ok"})
	store := d.Artifacts("p")
	spec := &pipeline.Artifacts{Paths: []string{"leak", "leak/*", "leak/**/secret", "l*", "ok.txt"}}
	var log bytes.Buffer
	saved, err := store.Save(context.Background(), "j", ws, spec, true, &log)
	if err != nil {
		t.Fatal(err)
	}
	f, err := os.Open(saved.Archive)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	var names []string
	tr := tar.NewReader(f)
	for {
		hdr, err := tr.Next()
		if err != nil {
			break
		}
		names = append(names, hdr.Name)
		if hdr.Typeflag == tar.TypeReg {
			var b bytes.Buffer
			b.ReadFrom(tr)
			if b.String() == "untouched" {
				t.Errorf("archive holds the outside file's content as %s", hdr.Name)
			}
		}
	}
	if diff := cmp.Diff([]string{"leak", "ok.txt"}, names); diff != "" {
		t.Errorf("archive entries (-want +got):\n%s\nlog:\n%s", diff, log.String())
	}
	// Restored, the link is a link again; writing never went through it.
	target, _ := sandbox(t)
	if err := store.Restore(context.Background(), target, []string{"j"}, nil); err != nil {
		t.Fatal(err)
	}
	if got := tree(t, target)["leak"]; got != "->"+outside {
		t.Errorf("restored leak = %q", got)
	}
	checkOutside(t, outside)
}

func FuzzExtractArchive(f *testing.F) {
	f.Add(craftTar(f, tarEntry{name: "a/b.txt", body: "x"}, tarEntry{name: "a/", typ: tar.TypeDir}))
	f.Add(craftTar(f, tarEntry{name: "l", typ: tar.TypeSymlink, link: "../outside"}, tarEntry{name: "l/secret", body: "p"}))
	f.Add(craftTar(f, tarEntry{name: "../outside/secret", body: "p"}))
	f.Add(craftTar(f, tarEntry{name: "d", typ: tar.TypeDir}, tarEntry{name: "d", body: "file over dir"}))
	base := f.TempDir()
	f.Fuzz(func(t *testing.T, data []byte) {
		// One directory per input under a shared base: cheaper than
		// t.TempDir, which the fuzzer would call millions of times.
		dir, err := os.MkdirTemp(base, "x")
		if err != nil {
			t.Fatal(err)
		}
		defer removeAll(dir)
		target, outside := filepath.Join(dir, "target"), filepath.Join(dir, "outside")
		if err := os.Mkdir(target, 0o755); err != nil {
			t.Fatal(err)
		}
		writeFiles(t, outside, map[string]string{"secret": "untouched"})
		_, _ = extractArchive(bytes.NewReader(data), target) // errors are fine; escapes are not
		checkOutside(t, outside)
	})
}
