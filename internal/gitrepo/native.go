package gitrepo

import (
	"context"
	"errors"
	"fmt"
	"strings"
)

// readNative is Read without running git for the common case: HEAD, the
// refs and the commit are read from .git directly (about 0.1 ms, where the
// git commands took 5 ms of a 30 ms pipeline). It returns errUnsupported
// for anything it does not read exactly as git would (see discover,
// objectStore); Read then asks git. Two facts fall back on their own: the
// origin URL when a config file has includes, and the tag of a detached
// HEAD when several tags name it (git's version sort decides).
func readNative(ctx context.Context, r *Repo) (Info, error) {
	if r.err != nil {
		return Info{}, r.err
	}
	l, dir := r.l, r.dir
	refs, err := newRefStore(l)
	if err != nil {
		return Info{}, err
	}
	head, ok, err := refs.loose("HEAD")
	if err != nil || !ok {
		return Info{}, fmt.Errorf("HEAD: %w", errUnsupported)
	}
	info := Info{Dir: l.top}
	if target, ok := parseSymref(head); ok {
		if !strings.HasPrefix(target, "refs/") || !validRefName(target) {
			return Info{}, fmt.Errorf("HEAD -> %q: %w", target, errUnsupported)
		}
		content, ok, err := refs.loose(target)
		switch {
		case err != nil:
			return Info{}, fmt.Errorf("%w: %w", err, errUnsupported)
		case ok && !isHex40(content):
			// A symbolic branch, or garbage git may refuse: git decides.
			return Info{}, fmt.Errorf("%s: %w", target, errUnsupported)
		case ok:
			info.SHA = content
		default:
			p, err := refs.packedRef(target)
			if err != nil {
				return Info{}, err
			}
			if p.sha == "" {
				return Info{}, fmt.Errorf("read repository %s: %w", dir, ErrNoCommit)
			}
			info.SHA = p.sha
		}
		if branch, ok := strings.CutPrefix(target, "refs/heads/"); ok {
			info.Branch = branch
		} else {
			info.Detached = true
		}
	} else {
		if !isHex40(head) {
			return Info{}, fmt.Errorf("HEAD %q: %w", head, errUnsupported)
		}
		info.SHA, info.Detached = head, true
	}
	info.ShortSHA = info.SHA[:8]

	if replaced, err := refs.hasReplaceRefs(); err != nil || replaced {
		return Info{}, fmt.Errorf("replace refs: %w", errUnsupported)
	}
	typ, raw, err := refs.objects.readObject(info.SHA)
	if err != nil {
		return Info{}, fmt.Errorf("%w: %w", err, errUnsupported)
	}
	if typ != "commit" {
		// cat-file commit peels a tag: git does it.
		return Info{}, fmt.Errorf("HEAD is a %s: %w", typ, errUnsupported)
	}
	c, err := parseCommit(raw)
	if err != nil {
		return Info{}, fmt.Errorf("read HEAD %s: %w: %w", info.ShortSHA, err, errUnsupported)
	}
	info.Message, info.Author, info.Timestamp, info.Parent = c.message, c.author, c.committed, c.parent
	info.Title, info.Description = SplitMessage(c.message)

	if info.DefaultBranch, err = nativeDefaultBranch(refs, info.Branch); err != nil {
		return Info{}, err
	}
	if info.Detached {
		if info.Tag, err = nativeTag(ctx, refs, dir, info.SHA); err != nil {
			return Info{}, err
		}
	}
	origin, err := originURL(ctx, l, dir)
	if err != nil {
		return Info{}, err
	}
	if u := strings.TrimSpace(origin); u != "" {
		if r, perr := ParseRemote(u); perr == nil {
			info.Remote = r
		}
	}
	return info, nil
}

// defaultBranchRefs are the refs defaultBranch looks at, as Read's git
// path asks for-each-ref for them.
var defaultBranchRefs = []string{"refs/remotes/origin/HEAD", "refs/heads/main", "refs/heads/master", "refs/remotes/origin/main", "refs/remotes/origin/master"}

