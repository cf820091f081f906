package gitlabci

import (
	"bufio"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"
)

// schemaCase is one top-level key of a conformance file, checked alone.
type schemaCase struct {
	file, key string
	doc       *Node
}

// conformanceTags reads negative/INDEX.md: file -> tags.
func conformanceTags(t *testing.T, index string) map[string][]string {
	t.Helper()
	f, err := os.Open(index)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	line := regexp.MustCompile("^- `([^`]+)` — .*?(?:\\[([^\\]]*)\\])?$")
	tags := map[string][]string{}
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		m := line.FindStringSubmatch(sc.Text())
		if m == nil {
			continue
		}
		tags[m[1]] = nil
		for _, tag := range strings.Split(m[2], ",") {
			if tag = strings.Trim(strings.TrimSpace(tag), "*"); tag != "" {
				tags[m[1]] = append(tags[m[1]], tag)
			}
		}
	}
	return tags
}

// globalPositives reads the README's table for files checked whole.
func globalPositives(t *testing.T, readme string) map[string]bool {
	t.Helper()
	b, err := os.ReadFile(readme)
	if err != nil {
		t.Fatal(err)
	}
	row := regexp.MustCompile("(?m)^\\| `([^`]+)` \\| global \\|")
	out := map[string]bool{}
	for _, m := range row.FindAllStringSubmatch(string(b), -1) {
		out[m[1]] = true
	}
	return out
}

// schemaCases splits every .yml under dir per top-level key, as GitLab's
// ci_schema_spec.js does; global files give one whole document per key.
func schemaCases(t *testing.T, dir string, global func(rel string) bool) []schemaCase {
	t.Helper()
	var out []schemaCase
	err := filepath.WalkDir(dir, func(path string, e os.DirEntry, err error) error {
		if err != nil || e.IsDir() || filepath.Ext(path) != ".yml" {
			return err
		}
		rel, _ := filepath.Rel(dir, path) // path is under dir
		rel = filepath.ToSlash(rel)
		src, err := os.ReadFile(path)
		if err != nil {
			return err
		}
		doc, err := ParseDocument(rel, src)
		if err != nil {
			t.Errorf("%s: %v", rel, err)
			return nil
		}
		for _, p := range doc.Pairs {
			c := schemaCase{file: rel, key: p.Key}
			if global(rel) {
				c.doc = p.Value
			} else {
				c.doc = &Node{Kind: Map, Tag: "!!map", Pos: doc.Pos, Pairs: []Pair{p}}
			}
			out = append(out, c)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return out
}

func TestSchemaConformance(t *testing.T) {
	root := filepath.Join("testdata", "schema")
	tags := conformanceTags(t, filepath.Join(root, "negative", "INDEX.md"))
	globals := globalPositives(t, filepath.Join(root, "README.md"))

	positives := schemaCases(t, filepath.Join(root, "positive"), func(rel string) bool { return globals[rel] })
	accepted := 0
	for _, c := range positives {
		if errs := CheckSchema(c.doc); len(errs) > 0 {
			t.Errorf("positive %s, key %q: rejected: %v", c.file, c.key, errs)
			continue
		}
		accepted++
	}

	negatives := schemaCases(t, filepath.Join(root, "negative"), func(rel string) bool { return slices.Contains(tags[rel], "global") })
	var required, rejected, tagged, taggedRejected int
	var taggedNotes []string
	for _, c := range negatives {
		ft, ok := tags[c.file]
		if !ok {
			t.Errorf("negative %s is not listed in INDEX.md", c.file)
		}
		exempt := slices.ContainsFunc(ft, func(s string) bool {
			return s == "schema-only" || s == "schema-only?" || s == "not-in-newest-spec"
		})
		errs := CheckSchema(c.doc)
		if exempt {
			tagged++
			verdict := "accepted"
			if len(errs) > 0 {
				taggedRejected++
				verdict = "rejected: " + errs[0].Error()
			}
			taggedNotes = append(taggedNotes, c.file+" ["+strings.Join(ft, ", ")+"] "+c.key+": "+verdict)
			continue
		}
		required++
		if len(errs) == 0 {
			t.Errorf("negative %s, key %q: accepted, GitLab's schema rejects it", c.file, c.key)
			continue
		}
		rejected++
	}
	t.Logf("positive: accepted %d/%d top-level keys", accepted, len(positives))
	t.Logf("negative (untagged): rejected %d/%d top-level keys", rejected, required)
	t.Logf("negative (tagged schema-only / schema-only? / not-in-newest-spec): rejected %d/%d; each:", taggedRejected, tagged)
	for _, n := range taggedNotes {
		t.Logf("  %s", n)
	}
	if len(positives) == 0 || required == 0 {
		t.Fatal("no conformance cases found")
	}
}
