package image

import (
	"archive/tar"
	"errors"
	"io"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

func TestIgnored(t *testing.T) {
	patterns, err := parseDockerignore(strings.NewReader(`
# comment
.git
*.md
!README.md
/build/**
docs
**/*.pyc
`))
	if err != nil {
		t.Fatal(err)
	}
	tests := map[string]bool{
		".git":             true,
		".git/HEAD":        true,
		"NOTES.md":         true,
		"README.md":        false,
		"sub/NOTES.md":     false, // * does not cross directories
		"build/out/a":      true,
		"docs/index.html":  true,
		"src/app.py":       false,
		"src/x/app.pyc":    true,
		"Dockerfile":       false,
		"documentation/x":  false,
		"buildfile":        false,
		"src/README.md.go": false,
	}
	for p, want := range tests {
		t.Run(p, func(t *testing.T) {
			if got := ignored(patterns, p); got != want {
				t.Errorf("ignored(%q) = %v, want %v", p, got, want)
			}
		})
	}
}

func TestContextTar(t *testing.T) {
	dir := t.TempDir()
	files := map[string]string{
		"Dockerfile":              "FROM scratch\n",
		".dockerignore":           "secret.txt\nnode_modules\n",
		"secret.txt":              "no",
		"app/main.py":             "print(1)\n",
		"node_modules/x/index.js": "",
	}
	for n, c := range files {
		p := filepath.Join(dir, n)
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte(c), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	outside := filepath.Join(t.TempDir(), "Dockerfile.prod")
	if err := os.WriteFile(outside, []byte("FROM scratch\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name, dockerfile string
		want             []string
	}{
		{"default", "", []string{".dockerignore", "Dockerfile", "app/", "app/main.py"}},
		{"outside the context", outside, []string{".dockerignore", "<dockerfile>", "Dockerfile", "app/", "app/main.py"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			rc, name, err := contextTar(dir, tt.dockerfile)
			if err != nil {
				t.Fatal(err)
			}
			defer rc.Close()
			var got []string
			tr := tar.NewReader(rc)
			for {
				h, err := tr.Next()
				if errors.Is(err, io.EOF) {
					break
				}
				if err != nil {
					t.Fatal(err)
				}
				if h.Format == tar.FormatPAX {
					t.Errorf("%s: PAX header (BuildKit would not see an archive)", h.Name)
				}
				n := h.Name
				if n == name && strings.HasPrefix(n, ".gantry-dockerfile-") {
					n = "<dockerfile>"
				}
				got = append(got, n)
			}
			slices.Sort(got)
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("archive (-want +got):\n%s", diff)
			}
		})
	}
	if _, _, err := contextTar(dir, "missing.Dockerfile"); err == nil || !strings.Contains(err.Error(), "hint") {
		t.Errorf("missing Dockerfile: %v", err)
	}
}

func FuzzDockerignore(f *testing.F) {
	f.Add("*.md\n!README.md\n", "docs/README.md")
	f.Add("**/x\n/a/b\n#c\n", "a/b/c")
	f.Add("[", "x")
	f.Fuzz(func(t *testing.T, file, p string) {
		patterns, err := parseDockerignore(strings.NewReader(file))
		if err != nil {
			return
		}
		ignored(patterns, p)
	})
}
