package workspace

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/gantry-ci/gantry/internal/pipeline"
	"github.com/google/go-cmp/cmp"
)

// saveAndRestore saves spec's artifacts from a workspace holding files and
// returns what a fresh directory holds after restoring them, and the log.
func saveAndRestore(t *testing.T, files map[string]string, spec *pipeline.Artifacts, succeeded bool) (map[string]string, string, *Saved) {
	t.Helper()
	d, err := Open(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	ws := t.TempDir()
	writeFiles(t, ws, files)
	var log bytes.Buffer
	store := d.Artifacts("1")
	saved, err := store.Save(context.Background(), "build", ws, spec, succeeded, &log)
	if err != nil {
		t.Fatal(err)
	}
	dst := t.TempDir()
	if err := store.Restore(context.Background(), dst, []string{"build", "no-artifacts"}, &log); err != nil {
		t.Fatal(err)
	}
	return tree(t, dst), log.String(), saved
}

func TestArtifactPaths(t *testing.T) {
	ws := map[string]string{
		"path/crazylong/folder/log.txt":       "Pre something\n",
		"path/crazylong/folder/different.ext": "Not an artifact\n",
		"path/file1":                          "",
		"path/file2":                          "",
		"top.txt":                             "top\n",
		"dir/sub/a.bin":                       "a",
		"dir/sub/b.txt":                       "b",
		"link":                                "->top.txt",
	}
	tests := []struct {
		name    string
		paths   []string
		exclude []string
		want    map[string]string
		log     []string
	}{
		{
			name:  "globstar",
			paths: []string{"path/**/*.txt"},
			want:  map[string]string{"path": "/", "path/crazylong": "/", "path/crazylong/folder": "/", "path/crazylong/folder/log.txt": "Pre something\n"},
			log:   []string{"path/**/*.txt: found 1 matching artifact files and directories"},
		},
		{
			name:    "directory with exclude",
			paths:   []string{"path/"},
			exclude: []string{"path/file2", "path/crazylong/**"},
			want:    map[string]string{"path": "/", "path/file1": ""},
			log:     []string{"path/: found 2 matching artifact files and directories", "path/crazylong/**: excluded 4 files", "path/file2: excluded 1 files"},
		},
		{
			name:  "no match warns",
			paths: []string{"*/target", "top.txt"},
			want:  map[string]string{"top.txt": "top\n"},
			log:   []string{"WARNING: */target: no matching files. Ensure that the artifact path is relative to the working directory"},
		},
		{
			name:  "leading ./ and a symlink kept as a symlink",
			paths: []string{"./dir/sub", "link"},
			want:  map[string]string{"dir": "/", "dir/sub": "/", "dir/sub/a.bin": "a", "dir/sub/b.txt": "b", "link": "->top.txt"},
		},
		{
			name:  "outside the project",
			paths: []string{"../elsewhere", "/etc/passwd"},
			want:  map[string]string{},
			log:   []string{"WARNING: artifact path is not a subpath of project directory: ../elsewhere", "ERROR: No files to upload"},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, log, _ := saveAndRestore(t, ws, &pipeline.Artifacts{Paths: tt.paths, Exclude: tt.exclude}, true)
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("restored (-want +got):\n%s\nlog:\n%s", diff, log)
			}
			for _, l := range tt.log {
				if !strings.Contains(log, l) {
					t.Errorf("log lacks %q:\n%s", l, log)
				}
			}
		})
	}
}

