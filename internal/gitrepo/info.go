package gitrepo

import (
	"context"
	"errors"
	"fmt"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"sync"
	"time"
)

// Info is what a pipeline needs to know about the commit it runs for.
type Info struct {
	// Dir is the working copy's top-level directory.
	Dir string
	// SHA is HEAD's full object name; ShortSHA its first 8 characters
	// (GitLab's CI_COMMIT_SHORT_SHA length, whatever core.abbrev says).
	SHA      string
	ShortSHA string
	// Branch is the checked-out branch; empty when HEAD is detached.
	Branch string
	// Tag is a tag pointing at HEAD, set only when HEAD is detached (as
	// when a CI system checks a tag out). With several, the highest in
	// version order wins.
	Tag string
	// Detached is true when HEAD is not a branch.
	Detached bool
	// Message is the raw commit message; Title its first line;
	// Description the rest, as GitLab defines CI_COMMIT_DESCRIPTION.
	Message     string
	Title       string
	Description string
	// Author is "Name <email>" (CI_COMMIT_AUTHOR).
	Author string
	// Timestamp is the committer date (CI_COMMIT_TIMESTAMP), in UTC.
	Timestamp time.Time
	// Parent is HEAD's first parent, empty for a root commit. It is the
	// commit a single-commit push would have moved the branch from.
	Parent string
	// Remote is the parsed origin remote; its zero value when the
	// working copy has no origin (or an unparsable one).
	Remote Remote
	// DefaultBranch is origin's HEAD when known, else main or master,
	// whichever exists (main first), else the current branch.
	DefaultBranch string
}

// RefName is the branch, else the tag, else "HEAD" for a detached HEAD
// that no tag names.
func (i Info) RefName() string {
	switch {
	case i.Branch != "":
		return i.Branch
	case i.Tag != "":
		return i.Tag
	}
	return "HEAD"
}

// Before is CI_COMMIT_BEFORE_SHA for a local run: the first parent, as
// if HEAD had been pushed alone, or ZeroSHA for a root commit (GitLab's
// value for the first commit of a branch).
func (i Info) Before() string {
	if i.Parent == "" {
		return ZeroSHA
	}
	return i.Parent
}

// Read gathers the Info of the working copy containing dir. A local run
// waits for it before its first job: it reads .git directly when it can
// do so exactly as git would (readNative), else runs git (readGit).
func Read(ctx context.Context, dir string) (Info, error) {
	return Open(dir).Read(ctx)
}

// Read is the package's Read for the working copy r located.
func (r *Repo) Read(ctx context.Context) (Info, error) {
	info, err := readNative(ctx, r)
	if err != nil && !errors.Is(err, ErrNoCommit) {
		// Declined (errUnsupported) or failed: git reads it, and words
		// the error if there is one.
		return readGit(ctx, r.dir)
	}
	return info, err
}

// readGit is Read by git commands, all but the first at once.
func readGit(ctx context.Context, dir string) (Info, error) {
	// One call answers "is it a repository", "where is its top" and "is
	// HEAD a branch"; it fails only for a non-repository or an unborn HEAD.
	out, err := git(ctx, dir, "rev-parse", "--show-toplevel", "HEAD", "--symbolic-full-name", "HEAD")
	if err != nil {
		var ge *gitError
		if errors.As(err, &ge) {
			if _, terr := TopLevel(ctx, dir); terr == nil {
				return Info{}, fmt.Errorf("read repository %s: %w", dir, ErrNoCommit)
			}
		}
		return Info{}, fmt.Errorf("read repository: %w", err)
	}
	lines := strings.Split(strings.TrimSpace(string(out)), "\n")
	if len(lines) != 3 {
		return Info{}, fmt.Errorf("read repository: unexpected git rev-parse output %q", out)
	}
	info := Info{Dir: filepath.FromSlash(lines[0]), SHA: lines[1], ShortSHA: lines[1]}
	if len(info.ShortSHA) > 8 {
		info.ShortSHA = info.ShortSHA[:8]
	}
	info.Branch = strings.TrimPrefix(lines[2], "refs/heads/")
	if !strings.HasPrefix(lines[2], "refs/heads/") {
		info.Branch, info.Detached = "", true
	}

	var (
		wg                         sync.WaitGroup
		raw, refs, origin, tags    []byte
		rawErr, refsErr, originErr error
		tagsErr                    error
	)
	run := func(dst *[]byte, dstErr *error, args ...string) {
		wg.Add(1)
		go func() {
			defer wg.Done()
			*dst, *dstErr = git(ctx, dir, args...)
		}()
	}
	run(&raw, &rawErr, "cat-file", "commit", info.SHA)
	run(&refs, &refsErr, append([]string{"for-each-ref", "--format=%(refname)%00%(symref)"}, defaultBranchRefs...)...)
	run(&origin, &originErr, "config", "--get", "remote.origin.url")
	if info.Detached {
		run(&tags, &tagsErr, "tag", "--points-at", "HEAD", "--sort=-version:refname")
	}
	wg.Wait()

	if rawErr != nil {
		return Info{}, fmt.Errorf("read HEAD: %w", rawErr)
	}
	c, err := parseCommit(raw)
	if err != nil {
		return Info{}, fmt.Errorf("read HEAD %s: %w", info.ShortSHA, err)
	}
	info.Message, info.Author, info.Timestamp, info.Parent = c.message, c.author, c.committed, c.parent
	info.Title, info.Description = SplitMessage(c.message)

	if tagsErr != nil {
		return Info{}, fmt.Errorf("read tags: %w", tagsErr)
	}
	if t := strings.Fields(string(tags)); len(t) > 0 {
		info.Tag = t[0]
	}
	// config --get exits 1 when origin has no URL: that is "no origin".
	var ge *gitError
	if originErr != nil && !(errors.As(originErr, &ge) && ge.code == 1) {
		return Info{}, fmt.Errorf("read origin: %w", originErr)
	}
	if u := strings.TrimSpace(string(origin)); u != "" {
		// An origin we cannot parse is not fatal: the pipeline still runs,
		// with the project named after the directory.
		if r, perr := ParseRemote(u); perr == nil {
			info.Remote = r
		}
	}
	if refsErr != nil {
		return Info{}, fmt.Errorf("read default branch: %w", refsErr)
	}
	info.DefaultBranch = defaultBranch(parseSymrefs(string(refs)), info.Branch)
	return info, nil
}

