package cli

import (
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"regexp"
	"sort"
	"strings"

	"github.com/gantry-ci/gantry/internal/expr"
	"github.com/gantry-ci/gantry/internal/gitrepo"
	"github.com/gantry-ci/gantry/internal/plan"
	"go.yaml.in/yaml/v3"
)

// gitlab-ci-local's variables files, read so that users coming from it
// keep their setup (a compatibility feature; gantry's own are
// .gantry/variables and --secret):
//
//	<home>/.gitlab-ci-local/variables.yml   global:, group: and project: sections
//	<project>/.gitlab-ci-local-variables.yml  NAME: value, or a dotenv file
//
// A variable is a value, or {type: file|variable, values: {SCOPE: value}}
// where SCOPE is an environment scope as GitLab writes them ("*",
// "review/*", "*staging*"). In the user file, group: and project: entries
// apply when their key is part of origin's "host/group/" or
// "host/group/project.git". A plain value starting with / or ~ names a
// file (~ is the home directory) whose content becomes a file variable.
// They rank as GitLab's group and project variables do: above the
// pipeline file's variables, below --variable.
const (
	gclHomeFile    = ".gitlab-ci-local/variables.yml"
	gclProjectFile = ".gitlab-ci-local-variables.yml"
)

// Levels of gitlab-ci-local's variables, lowest first: among values for
// the same environment scope length, the higher level wins.
const (
	gclGlobal = iota + 1
	gclGroup
	gclProject
	gclProjectFileLevel
)

// gclVar is one variable of gitlab-ci-local's files.
type gclVar struct {
	name   string
	file   bool
	values []gclValue // best first
}

// gclValue is one environment scope's value of a variable.
type gclValue struct {
	scope   string
	content string
	level   int
}

// gclVars are the variables read from gitlab-ci-local's files.
type gclVars struct {
	vars  map[string]*gclVar
	order []string
	// seen are the names the file being read defines, for the note.
	seen map[string]bool
}

// loadGCLVariables reads the user's file under home (none when home is
// empty) and the project's file at path (none when missing). Notes go to
// warn.
func loadGCLVariables(home, path string, remote gitrepo.Remote, warn io.Writer) (*gclVars, error) {
	g := &gclVars{vars: map[string]*gclVar{}}
	if home != "" {
		user := filepath.Join(home, gclHomeFile)
		doc, err := readYAMLFile(user)
		if err != nil {
			return nil, err
		}
		if doc != nil {
			g.seen = map[string]bool{}
			if err := g.addHome(doc, user, home, remote, warn); err != nil {
				return nil, err
			}
			g.note(warn, user)
		}
	}
	doc, err := readYAMLFile(path)
	g.seen = map[string]bool{}
	defer g.note(warn, path)
	var ye *yamlFileError
	switch {
	case errors.As(err, &ye) || (doc != nil && doc.Kind == yaml.ScalarNode):
		// Not YAML: gitlab-ci-local reads it as a dotenv file then.
		vars, derr := readEnvFile(path, false)
		if derr != nil {
			if err != nil {
				return nil, err
			}
			return nil, derr
		}
		for _, v := range vars {
			g.add(v.name, v.file, gclValue{scope: "*", content: v.value, level: gclProjectFileLevel})
		}
	case err != nil:
		return nil, err
	case doc != nil:
		if err := g.addEntries(doc, path, home, gclProjectFileLevel); err != nil {
			return nil, err
		}
	}
	for _, v := range g.vars {
		sortGCLValues(v)
	}
	return g, nil
}

// sortGCLValues puts the longest scope first, then the higher level, as
// gitlab-ci-local picks among the values that match an environment.
func sortGCLValues(v *gclVar) {
	sort.SliceStable(v.values, func(i, j int) bool {
		a, b := v.values[i], v.values[j]
		if len(a.scope) != len(b.scope) {
			return len(a.scope) > len(b.scope)
		}
		return a.level > b.level
	})
}

// yamlFileError is a file that is not YAML.
type yamlFileError struct{ err error }

func (e *yamlFileError) Error() string { return e.err.Error() }