func TestArtifactAbsolutePathInProject(t *testing.T) {
	d, err := Open(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	ws := t.TempDir()
	writeFiles(t, ws, map[string]string{"path/file1": "1", "path/file2": "2"})
	// $CI_PROJECT_DIR/path/ as gitlab-ci-local's artifacts-shell case has it.
	spec := &pipeline.Artifacts{Paths: []string{ws + "/path/"}, Exclude: []string{"path/file2"}}
	if _, err := d.Artifacts("p").Save(context.Background(), "produce", ws, spec, true, nil); err != nil {
		t.Fatal(err)
	}
	dst := t.TempDir()
	if err := d.Artifacts("p").Restore(context.Background(), dst, []string{"produce"}, nil); err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(map[string]string{"path": "/", "path/file1": "1"}, tree(t, dst)); diff != "" {
		t.Errorf("restored (-want +got):\n%s", diff)
	}
}

func TestArtifactModes(t *testing.T) {
	d, err := Open(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	ws := t.TempDir()
	writeFiles(t, ws, map[string]string{"bin/tool": "#!/bin/sh\n", "bin/ro.txt": "ro"})
	if err := os.Chmod(filepath.Join(ws, "bin/tool"), 0o750); err != nil {
		t.Fatal(err)
	}
	if err := os.Chmod(filepath.Join(ws, "bin/ro.txt"), 0o444); err != nil {
		t.Fatal(err)
	}
	store := d.Artifacts("p")
	if _, err := store.Save(context.Background(), "b", ws, &pipeline.Artifacts{Paths: []string{"bin"}}, true, nil); err != nil {
		t.Fatal(err)
	}
	dst := t.TempDir()
	// Restoring twice replaces read-only files rather than failing.
	for range 2 {
		if err := store.Restore(context.Background(), dst, []string{"b"}, nil); err != nil {
			t.Fatal(err)
		}
	}
	for name, want := range map[string]os.FileMode{"bin/tool": 0o750, "bin/ro.txt": 0o444} {
		fi, err := os.Stat(filepath.Join(dst, name))
		if err != nil || fi.Mode().Perm() != want {
			t.Errorf("%s: mode %v, %v; want %v", name, fi.Mode().Perm(), err, want)
		}
	}
}

func TestArtifactWhen(t *testing.T) {
	tests := []struct {
		when      pipeline.When
		succeeded bool
		saved     bool
	}{
		{pipeline.WhenUnset, true, true},
		{pipeline.WhenUnset, false, false},
		{pipeline.WhenOnSuccess, false, false},
		{pipeline.WhenOnFailure, false, true},
		{pipeline.WhenOnFailure, true, false},
		{pipeline.WhenAlways, false, true},
	}
	for _, tt := range tests {
		name := string(tt.when)
		if name == "" {
			name = "default"
		}
		if tt.succeeded {
			name += "/succeeded"
		} else {
			name += "/failed"
		}
		t.Run(name, func(t *testing.T) {
			spec := &pipeline.Artifacts{
				Paths: []string{"out.txt"}, When: tt.when,
				Reports: pipeline.Reports{Junit: []string{"report.xml"}},
			}
			got, _, saved := saveAndRestore(t, map[string]string{"out.txt": "o", "report.xml": "<testsuites/>"}, spec, tt.succeeded)
			if (len(got) > 0) != tt.saved || (saved.Archive != "") != tt.saved {
				t.Errorf("restored %v, archive %q; want saved=%v", got, saved.Archive, tt.saved)
			}
			// Reports are collected whatever the outcome.
			if len(saved.Reports[ReportJUnit]) != 1 {
				t.Errorf("junit reports = %v", saved.Reports)
			}
		})
	}
}

func TestArtifactReports(t *testing.T) {
	d, err := Open(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	ws := t.TempDir()
	writeFiles(t, ws, map[string]string{
		"reports/a.xml": "<testsuites/>", "reports/b.xml": "<testsuite/>",
		"coverage.xml": "<coverage/>", "build.env": "BUILD_VERSION=Hello\nA=1\n", "more.env": "A=2\n",
		"sast.json": "{}",
	})
	spec := &pipeline.Artifacts{Reports: pipeline.Reports{
		Junit:          []string{"reports/*.xml"},
		CoverageReport: &pipeline.CoverageReport{Format: "cobertura", Path: "coverage.xml"},
		Dotenv:         []string{"build.env", "more.env"},
		Other:          map[string][]string{"sast": {"sast.json"}},
	}}
	store := d.Artifacts("7")
	saved, err := store.Save(context.Background(), "build", ws, spec, false, nil)
	if err != nil {
		t.Fatal(err)
	}
	rel := map[string][]string{}
	for kind, files := range saved.Reports {
		for _, f := range files {
			r, _ := filepath.Rel(store.JobDir("build"), f)
			rel[kind] = append(rel[kind], filepath.ToSlash(r))
		}
	}
	want := map[string][]string{
		"junit":           {"reports/junit/reports/a.xml", "reports/junit/reports/b.xml"},
		"coverage_report": {"reports/coverage_report/coverage.xml"},
		"dotenv":          {"reports/dotenv/build.env", "reports/dotenv/more.env"},
		"sast":            {"reports/sast/sast.json"},
	}
	if diff := cmp.Diff(want, rel); diff != "" {
		t.Errorf("reports (-want +got):\n%s", diff)
	}
	wantVars := []Variable{{"BUILD_VERSION", "Hello"}, {"A", "2"}}
	if diff := cmp.Diff(wantVars, saved.Dotenv); diff != "" || saved.DotenvErr != nil {
		t.Errorf("dotenv (-want +got):\n%s%v", diff, saved.DotenvErr)
	}
	got, err := store.Dotenv("build")
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(wantVars, got); diff != "" {
		t.Errorf("stored dotenv (-want +got):\n%s", diff)
	}
	if vars, err := store.Dotenv("other-job"); vars != nil || err != nil {
		t.Errorf("Dotenv of a job without report = %v, %v", vars, err)
	}
}

func TestArtifactDotenvInvalid(t *testing.T) {
	_, log, saved := saveAndRestore(t, map[string]string{"build.env": "A=1\n\n"}, &pipeline.Artifacts{Reports: pipeline.Reports{Dotenv: []string{"build.env"}}}, true)
	if saved.DotenvErr == nil || !strings.Contains(saved.DotenvErr.Error(), "build.env:2:") {
		t.Errorf("DotenvErr = %v", saved.DotenvErr)
	}
	if !strings.Contains(log, "ERROR: dotenv report build.env:2:") {
		t.Errorf("log:\n%s", log)
	}
}

func TestArtifactUntracked(t *testing.T) {
	root := newRepo(t, map[string]string{".gitignore": "*.log\n", "src/a.go": "a"})
	d, src := snapshot(t, root)
	ws := create(t, src, "job")
	// What the job produced: untracked, ignored (still taken, as in
	// GitLab) and excluded.
	writeFiles(t, ws, map[string]string{"out/bin": "b", "debug.log": "l", "tmp/x": "x"})
	ctx := context.Background()
	store := d.Artifacts("1")
	spec := &pipeline.Artifacts{Untracked: true, Exclude: []string{"tmp/**"}}
	if _, err := store.Save(ctx, "job", ws, spec, true, nil); err != nil {
		t.Fatal(err)
	}
	dst := t.TempDir()
	if err := store.Restore(ctx, dst, []string{"job"}, nil); err != nil {
		t.Fatal(err)
	}
	want := map[string]string{"out": "/", "out/bin": "b", "debug.log": "l"}
	if diff := cmp.Diff(want, tree(t, dst)); diff != "" {
		t.Errorf("restored (-want +got):\n%s", diff)
	}
}
