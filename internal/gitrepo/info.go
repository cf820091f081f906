package gitrepo

import (
	"context"
	"fmt"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
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

// Read gathers the Info of the working copy containing dir.
func Read(ctx context.Context, dir string) (Info, error) {
	top, err := git(ctx, dir, "rev-parse", "--show-toplevel")
	if err != nil {
		return Info{}, fmt.Errorf("read repository: %w", err)
	}
	info := Info{Dir: filepath.FromSlash(strings.TrimSpace(string(top)))}
	sha, err := gitOptional(ctx, dir, "rev-parse", "--verify", "-q", "HEAD^{commit}")
	if err != nil {
		return Info{}, fmt.Errorf("read repository: %w", err)
	}
	if sha == "" {
		return Info{}, fmt.Errorf("read repository %s: %w", info.Dir, ErrNoCommit)
	}
	info.SHA = sha
	info.ShortSHA = sha
	if len(info.ShortSHA) > 8 {
		info.ShortSHA = info.ShortSHA[:8]
	}
	raw, err := git(ctx, dir, "cat-file", "commit", sha)
	if err != nil {
		return Info{}, fmt.Errorf("read repository: %w", err)
	}
	c, err := parseCommit(raw)
	if err != nil {
		return Info{}, fmt.Errorf("read HEAD %s: %w", info.ShortSHA, err)
	}
	info.Message, info.Author, info.Timestamp, info.Parent = c.message, c.author, c.committed, c.parent
	info.Title, info.Description = SplitMessage(c.message)

	if err := readRefs(ctx, dir, &info); err != nil {
		return Info{}, err
	}
	return info, nil
}

// readRefs fills the branch, tag, remote and default branch.
func readRefs(ctx context.Context, dir string, info *Info) error {
	head, err := gitOptional(ctx, dir, "symbolic-ref", "-q", "HEAD")
	if err != nil {
		return fmt.Errorf("read HEAD: %w", err)
	}
	info.Branch = strings.TrimPrefix(head, "refs/heads/")
	if info.Branch == "" {
		info.Detached = true
		out, err := git(ctx, dir, "tag", "--points-at", "HEAD", "--sort=-version:refname")
		if err != nil {
			return fmt.Errorf("read tags: %w", err)
		}
		if tags := strings.Fields(string(out)); len(tags) > 0 {
			info.Tag = tags[0]
		}
	}

	origin, err := gitOptional(ctx, dir, "config", "--get", "remote.origin.url")
	if err != nil {
		return fmt.Errorf("read origin: %w", err)
	}
	if origin != "" {
		// An origin we cannot parse is not fatal: the pipeline still runs,
		// with the project named after the directory.
		if r, perr := ParseRemote(origin); perr == nil {
			info.Remote = r
		}
	}

	def, err := gitOptional(ctx, dir, "symbolic-ref", "-q", "refs/remotes/origin/HEAD")
	if err != nil {
		return fmt.Errorf("read origin HEAD: %w", err)
	}
	info.DefaultBranch = strings.TrimPrefix(def, "refs/remotes/origin/")
	for _, b := range []string{"main", "master"} {
		if info.DefaultBranch != "" {
			break
		}
		for _, ref := range []string{"refs/heads/" + b, "refs/remotes/origin/" + b} {
			ok, err := gitOptional(ctx, dir, "rev-parse", "--verify", "-q", ref)
			if err != nil {
				return fmt.Errorf("read default branch: %w", err)
			}
			if ok != "" {
				info.DefaultBranch = b
				break
			}
		}
	}
	if info.DefaultBranch == "" {
		info.DefaultBranch = info.Branch
	}
	return nil
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
