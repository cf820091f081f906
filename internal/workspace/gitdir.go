package workspace

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"sort"
	"strings"

	"github.com/gantry-ci/gantry/internal/gitrepo"
)

// gitTemplate is the .git every job of a pipeline gets, as file contents:
// a repository of the job's own (a job may commit, tag or reset without
// touching the user's), HEAD detached at the pipeline's commit as GitLab's
// runner checks it out, borrowing the user's objects through
// objects/info/alternates as `git clone --shared` does, so that it costs
// the same whatever the history's size. Branches are refs/remotes/origin/*
// and tags are tags, as in GitLab's clone, so `git describe` and `git log
// origin/main..` work in a job. The index is HEAD's tree, so that `git
// status` shows the uncommitted work the workspace carries.
//
// Writing five small files per job replaces what an earlier version did:
// a `git clone --shared --no-checkout` per pipeline (three processes) and
// a copy of the resulting two dozen files and directories per job.
// Rejected: a symlink to the user's .git or a `git worktree` (a job's
// commits would change the user's repository).
type gitTemplate struct {
	// files maps paths under .git to their content.
	files map[string][]byte
}

// gitDirs are the directories of a job's .git; git requires objects and
// refs.
var gitDirs = []string{"objects", "objects/info", "refs"}

// newGitTemplate reads what the jobs' .git needs from the repository at
// top: where its objects are, its branches and tags, and HEAD's tree as an
// index (cached under .gantry/git by commit: the one git command, but
// for repositories gitrepo leaves to git).
func (d *Dir) newGitTemplate(ctx context.Context, top, head string) (*gitTemplate, error) {
	repo := gitrepo.Open(top)
	common, err := repo.CommonDir(ctx)
	if err != nil {
		return nil, fmt.Errorf("git template: %w", err)
	}
	refs, err := repo.BranchesAndTags(ctx)
	if err != nil {
		return nil, fmt.Errorf("git template: %w", err)
	}
	t := &gitTemplate{files: map[string][]byte{
		"objects/info/alternates": []byte(filepath.Join(common, "objects") + "\n"),
		"config":                  gitConfig(top, len(head) == 64),
	}}
	if head == "" {
		t.files["HEAD"] = []byte("ref: refs/heads/main\n")
	} else {
		t.files["HEAD"] = []byte(head + "\n")
		if t.files["index"], err = d.headIndex(ctx, top, head); err != nil {
			return nil, fmt.Errorf("git template: %w", err)
		}
	}
	if len(refs) > 0 {
		t.files["packed-refs"] = packedRefs(refs)
	}
	return t, nil
}

// gitConfig is the job repository's config: origin is the user's working
// copy, so that `git fetch` in a job works offline, as after a clone.
func gitConfig(top string, sha256 bool) []byte {
	var b strings.Builder
	b.WriteString("[core]\n")
	if sha256 {
		b.WriteString("\trepositoryformatversion = 1\n")
	} else {
		b.WriteString("\trepositoryformatversion = 0\n")
	}
	b.WriteString("\tfilemode = true\n\tbare = false\n\tlogallrefupdates = true\n")
	if sha256 {
		b.WriteString("[extensions]\n\tobjectformat = sha256\n")
	}
	fmt.Fprintf(&b, "[remote \"origin\"]\n\turl = %s\n\tfetch = +refs/heads/*:refs/remotes/origin/*\n", quoteConfig(top))
	return []byte(b.String())
}

