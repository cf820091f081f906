package gitlabci

import (
	"errors"
	"io"
	"io/fs"
	"os"
	"path"
	"path/filepath"
	"regexp"
	"sort"
	"strings"

	"github.com/gantry-ci/gantry/internal/expr"
	"github.com/gantry-ci/gantry/internal/pipeline"
)

// includeEntry is one item of an include: list.
type includeEntry struct {
	kind     string // local, remote, project, template, component
	location string
	pos      pipeline.Pos // of the location, where errors point
	rules    *Node
	inputs   map[string]*Node
	// integrity is the sha256-<base64> a remote file must hash to.
	integrity *Node
	// bare is an include written as a plain string: whether it is local
	// or remote is decided after its variables are expanded.
	bare bool
}

// includeKeys are the keys an include map may have, and which kinds they go with.
var includeKeys = map[string]string{
	"local": "", "remote": "", "project": "", "template": "", "component": "",
	"file": "project", "ref": "project", "rules": "", "inputs": "", "integrity": "remote", "cache": "remote",
}

var includeKinds = []string{"local", "remote", "project", "template", "component"}

// parseIncludes reads the value of include: (a string, a map or a list of them).
func parseIncludes(n *Node, keyPos pipeline.Pos) ([]includeEntry, error) {
	switch n.Kind {
	case Null:
		return nil, nil
	case Scalar, Map:
		e, err := parseInclude(n)
		if err != nil {
			return nil, err
		}
		return []includeEntry{e}, nil
	case Seq:
		if n.Tag == TagReference {
			return nil, errorf(n.Pos, "write the file name", "include cannot use !reference")
		}
		out := make([]includeEntry, 0, len(n.Items))
		for _, it := range n.Items {
			e, err := parseInclude(it)
			if err != nil {
				return nil, err
			}
			out = append(out, e)
		}
		return out, nil
	}
	return nil, errorf(keyPos, "", "include must be a file name, a map or a list")
}

func parseInclude(n *Node) (includeEntry, error) {
	switch n.Kind {
	case Scalar:
		return includeEntry{kind: "local", location: n.Value, pos: n.Pos, bare: true}, nil
	case Map:
	default:
		return includeEntry{}, errorf(n.Pos, "write - local: path/to/file.yml", "an include must be a file name or a map, not a %s", n.Kind)
	}
	var e includeEntry
	for _, p := range n.Pairs {
		if _, known := includeKeys[p.Key]; !known {
			return e, errorf(p.KeyPos, "an include has one of local, remote, project, template, component, and optionally rules and inputs", "unknown include key %q", p.Key)
		}
		switch p.Key {
		case "local", "remote", "project", "template", "component":
			if e.kind != "" {
				return e, errorf(p.KeyPos, "split it into two list items", "an include has both %s and %s", e.kind, p.Key)
			}
			if p.Value.Kind != Scalar {
				return e, errorf(p.Value.Pos, "", "include:%s must be a string", p.Key)
			}
			e.kind, e.location, e.pos = p.Key, p.Value.Value, p.Value.Pos
		case "rules":
			e.rules = p.Value
		case "integrity":
			if p.Value.Kind != Scalar {
				return e, errorf(p.Value.Pos, "write sha256- then the base64 SHA-256 of the file", "include:integrity must be a string")
			}
			e.integrity = p.Value
		case "inputs":
			if p.Value.IsNull() {
				continue
			}
			if p.Value.Kind != Map {
				return e, errorf(p.Value.Pos, "", "include:inputs must be a map of input names to values")
			}
			e.inputs = make(map[string]*Node, len(p.Value.Pairs))
			for _, ip := range p.Value.Pairs {
				e.inputs[ip.Key] = ip.Value
			}
		}
	}
	if e.kind == "" {
		return e, errorf(n.Pos, "", "an include needs one of %s", strings.Join(includeKinds, ", "))
	}
	for _, p := range n.Pairs {
		if with := includeKeys[p.Key]; with != "" && with != e.kind {
			return e, errorf(p.KeyPos, "", "include:%s goes with include:%s, not include:%s", p.Key, with, e.kind)
		}
	}
	return e, nil
}

func isURL(s string) bool {
	i := strings.Index(s, "://")
	if i <= 0 {
		return false
	}
	for _, c := range s[:i] {
		if !('a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || '0' <= c && c <= '9' || c == '+' || c == '-' || c == '.') {
			return false
		}
	}
	return true
}