// readYAMLFile parses a YAML file into its document's root node; nil
// without error for a missing or empty file.
func readYAMLFile(path string) (*yaml.Node, error) {
	b, err := os.ReadFile(path)
	if errors.Is(err, fs.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("variables file: %w", err)
	}
	if len(b) > maxEnvFile {
		return nil, fmt.Errorf("%s: larger than %d bytes", path, maxEnvFile)
	}
	var doc yaml.Node
	if err := yaml.Unmarshal(b, &doc); err != nil {
		return nil, &yamlFileError{fmt.Errorf("%s: %w", path, err)}
	}
	if doc.Kind != yaml.DocumentNode || len(doc.Content) == 0 {
		return nil, nil
	}
	root := doc.Content[0]
	if root.Kind == yaml.ScalarNode && root.Tag == "!!null" {
		return nil, nil
	}
	return root, nil
}

// addHome reads the user file's sections.
func (g *gclVars) addHome(doc *yaml.Node, path, home string, remote gitrepo.Remote, warn io.Writer) error {
	if doc.Kind != yaml.MappingNode {
		return posErr(path, doc, "want a mapping with global:, group: and project: sections")
	}
	groupURL := remote.Host + "/" + remote.Namespace + "/"
	projectURL := remote.Host + "/" + remote.Path + ".git"
	for i := 0; i+1 < len(doc.Content); i += 2 {
		key, val := doc.Content[i], doc.Content[i+1]
		switch key.Value {
		case "global":
			if err := g.addEntries(val, path, home, gclGlobal); err != nil {
				return err
			}
		case "group", "project":
			level, url := gclGroup, groupURL
			if key.Value == "project" {
				level, url = gclProject, projectURL
			}
			if isNull(val) {
				continue
			}
			if val.Kind != yaml.MappingNode {
				return posErr(path, val, key.Value+": want a mapping of forge paths to variables")
			}
			for k := 0; k+1 < len(val.Content); k += 2 {
				match := val.Content[k].Value
				if strings.Contains(match, ":") {
					// An ssh remote's form: gitlab-ci-local reads it as a path.
					norm := strings.Replace(match, ":", "/", 1)
					fmt.Fprintf(warn, "gantry: %s: reading %q as %q\n", path, match, norm)
					match = norm
				}
				if remote.Host == "" || !strings.Contains(url, match) {
					continue
				}
				if err := g.addEntries(val.Content[k+1], path, home, level); err != nil {
					return err
				}
			}
		default:
			return posErr(path, key, fmt.Sprintf("unknown section %q (hint: global, group or project)", key.Value))
		}
	}
	return nil
}

// addEntries reads a mapping of variable names to values.
func (g *gclVars) addEntries(m *yaml.Node, path, home string, level int) error {
	if isNull(m) {
		return nil
	}
	if m.Kind != yaml.MappingNode {
		return posErr(path, m, "want a mapping of variable names to values")
	}
	for i := 0; i+1 < len(m.Content); i += 2 {
		name, val := m.Content[i].Value, m.Content[i+1]
		switch val.Kind {
		case yaml.ScalarNode:
			if isNull(val) {
				return posErr(path, val, name+": no value (hint: write '' for an empty one)")
			}
			g.addPlain(name, val.Value, home, level)
		case yaml.MappingNode:
			if err := g.addScoped(name, val, path, level); err != nil {
				return err
			}
		default:
			return posErr(path, val, name+": want a value or {type, values}")
		}
	}
	return nil
}

// addPlain adds a value for every environment. A value that is a path
// (/... or ~/...) is a file variable holding that file's content, or a
// warning as content when the file is missing, as gitlab-ci-local does.
func (g *gclVars) addPlain(name, value, home string, level int) {
	if !strings.HasPrefix(value, "/") && !strings.HasPrefix(value, "~") {
		g.add(name, false, gclValue{scope: "*", content: value, level: level})
		return
	}
	src := value
	if rest, ok := strings.CutPrefix(value, "~/"); ok {
		src = filepath.Join(home, rest)
	}
	content := fmt.Sprintf("warn: %s is pointing to invalid path\n", name)
	if b, err := os.ReadFile(src); err == nil {
		content = string(b)
	}
	g.add(name, true, gclValue{scope: "*", content: content, level: level})
}

