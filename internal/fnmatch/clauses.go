package fnmatch

import (
	"slices"
	"strings"
)

// GitLab's comparison limits: past this many glob-path comparisons a
// clause holds without comparing, so that a pipeline with huge lists is
// not slowed down (Clause::Changes::CHANGES_MAX_PATTERN_COMPARISONS and
// Clause::Exists::MAX_PATTERN_COMPARISONS).
const (
	MaxChangesComparisons = 50_000
	MaxExistsComparisons  = 10_000
)

// Changes is the matching half of GitLab's rules:changes (Clause::Changes,
// in jobs and in include:rules): whether a changed path matches one of
// the globs, whose variables the caller has already expanded. Past
// MaxChangesComparisons it holds. The caller decides what an unknown
// list of changes means; an empty one matches nothing.
func Changes(globs, changed []string) bool {
	var uniq []string
	for _, g := range globs {
		if !slices.Contains(uniq, g) {
			uniq = append(uniq, g)
		}
	}
	if len(changed) == 0 || len(uniq) == 0 {
		return false
	}
	if len(changed)*len(uniq) > MaxChangesComparisons {
		return true
	}
	return AnyMatch(uniq, changed)
}

// AnyMatch reports whether a path matches one of the globs, however many
// comparisons that takes (only/except:changes has no limit).
func AnyMatch(globs, paths []string) bool {
	for _, p := range paths {
		for _, g := range globs {
			if Match(g, p) {
				return true
			}
		}
	}
	return false
}

// Exists is GitLab's rules:exists (Clause::Exists, in jobs and in
// include:rules): whether a file of the project matches one of the globs.
// files lists every file of the project (directories are not files),
// slash-separated and relative to its root, as git ls-files does. globs
// are as written; expand, when not nil, gives a glob's value with the
// variables expanded.
//
// As GitLab: when no glob as written has a / or a **, only the top-level
// files are compared; a glob without *, ?, [ or { is compared as a whole
// path (so ./a or /a never match, and \ is not an escape there); a glob
// like **/*.ext compares file name endings; the other globs go through
// Match, and when they would take more than MaxExistsComparisons
// comparisons the clause holds without comparing.
func Exists(globs []string, expand func(string) string, files []string) bool {
	paths := files
	if TopLevel(globs) {
		paths = nil
		for _, f := range files {
			if !strings.Contains(f, "/") {
				paths = append(paths, f)
			}
		}
	}
	var exts, patterns []string
	for _, g := range globs {
		if expand != nil {
			g = expand(g)
		}
		switch {
		case exact(g):
			if slices.Contains(paths, g) {
				return true
			}
		case extension(g):
			exts = append(exts, strings.TrimPrefix(g, anyNested))
		default:
			patterns = append(patterns, g)
		}
	}
	if len(exts) > 0 && slices.ContainsFunc(paths, func(p string) bool {
		return slices.ContainsFunc(exts, func(e string) bool { return strings.HasSuffix(p, e) })
	}) {
		return true
	}
	if len(patterns)*len(paths) > MaxExistsComparisons {
		// GitLab counts comparisons until one matches and holds past the
		// limit, so the result does not depend on the order.
		return true
	}
	return AnyMatch(patterns, paths)
}

// anyNested is the prefix of the globs Exists compares by file ending.
const anyNested = "**/*"

// TopLevel reports whether Exists compares the globs, as written, with
// the project's top-level files only: none has a / or a **. A caller
// listing the files may then stop at the top level.
func TopLevel(globs []string) bool {
	return !slices.ContainsFunc(globs, func(g string) bool {
		return strings.Contains(g, "/") || strings.Contains(g, "**")
	})
}

// exact reports whether glob has none of the characters GitLab treats as
// a pattern's.
func exact(glob string) bool {
	return !strings.ContainsAny(glob, "*?[{")
}

// extension reports whether glob is **/*.ext (ext without / or pattern
// characters), which matches exactly the paths ending in .ext.
func extension(glob string) bool {
	e := strings.TrimPrefix(glob, anyNested)
	return strings.HasPrefix(e, ".") && !strings.Contains(e, "/") && exact(e)
}
