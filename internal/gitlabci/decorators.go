package gitlabci

import (
	"bytes"
	"regexp"
	"slices"
	"strings"
	"sync"

	"github.com/gantry-ci/gantry/internal/pipeline"
	"go.yaml.in/yaml/v3"
)

// gitlab-ci-local reads decorators from comments above a job's key:
//
//	# @Interactive
//	# @Description Deploys the review app
//	deploy-review:
//	  script: ...
//
// Its rule is line-based, and gantry keeps it: a decorator comment is
// pending until the next line that holds a key (a word character followed
// by a colon, the comment on that line included), and that line's key gets
// it, whatever lies between (blank lines, other comments, list items).
// Only top-level keys of jobs, hidden ones included, keep decorators;
// elsewhere they are dropped. gitlab-ci-local writes them into the job as
// keys (gclInteractive: true), so they merge through include, extends and
// YAML merge keys like any keyword; gantry does the same with keys that
// start with decoratorPrefix. One deliberate difference: a comment-only
// line is never the key line, so "# @Description Build: fast" is a
// description, not a broken key.

// decoratorPrefix starts the keys that carry decorators through merging. A
// NUL cannot appear in a pipeline file (ParseDocuments refuses it), so no
// key of the user's can collide with these.
const decoratorPrefix = "\x00@"

// The decorator keys.
const (
	decInteractive         = decoratorPrefix + "Interactive"
	decDescription         = decoratorPrefix + "Description"
	decInjectSSHAgent      = decoratorPrefix + "InjectSSHAgent"
	decNoArtifactsToSource = decoratorPrefix + "NoArtifactsToSource"
)

// gitlab-ci-local's patterns, case rules included: only the first letter
// of Interactive, InjectSSHAgent and Description may be lower case,
// NoArtifactsToSource may be in any case.
type decoratorPatterns struct {
	interactive, injectSSHAgent, noArtifacts, description, keyLine *regexp.Regexp
}

// decoratorRE compiles the patterns on first use, as psychRE does: only
// a file with an @ in it needs them.
var decoratorRE = sync.OnceValue(func() *decoratorPatterns {
	return &decoratorPatterns{
		interactive:    regexp.MustCompile(`#\s?@\s?[Ii]nteractive`),
		injectSSHAgent: regexp.MustCompile(`#\s?@\s?[Ii]njectSSHAgent`),
		noArtifacts:    regexp.MustCompile(`(?i)#\s?@\s?NoArtifactsToSource`),
		description:    regexp.MustCompile(`#\s?@\s?[Dd]escription (.*)`),
		keyLine:        regexp.MustCompile(`\w:`),
	}
})

// decorations are the decorators of one file: per line, those that the
// key on that line gets; per YAML map, those it gets when converted (also
// through an alias or a merge key).
type decorations struct {
	lines map[int][]Pair
	maps  map[*yaml.Node][]Pair
}

// scanDecorators finds the decorator comments of src and the line of the
// key each belongs to. It returns nil when there are none.
func scanDecorators(file string, src []byte) *decorations {
	if !bytes.Contains(src, []byte("@")) {
		return nil // the common case, at the cost of one scan
	}
	re := decoratorRE()
	var d *decorations
	var pending []Pair
	line := 0
	for rest := src; len(rest) > 0; {
		var text []byte
		text, rest, _ = bytes.Cut(rest, []byte("\n"))
		text = bytes.TrimSuffix(text, []byte("\r"))
		line++
		comment, only := commentOf(string(text))
		if comment != "" {
			pending = pendingDecorators(pending, comment, pipeline.Pos{File: file, Line: line, Col: len(text) - len(comment) + 1})
		}
		if only || len(pending) == 0 || !re.keyLine.Match(text) {
			continue
		}
		if d == nil {
			d = &decorations{lines: map[int][]Pair{}, maps: map[*yaml.Node][]Pair{}}
		}
		d.lines[line], pending = pending, nil
	}
	return d
}

// commentOf returns the comment of a line, from a # at its start or after
// a blank, and whether the line holds nothing else. A # in a quoted string
// after a blank passes for one, as in gitlab-ci-local, which looks at the
// whole line.
func commentOf(line string) (comment string, only bool) {
	t := strings.TrimLeft(line, " \t")
	if strings.HasPrefix(t, "#") {
		return t, true
	}
	for i := 1; i < len(line); i++ {
		if line[i] == '#' && (line[i-1] == ' ' || line[i-1] == '\t') {
			return line[i:], false
		}
	}
	return "", false
}

// pendingDecorators adds the decorators of one comment to those pending;
// the first of each kind wins, as in gitlab-ci-local.
func pendingDecorators(pending []Pair, comment string, pos pipeline.Pos) []Pair {
	add := func(key string, n *Node) {
		if !slices.ContainsFunc(pending, func(p Pair) bool { return p.Key == key }) {
			pending = append(pending, Pair{Key: key, KeyPos: pos, Value: n})
		}
	}
	yes := func() *Node { return &Node{Kind: Scalar, Tag: TagBool, Value: "true", Pos: pos} }
	re := decoratorRE()
	if re.interactive.MatchString(comment) {
		add(decInteractive, yes())
	}
	if re.injectSSHAgent.MatchString(comment) {
		add(decInjectSSHAgent, yes())
	}
	if re.noArtifacts.MatchString(comment) {
		add(decNoArtifactsToSource, yes())
	}
	if m := re.description.FindStringSubmatch(comment); m != nil {
		if text := strings.TrimSpace(m[1]); text != "" {
			add(decDescription, &Node{Kind: Scalar, Tag: TagStr, Value: text, Pos: pos})
		}
	}
	return pending
}

// mark notes that the value of a top-level key gets the decorators of the
// key's line, if it is a job's map. An alias value is left alone: its map
// belongs to another key.
func (d *decorations) mark(k, v *yaml.Node) {
	if d == nil || v.Kind != yaml.MappingNode || slices.Contains(globalKeywords, k.Value) {
		return
	}
	if pairs := d.lines[k.Line]; pairs != nil {
		d.maps[v] = append(d.maps[v], pairs...)
	}
}

// apply adds the decorators marked for y to its converted map n, below
// the keys written in the map (explicit) and above those of merge keys,
// as if they were written there.
func (d *decorations) apply(y *yaml.Node, n *Node, explicit map[string]bool) {
	if d == nil {
		return
	}
	for _, p := range d.maps[y] {
		if !explicit[p.Key] {
			explicit[p.Key] = true
			n.Pairs = append(n.Pairs, p)
		}
	}
}

// isDecorator reports whether key carries a decorator.
func isDecorator(key string) bool { return strings.HasPrefix(key, decoratorPrefix) }

// decorator reads a decorator pair of a job's map into ds; it reports
// false for other keys.
func decorator(ds *pipeline.Decorators, p Pair) bool {
	if !isDecorator(p.Key) {
		return false
	}
	switch p.Key {
	case decInteractive:
		ds.Interactive, ds.InteractivePos = true, p.KeyPos
	case decDescription:
		ds.Description = p.Value.Value
	case decInjectSSHAgent:
		ds.InjectSSHAgent = true
	case decNoArtifactsToSource:
		ds.NoArtifactsToSource = true
	}
	return true
}