// quoteConfig quotes a git config value.
func quoteConfig(v string) string {
	r := strings.NewReplacer(`\`, `\\`, `"`, `\"`, "\n", `\n`, "\t", `\t`)
	return `"` + r.Replace(v) + `"`
}

// packedRefs is the packed-refs file of a job's .git: the user's
// branches as origin's, and the tags.
func packedRefs(refs map[string]string) []byte {
	names := make([]string, 0, len(refs))
	for name := range refs {
		names = append(names, name)
	}
	sort.Strings(names)
	var b bytes.Buffer
	for _, name := range names {
		switch {
		case strings.HasPrefix(name, "refs/heads/"):
			fmt.Fprintf(&b, "%s refs/remotes/origin/%s\n", refs[name], strings.TrimPrefix(name, "refs/heads/"))
		case strings.HasPrefix(name, "refs/tags/"):
			fmt.Fprintf(&b, "%s %s\n", refs[name], name)
		}
	}
	return b.Bytes()
}

// headIndex returns an index of head's tree, from .gantry/git when an
// earlier run made it, else from `git read-tree` (which writes only the
// file GIT_INDEX_FILE names). Only the latest commit's index is kept.
func (d *Dir) headIndex(ctx context.Context, top, head string) ([]byte, error) {
	cache := filepath.Join(d.Path, "git")
	path := filepath.Join(cache, "index-"+head)
	if b, err := os.ReadFile(path); err == nil {
		return b, nil
	}
	if err := os.MkdirAll(cache, 0o755); err != nil {
		return nil, err
	}
	f, err := os.CreateTemp(cache, ".index-*")
	if err != nil {
		return nil, err
	}
	tmp := f.Name()
	f.Close()            // git writes it anew
	defer os.Remove(tmp) // gone after the rename; else scratch
	// Options a user's config may set that would make git write beside
	// the user's index (split index) or leave entries out (sparse).
	_, err = gitOutputEnv(ctx, top, []string{"GIT_INDEX_FILE=" + tmp},
		"-c", "core.splitIndex=false", "-c", "index.sparse=false", "-c", "core.fsmonitor=false",
		"read-tree", head)
	if err != nil {
		return nil, err
	}
	b, err := os.ReadFile(tmp)
	if err != nil {
		return nil, err
	}
	// Read before the rename: another run may delete the file right
	// after, for its own commit.
	if err := os.Rename(tmp, path); err != nil {
		return nil, err
	}
	old, _ := filepath.Glob(filepath.Join(cache, "index-*")) // the pattern is valid
	for _, p := range old {
		if p != path {
			os.Remove(p) // best effort: a stale cache entry costs disk only
		}
	}
	return b, nil
}

// write makes gitDir hold exactly the template: missing files and
// directories are created, files with other content rewritten, anything
// else (a job's commits, logs, hooks, its own refs) removed.
func (t *gitTemplate) write(gitDir string) error {
	// The sizes of the files and the directories already there: a job's
	// .git is usually as the last run of the job left it.
	have := map[string]int64{}
	fi, err := os.Lstat(gitDir)
	switch {
	case errors.Is(err, fs.ErrNotExist):
	case err != nil:
		return err
	case !fi.IsDir():
		if err := os.Remove(gitDir); err != nil {
			return err
		}
	default:
		have[""] = -1
		if err := t.prune(gitDir, have); err != nil {
			return err
		}
	}
	for _, dir := range append([]string{""}, gitDirs...) {
		if _, ok := have[dir]; ok {
			continue
		}
		if err := os.Mkdir(filepath.Join(gitDir, dir), 0o755); err != nil && !errors.Is(err, fs.ErrExist) {
			return err
		}
	}
	for rel, content := range t.files {
		path := filepath.Join(gitDir, filepath.FromSlash(rel))
		if size, ok := have[rel]; ok && size == int64(len(content)) {
			// A read is cheaper than a write, and a file rewritten in
			// place keeps its inode.
			if old, err := os.ReadFile(path); err == nil && bytes.Equal(old, content) {
				continue
			}
		}
		if err := os.WriteFile(path, content, 0o644); err != nil {
			return err
		}
	}
	return nil
}

// prune removes what does not belong in a job's .git, and directories
// where files belong and the other way round. What stays goes in have:
// the size of each file, -1 for directories.
func (t *gitTemplate) prune(gitDir string, have map[string]int64) error {
	isDir := map[string]bool{}
	for _, d := range gitDirs {
		isDir[d] = true
	}
	for f := range t.files {
		isDir[f] = false
	}
	return filepath.WalkDir(gitDir, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(gitDir, p) // p is under gitDir by construction
		if rel == "." {
			return nil
		}
		rel = filepath.ToSlash(rel)
		dir, known := isDir[rel]
		switch {
		case known && dir && d.IsDir():
			have[rel] = -1
			return nil
		case known && !dir && d.Type().IsRegular():
			if fi, err := d.Info(); err == nil {
				have[rel] = fi.Size()
			}
			return nil
		case d.IsDir():
			if err := removeAll(p); err != nil {
				return err
			}
			return filepath.SkipDir
		}
		return os.Remove(p)
	})
}