// nativeDefaultBranch gives defaultBranch the refs of defaultBranchRefs
// that for-each-ref would list (those that resolve to an object) and
// origin/HEAD's target, so both paths share the choice.
func nativeDefaultBranch(refs *refStore, current string) (string, error) {
	have := map[string]string{}
	for _, name := range defaultBranchRefs {
		target, found, err := refs.listed(name)
		if err != nil {
			return "", err
		}
		if found {
			have[name] = target
		}
	}
	return defaultBranch(have, current), nil
}

// nativeTag is the tag `git tag --points-at HEAD` names: a tag whose
// object is HEAD, or an annotated tag of HEAD. Git looks one level into a
// tag (newer versions peel tags of tags fully): a tag of a tag is left to
// git, and so is the choice among several.
func nativeTag(ctx context.Context, refs *refStore, dir, head string) (string, error) {
	tags, err := refs.tags()
	if err != nil {
		return "", err
	}
	var names []string
	for name, t := range tags {
		ok, err := tagPointsAt(refs, name, t, head)
		if err != nil {
			return "", err
		}
		if ok {
			names = append(names, strings.TrimPrefix(name, "refs/tags/"))
		}
	}
	switch len(names) {
	case 0:
		return "", nil
	case 1:
		return names[0], nil
	}
	out, err := git(ctx, dir, "tag", "--points-at", "HEAD", "--sort=-version:refname")
	if err != nil {
		return "", fmt.Errorf("read tags: %w", err)
	}
	if t := strings.Fields(string(out)); len(t) > 0 {
		return t[0], nil
	}
	return "", nil
}

// tagPointsAt reports whether the tag ref name (t as packed-refs or the
// loose file has it) points at head.
func tagPointsAt(refs *refStore, name string, t packedRef, head string) (bool, error) {
	if t.sha == head {
		return true, nil
	}
	if t.peeled != "" && t.peeled != head {
		return false, nil
	}
	if t.peeled == "" && refs.packed[name] == t && refs.tagsPeeled {
		// packed-refs peels every annotated tag it holds: this one is not.
		return false, nil
	}
	typ, data, err := refs.objects.readObject(t.sha)
	if err != nil {
		return false, fmt.Errorf("%w: %w", err, errUnsupported)
	}
	if typ != "tag" {
		return false, nil
	}
	object, objType := tagTarget(data)
	switch {
	case objType == "tag":
		return false, fmt.Errorf("%s is a tag of a tag: %w", name, errUnsupported)
	case !isHex40(object) || objType == "":
		return false, fmt.Errorf("%s: bad tag object: %w", name, errUnsupported)
	}
	return object == head && objType == "commit", nil
}

// tagTarget reads the "object" and "type" headers of a tag object.
func tagTarget(data []byte) (object, typ string) {
	headers, _, _ := strings.Cut(string(data), "\n\n")
	for _, line := range strings.Split(headers, "\n") {
		k, v, _ := strings.Cut(line, " ")
		switch k {
		case "object":
			object = v
		case "type":
			typ = v
		}
	}
	return object, typ
}

// originURL is `git config --get remote.origin.url`: the last value in
// the system, global and repository config files, read in that order.
// With includes anywhere it looks, git answers.
func originURL(ctx context.Context, l layout, dir string) (string, error) {
	if !hasInclude(l.config) {
		if v, ok := lastValue(l.config, "remote.origin.url"); ok {
			return v, nil
		}
	}
	var all []configEntry
	files, err := outerConfigFiles()
	if err == nil {
		for _, f := range files {
			var entries []configEntry
			if entries, err = readConfigFile(f); err != nil {
				break
			}
			all = append(all, entries...)
		}
	}
	all = append(all, l.config...)
	if err != nil || hasInclude(all) {
		out, err := git(ctx, dir, "config", "--get", "remote.origin.url")
		var ge *gitError
		if err != nil && !(errors.As(err, &ge) && ge.code == 1) {
			return "", fmt.Errorf("read origin: %w", err)
		}
		return string(out), nil
	}
	v, _ := lastValue(all, "remote.origin.url")
	return v, nil
}