// expand turns an include entry into the files it names: none when its
// rules exclude it, several for a wildcard path.
func (r *resolver) expand(e includeEntry) ([]source, error) {
	if e.rules != nil {
		ok, err := r.rulesMatch(e.rules)
		if err != nil || !ok {
			return nil, err
		}
	}
	// GitLab's Mapper expands a location's variables with
	// ExpandVariables.expand (an unknown name becomes empty, $$ is no
	// escape) after it has expanded include:local wildcards. A plain
	// string include is expanded once more before that, to tell a URL from
	// a path (Normalizer).
	loc := e.location
	if e.bare {
		loc = expr.ExpandGitLab(loc, r.vars)
		if isURL(loc) {
			e.kind = "remote"
		}
	}
	if e.kind == "local" && strings.Contains(loc, "*") {
		return r.expandWildcard(loc, e.pos)
	}
	loc = expr.ExpandGitLab(loc, r.vars)
	if loc == "" && e.location != "" {
		return nil, errorf(e.pos, "define the variables it uses for this pipeline, or write the path", "include %s is empty once its variables are expanded", e.location)
	}
	switch e.kind {
	case "remote":
		if err := checkYAMLExt(strings.SplitN(strings.SplitN(loc, "?", 2)[0], "#", 2)[0], e.pos); err != nil {
			return nil, err
		}
		return []source{{kind: "remote", location: loc, integrity: r.expandNode(e.integrity)}}, nil
	case "local":
	case "component":
		name, ok := r.localComponent(loc)
		if !ok {
			return nil, errorf(e.pos, "vendor the file into the repository and use include:local", "include:component is not available without a GitLab instance for %s (only this project's own components are)", loc)
		}
		return []source{{kind: "local", location: name}}, nil
	default:
		return nil, errorf(e.pos, "vendor the file into the repository and use include:local", "include:%s is not available without a GitLab instance", e.kind)
	}
	name, err := localName(loc, e.pos)
	if err != nil {
		return nil, err
	}
	return []source{{kind: "local", location: name}}, nil
}

// localName is the project file an include:local path (or wildcard)
// names, or why GitLab would not read it.
func localName(loc string, at pipeline.Pos) (string, error) {
	name, ok := cleanLocal(loc)
	if !ok {
		return "", errorf(at, "include:local paths are relative to the project root", "%s is outside the project directory", loc)
	}
	if err := checkLiteralLocal(loc, name, at); err != nil {
		return "", err
	}
	if err := checkYAMLExt(name, at); err != nil {
		return "", err
	}
	return name, nil
}

// expandWildcard lists the files an include:local wildcard names. As in
// GitLab, the pattern is matched as written and the variables of each
// match expanded afterwards, so a variable in the pattern matches only a
// directory or file literally named like it.
func (r *resolver) expandWildcard(pattern string, at pipeline.Pos) ([]source, error) {
	name, err := localName(pattern, at)
	if err != nil {
		return nil, err
	}
	names, err := r.glob(name)
	if err != nil {
		return nil, errorf(at, "", "include %s: %v", name, err)
	}
	if len(names) == 0 {
		hint := "check the pattern: * stays within a directory, ** crosses directories"
		if expr.ExpandGitLab(name, r.vars) != name {
			hint = "GitLab matches a wildcard before it expands variables: write the path without them"
		}
		return nil, errorf(at, hint, "no file matches %s", name)
	}
	out := make([]source, 0, len(names))
	for _, n := range names {
		loc := n
		if exp := expr.ExpandGitLab(n, r.vars); exp != n {
			var ok bool
			if loc, ok = cleanLocal(exp); !ok {
				return nil, errorf(at, "include:local paths are relative to the project root", "%s (the expanded name of %s) is outside the project directory", exp, n)
			}
		}
		out = append(out, source{kind: "local", location: loc})
	}
	return out, nil
}

// expandNode returns a copy of a scalar with its variables expanded as an
// include location's are (GitLab expands every string of the include).
func (r *resolver) expandNode(n *Node) *Node {
	if n == nil || n.Kind != Scalar {
		return n
	}
	c := *n
	c.Value = expr.ExpandGitLab(n.Value, r.vars)
	return &c
}

// localComponent maps a component of this very project
// ($CI_SERVER_HOST/$CI_PROJECT_PATH/name@version) to its file in the
// working tree, templates/name.yml or templates/name/template.yml, as
// GitLab's catalog layout defines them. A local run tests the working tree,
// so the version is not checked out.
func (r *resolver) localComponent(loc string) (string, bool) {
	host, okHost := r.vars("CI_SERVER_HOST")
	project, okProject := r.vars("CI_PROJECT_PATH")
	if !okHost || !okProject {
		return "", false
	}
	rest, ok := strings.CutPrefix(loc, host+"/"+project+"/")
	if !ok {
		return "", false
	}
	name, _, _ := strings.Cut(rest, "@")
	if name == "" || strings.Contains(name, "/") || strings.Contains(name, "..") {
		return "", false
	}
	for _, candidate := range []string{"templates/" + name + ".yml", "templates/" + name + "/template.yml"} {
		if st, err := os.Stat(filepath.Join(r.opts.Dir, candidate)); err == nil && st.Mode().IsRegular() {
			return candidate, true
		}
	}
	return "", false
}

