package gitlabci

import (
	"context"
	"crypto/sha256"
	"encoding/base64"
	"fmt"
	"net/http"
	"os"
	"time"

	"github.com/gantry-ci/gantry/internal/pipeline"
)

// Limits and defaults of Resolve, GitLab's where GitLab has one.
const (
	// DefaultFile is the pipeline file of a project.
	DefaultFile = ".gitlab-ci.yml"
	// DefaultMaxIncludes is GitLab's default cap on included files per
	// pipeline (nested ones count; the same file included twice counts twice).
	DefaultMaxIncludes = 150
	// DefaultRemoteTimeout bounds one include:remote fetch.
	DefaultRemoteTimeout = 10 * time.Second
	// MaxExtendsDepth is the number of levels an extends chain may span,
	// the job itself included (GitLab: "up to eleven levels").
	MaxExtendsDepth = 11
	// MaxReferenceDepth is how deep !reference tags may nest.
	MaxReferenceDepth = 10
)

// Options say where the pipeline file is and how to fetch includes.
type Options struct {
	// Dir is the project root; include:local paths are relative to it and
	// may not leave it.
	Dir string
	// File is the pipeline file, relative to Dir (default ".gitlab-ci.yml").
	File string
	// HTTPClient fetches include:remote files; nil means a client with a
	// DefaultRemoteTimeout timeout.
	HTTPClient *http.Client
	// Vars looks up CI variables, for include:rules:if and $VAR in include
	// locations. nil means no variables.
	Vars func(name string) (string, bool)
	// Inputs are given to the main file's spec:inputs (rarely used).
	Inputs map[string]any
	// Changed lists the files changed by the push, relative to Dir, for
	// include:rules:changes. nil means unknown: such rules then match, as
	// GitLab's do in pipelines without a push event. An empty non-nil
	// slice means nothing changed.
	Changed []string
	// MaxIncludes caps included files; 0 means DefaultMaxIncludes.
	MaxIncludes int
}

// Resolve reads the pipeline file and returns one merged document: includes
// merged (included files first, the including file's keys win, deep merge of
// maps), spec:inputs interpolated, extends applied, !reference resolved.
// default:, workflow:, variables:, stages: and hidden jobs stay in the
// document; include: and extends: keys do not. Errors carry file:line:col.
func Resolve(ctx context.Context, opts Options) (*Node, error) {
	if opts.File == "" {
		opts.File = DefaultFile
	}
	if opts.MaxIncludes <= 0 {
		opts.MaxIncludes = DefaultMaxIncludes
	}
	dir := opts.Dir
	if dir == "" {
		dir = "."
	}
	root, err := os.OpenRoot(dir)
	if err != nil {
		return nil, fmt.Errorf("open project directory: %w", err)
	}
	defer root.Close()
	client := opts.HTTPClient
	if client == nil {
		client = &http.Client{Timeout: DefaultRemoteTimeout}
	}
	r := &resolver{ctx: ctx, opts: opts, root: root, client: client, parsed: map[string][]*Node{}, sums: map[string]string{}}

	name, ok := cleanLocal(opts.File)
	if !ok {
		return nil, errorf(pipeline.Pos{File: opts.File}, "give a path inside the project directory", "pipeline file %s is outside the project directory", opts.File)
	}
	inputs, err := goInputs(opts.Inputs)
	if err != nil {
		return nil, err
	}
	main := source{kind: "local", location: name}
	doc, err := r.load(main, inputs, pipeline.Pos{File: name}, nil)
	if err != nil {
		return nil, err
	}
	if doc, err = applyExtends(doc); err != nil {
		return nil, err
	}
	return resolveReferences(doc)
}

// resolver holds the state of one Resolve call.
type resolver struct {
	ctx    context.Context
	opts   Options
	root   *os.Root
	client *http.Client
	// includes counts included files against MaxIncludes.
	includes int
	// parsed caches the documents of each file: a template included many
	// times (with different inputs) is read and parsed once.
	parsed map[string][]*Node
	// sums are the sha256-<base64> hashes of fetched remote files.
	sums map[string]string
	// files lists every project file once an include:rules:exists
	// clause has needed them all (projectFiles).
	files []string
}

// source is one pipeline file: the main file, a local or a remote include.
type source struct {
	kind      string // "local" or "remote"
	location  string // path relative to the project, or URL
	integrity *Node  // include:integrity of a remote file, or nil
}