// parseSymrefs reads for-each-ref's "%(refname)%00%(symref)" lines: each
// listed ref and the ref it points to ("" unless symbolic).
func parseSymrefs(out string) map[string]string {
	refs := map[string]string{}
	for _, line := range strings.Split(out, "\n") {
		if name, symref, _ := strings.Cut(line, "\x00"); name != "" {
			refs[name] = symref
		}
	}
	return refs
}

// defaultBranch picks origin's HEAD among the existing refs of
// defaultBranchRefs (each with its symbolic target), else main, else
// master (local or origin's), else the current branch.
func defaultBranch(refs map[string]string, current string) string {
	if b, ok := strings.CutPrefix(refs["refs/remotes/origin/HEAD"], "refs/remotes/origin/"); ok {
		return b
	}
	for _, b := range []string{"main", "master"} {
		if _, ok := refs["refs/heads/"+b]; ok {
			return b
		}
		if _, ok := refs["refs/remotes/origin/"+b]; ok {
			return b
		}
	}
	return current
}

// SplitMessage returns a commit message's title (its first line) and
// description as GitLab defines them: the message after the first line
// when the title is shorter than 100 characters, else the whole message.
func SplitMessage(msg string) (title, description string) {
	title, rest, _ := strings.Cut(msg, "\n")
	title = strings.TrimSuffix(title, "\r")
	if len([]rune(title)) >= 100 {
		return title, strings.TrimSuffix(msg, "\n")
	}
	return title, strings.TrimSuffix(rest, "\n")
}

// commit is the part of a raw commit object Read uses.
type commit struct {
	parent    string
	author    string
	committed time.Time
	message   string
}

// parseCommit reads `git cat-file commit` output: headers, a blank line,
// the message. Multi-line headers (gpgsig, mergetag) continue with a
// leading space and are skipped.
func parseCommit(raw []byte) (commit, error) {
	var c commit
	s := string(raw)
	headers, msg, ok := strings.Cut(s, "\n\n")
	if !ok {
		headers, msg = strings.TrimSuffix(s, "\n"), ""
	}
	c.message = msg
	for _, line := range strings.Split(headers, "\n") {
		key, val, _ := strings.Cut(line, " ")
		switch key {
		case "parent":
			if c.parent == "" {
				c.parent = val
			}
		case "author":
			name, _, err := parseIdent(val)
			if err != nil {
				return commit{}, fmt.Errorf("author: %w", err)
			}
			c.author = name
		case "committer":
			_, when, err := parseIdent(val)
			if err != nil {
				return commit{}, fmt.Errorf("committer: %w", err)
			}
			c.committed = when
		}
	}
	return c, nil
}

// parseIdent splits "Name <email> 1578182400 +0100" into "Name <email>"
// and the time, in UTC.
func parseIdent(s string) (string, time.Time, error) {
	end := strings.LastIndex(s, ">")
	if end < 0 {
		return "", time.Time{}, fmt.Errorf("no <email> in %q", s)
	}
	ident := s[:end+1]
	fields := strings.Fields(s[end+1:])
	if len(fields) == 0 {
		return ident, time.Time{}, nil
	}
	secs, err := strconv.ParseInt(fields[0], 10, 64)
	if err != nil {
		return "", time.Time{}, fmt.Errorf("bad timestamp %q", fields[0])
	}
	return ident, time.Unix(secs, 0).UTC(), nil
}

// sortedUnique sorts names and drops repeats.
func sortedUnique(names []string) []string {
	sort.Strings(names)
	out := names[:0]
	for i, n := range names {
		if i == 0 || n != names[i-1] {
			out = append(out, n)
		}
	}
	return out
}