func checkYAMLExt(name string, pos pipeline.Pos) error {
	if strings.HasSuffix(name, ".yml") || strings.HasSuffix(name, ".yaml") {
		return nil
	}
	return errorf(pos, "included files must end in .yml or .yaml", "included file %s does not have a YAML extension", name)
}

// checkLiteralLocal refuses an include:local path with . or .. segments
// (./ci.yml, ci/../b.yml). GitLab reads the path from the repository as
// written, where no entry is named . or .., so it fails such an include
// as a file that does not exist (gitlab-org/gitlab#437645 plans relative
// paths); taking it here would pass a pipeline GitLab refuses. clean is
// loc as cleanLocal normalized it, for the hint.
func checkLiteralLocal(loc, clean string, pos pipeline.Pos) error {
	for _, seg := range strings.Split(strings.TrimLeft(loc, "/"), "/") {
		if seg == "." || seg == ".." {
			return errorf(pos, "write "+clean+": include:local paths are read from the project root as written, without . or .. (GitLab does not support them)",
				"file %s does not exist in the repository", loc)
		}
	}
	return nil
}

// cleanLocal normalizes a project-relative path (a leading / is optional,
// as in GitLab) and refuses paths that climb out of the project.
func cleanLocal(p string) (string, bool) {
	c := path.Clean(strings.TrimLeft(p, "/"))
	if c == "." || c == ".." || strings.HasPrefix(c, "../") {
		return "", false
	}
	return c, true
}

// glob lists project files matching an include:local wildcard the way
// GitLab does (Repository#search_files_by_wildcard_path): ** matches any
// characters including /, * any characters but /. So configs/**.yml
// matches files at any depth under configs, and configs/**/*.yml only
// files in its subdirectories. This differs from the globs of rules:exists
// and rules:changes (internal/fnmatch), where ** is only special before a /.
func (r *resolver) glob(pattern string) ([]string, error) {
	var re strings.Builder
	re.WriteString("^")
	for i, part := range strings.Split(pattern, "**") {
		if i > 0 {
			re.WriteString(".*")
		}
		for j, lit := range strings.Split(part, "*") {
			if j > 0 {
				re.WriteString("[^/]*")
			}
			re.WriteString(regexp.QuoteMeta(lit))
		}
	}
	re.WriteString("$")
	rx, err := regexp.Compile(re.String())
	if err != nil {
		return nil, err
	}
	// Walk only below the literal directory prefix of the pattern.
	base := "."
	if i := strings.LastIndex(pattern[:strings.Index(pattern, "*")], "/"); i >= 0 {
		base = pattern[:i]
	}
	var out []string
	err = fs.WalkDir(r.root.FS(), base, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			if p == base {
				return fs.SkipAll // no such directory: no match
			}
			return nil
		}
		if d.IsDir() {
			if d.Name() == ".git" {
				return fs.SkipDir
			}
			return nil
		}
		if rx.MatchString(p) {
			out = append(out, p)
		}
		return nil
	})
	sort.Strings(out)
	return out, err
}

// readLocal reads a project file, refusing anything outside the project
// (os.Root follows symlinks only within it) and files over MaxFileSize.
func (r *resolver) readLocal(name string, at pipeline.Pos) ([]byte, error) {
	f, err := r.root.Open(name)
	if err != nil {
		msg := "cannot be read"
		switch {
		case errors.Is(err, fs.ErrNotExist):
			msg = "does not exist"
		case strings.Contains(err.Error(), "escapes"):
			msg = "is outside the project directory (through a symlink)"
		}
		hint := "include:local paths are relative to the project root"
		if at.Line == 0 {
			hint = "" // the pipeline file itself
		}
		return nil, errorf(at, hint, "file %s %s", name, msg)
	}
	defer f.Close()
	if st, err := f.Stat(); err == nil && st.IsDir() {
		return nil, errorf(at, "", "%s is a directory, not a file", name)
	}
	data, err := io.ReadAll(io.LimitReader(f, MaxFileSize+1))
	if err != nil {
		return nil, errorf(at, "", "read %s: %v", name, err)
	}
	if len(data) > MaxFileSize {
		return nil, errorf(at, "split it into smaller files", "%s is larger than %s, the limit for pipeline files", name, byteSize(MaxFileSize))
	}
	return data, nil
}