func (s source) key() string { return s.kind + ":" + s.location }

// load reads src, applies its spec:inputs, merges its includes under it
// and returns the merged map. chain is the list of files including src,
// for cycle detection; at is where src was named (for errors).
func (r *resolver) load(src source, inputs map[string]*Node, at pipeline.Pos, chain []source) (*Node, error) {
	if err := r.ctx.Err(); err != nil {
		return nil, err
	}
	docs, err := r.documents(src, at)
	if err != nil {
		return nil, err
	}
	body, err := applySpec(src.location, docs, inputs, at, r.vars)
	if err != nil {
		return nil, err
	}
	if body.IsNull() {
		if len(chain) == 0 {
			return nil, errorf(pipeline.Pos{File: src.location, Line: 1, Col: 1}, "add at least one job", "%s is empty", src.location)
		}
		return nil, errorf(at, "", "included file %s is empty", src.location)
	}
	if body.Kind != Map {
		return nil, errorf(body.Pos, "the top level of a pipeline file maps job names and keywords to values", "%s must be a map, not a %s", src.location, body.Kind)
	}
	inc := body.Lookup("include")
	if inc == nil {
		return body, nil
	}
	entries, err := parseIncludes(inc.Value, inc.KeyPos)
	if err != nil {
		return nil, err
	}
	chain = append(chain[:len(chain):len(chain)], src)
	merged := &Node{Kind: Map, Tag: "!!map", Pos: body.Pos}
	for _, e := range entries {
		files, err := r.expand(e)
		if err != nil {
			return nil, err
		}
		for _, f := range files {
			if err := r.count(e, chain, f); err != nil {
				return nil, err
			}
			child, err := r.load(f, e.inputs, e.pos, chain)
			if err != nil {
				return nil, err
			}
			merged = deepMerge(merged, child)
		}
	}
	own := *body
	own.Pairs = make([]Pair, 0, len(body.Pairs)-1)
	for _, p := range body.Pairs {
		if p.Key != "include" {
			own.Pairs = append(own.Pairs, p)
		}
	}
	return deepMerge(merged, &own), nil
}

// count checks the include cap and cycles before f is loaded.
func (r *resolver) count(e includeEntry, chain []source, f source) error {
	for i, c := range chain {
		if c.key() == f.key() {
			path := ""
			for _, c := range chain[i:] {
				path += c.location + " -> "
			}
			return errorf(e.pos, "remove one of these includes", "include cycle: %s%s", path, f.location)
		}
	}
	r.includes++
	if r.includes > r.opts.MaxIncludes {
		return errorf(e.pos, "merge some included files, or raise the limit", "more than %d included files (GitLab's limit)", r.opts.MaxIncludes)
	}
	return nil
}

// documents reads and parses src once per Resolve.
func (r *resolver) documents(src source, at pipeline.Pos) ([]*Node, error) {
	if docs, ok := r.parsed[src.key()]; ok {
		return docs, r.checkIntegrity(src)
	}
	var data []byte
	var err error
	if src.kind == "remote" {
		data, err = r.fetch(src.location, at)
	} else {
		data, err = r.readLocal(src.location, at)
	}
	if err != nil {
		return nil, err
	}
	if src.kind == "remote" {
		sum := sha256.Sum256(data)
		r.sums[src.location] = "sha256-" + base64.StdEncoding.EncodeToString(sum[:])
		if err := r.checkIntegrity(src); err != nil {
			return nil, err
		}
	}
	docs, err := ParseDocuments(src.location, data)
	if err != nil {
		return nil, err
	}
	r.parsed[src.key()] = docs
	return docs, nil
}

// checkIntegrity compares a remote file with its include:integrity.
func (r *resolver) checkIntegrity(src source) error {
	if src.integrity == nil || src.kind != "remote" {
		return nil
	}
	if got := r.sums[src.location]; got != src.integrity.Value {
		return errorf(src.integrity.Pos, "the file changed since the hash was written; check it, then update integrity to "+got, "include:remote %s does not match its integrity hash", src.location)
	}
	return nil
}

// vars looks up a CI variable.
func (r *resolver) vars(name string) (string, bool) {
	if r.opts.Vars == nil {
		return "", false
	}
	return r.opts.Vars(name)
}