// addScoped reads {type: file|variable, values: {SCOPE: value}}.
func (g *gclVars) addScoped(name string, m *yaml.Node, path string, level int) error {
	file := false
	var values *yaml.Node
	for i := 0; i+1 < len(m.Content); i += 2 {
		key, val := m.Content[i], m.Content[i+1]
		switch key.Value {
		case "type":
			switch val.Value {
			case "file":
				file = true
			case "variable":
			default:
				return posErr(path, val, name+": type must be file or variable")
			}
		case "values":
			values = val
		default:
			return posErr(path, key, fmt.Sprintf("%s: unknown key %q (hint: type, values)", name, key.Value))
		}
	}
	if values == nil || values.Kind != yaml.MappingNode {
		return posErr(path, m, name+": want values: {ENVIRONMENT_SCOPE: value}")
	}
	for i := 0; i+1 < len(values.Content); i += 2 {
		scope, val := values.Content[i], values.Content[i+1]
		if val.Kind != yaml.ScalarNode || isNull(val) {
			return posErr(path, val, fmt.Sprintf("%s: %s: want text", name, scope.Value))
		}
		g.add(name, file, gclValue{scope: scope.Value, content: val.Value, level: level})
	}
	return nil
}

// note tells the user where variables came from: files of another tool
// should not act unseen.
func (g *gclVars) note(warn io.Writer, path string) {
	if n := len(g.seen); n > 0 {
		fmt.Fprintf(warn, "gantry: %d variable(s) from gitlab-ci-local's %s\n", n, path)
	}
}

func (g *gclVars) add(name string, file bool, v gclValue) {
	gv := g.vars[name]
	if gv == nil {
		gv = &gclVar{name: name}
		g.vars[name] = gv
		g.order = append(g.order, name)
	}
	gv.file = gv.file || file
	gv.values = append(gv.values, v)
	if g.seen != nil {
		g.seen[name] = true
	}
}

// pipeline returns the variables whose values do not depend on the
// environment, as pipeline-level variables (expanded, as GitLab expands
// project variables; file contents are taken as written).
func (g *gclVars) pipeline() []plan.Variable {
	var out []plan.Variable
	for _, name := range g.order {
		v := g.vars[name]
		if v.scoped() {
			continue
		}
		out = append(out, plan.Variable{Name: name, Value: v.values[0].content, Raw: v.file, File: v.file})
	}
	return out
}

// scoped reports whether the variable has a value for some environments
// only: it is resolved per job, by the job's environment.
func (v *gclVar) scoped() bool {
	for _, val := range v.values {
		if val.scope != "*" {
			return true
		}
	}
	return false
}

// apply gives each job the environment-scoped variables that match its
// environment (no environment matches only "*"), expanded with the job's
// variables, unless --variable set them (pinned).
func (g *gclVars) apply(p *plan.Plan, pinned map[string]bool) {
	if g == nil {
		return
	}
	for _, j := range p.Jobs {
		env := ""
		if j.Environment != nil {
			env = j.Environment.Name
		}
		for _, name := range g.order {
			v := g.vars[name]
			if !v.scoped() || pinned[name] {
				continue
			}
			for _, val := range v.values {
				if !scopeMatches(val.scope, env) {
					continue
				}
				value := val.content
				if !v.file {
					value = expandWith(value, j)
				}
				setJobVariable(j, plan.Variable{Name: name, Value: value, Raw: true, File: v.file})
				break
			}
		}
	}
}

// scopeMatches applies a GitLab environment scope: * matches any run of
// characters, everything else itself.
func scopeMatches(scope, env string) bool {
	if scope == "*" {
		return true
	}
	parts := strings.Split(scope, "*")
	for i := range parts {
		parts[i] = regexp.QuoteMeta(parts[i])
	}
	re, err := regexp.Compile("^" + strings.Join(parts, ".*") + "$")
	return err == nil && re.MatchString(env)
}

// setJobVariable replaces the job's variable of that name, or adds it.
func setJobVariable(j *plan.Job, v plan.Variable) {
	for i := range j.Variables {
		if j.Variables[i].Name == v.Name {
			v.Masked = j.Variables[i].Masked
			j.Variables[i] = v
			return
		}
	}
	j.Variables = append(j.Variables, v)
}

// expandWith expands variable references with the job's variables.
func expandWith(s string, j *plan.Job) string {
	if !strings.Contains(s, "$") {
		return s
	}
	return expr.Expand(s, j.Lookup)
}

func isNull(n *yaml.Node) bool {
	return n == nil || (n.Kind == yaml.ScalarNode && n.Tag == "!!null" && (n.Value == "" || n.Value == "~" || n.Value == "null"))
}

func posErr(path string, n *yaml.Node, msg string) error {
	return fmt.Errorf("%s:%d:%d: %s", path, n.Line, n.Column, msg)
}
