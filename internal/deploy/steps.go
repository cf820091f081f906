package deploy

import (
	"archive/tar"
	"bytes"
	"context"
	"fmt"
	"io"
	"os"
	"path"
	"path/filepath"
	"strings"

	"github.com/gantry-ci/gantry/internal/expr"
)

// uploadFile is one file sent to each host's directory.
type uploadFile struct {
	local, name string
	mode        int64
}

func (s *session) files() []uploadFile {
	var fs []uploadFile
	for _, c := range s.e.Compose {
		fs = append(fs, uploadFile{local: c, name: path.Base(filepath.ToSlash(c)), mode: 0o644})
	}
	if s.e.EnvFile != "" {
		ef := expr.Expand(s.e.EnvFile, s.d.vars(s.e, release{}, nil))
		// Named as in gantry.yml so that the compose files' env_file: finds it.
		fs = append(fs, uploadFile{local: ef, name: path.Base(filepath.ToSlash(s.e.EnvFile)), mode: 0o600})
	}
	return fs
}

func (s *session) uploadDetail() string {
	var names []string
	for _, f := range s.files() {
		names = append(names, f.name)
	}
	return strings.Join(names, ", ") + " to " + s.dir
}

// upload sends the compose files and the env file (mode 0600, never
// printed) to every host in one tar stream, and finds each host's compose.
func (s *session) upload(ctx context.Context, rel release) error {
	var buf bytes.Buffer
	tw := tar.NewWriter(&buf)
	seen := map[string]string{}
	var envName string
	for _, f := range s.files() {
		if other, dup := seen[f.name]; dup {
			return fmt.Errorf("%s and %s have the same name on the host; rename one", other, f.local)
		}
		seen[f.name] = f.local
		p := f.local
		if !filepath.IsAbs(p) {
			p = filepath.Join(s.d.Dir, p)
		}
		data, err := os.ReadFile(p)
		if err != nil {
			return fmt.Errorf("read %w", err)
		}
		if f.mode == 0o600 {
			envName = f.name
		}
		if err := tw.WriteHeader(&tar.Header{Name: f.name, Mode: f.mode, Size: int64(len(data)), Typeflag: tar.TypeReg}); err != nil {
			return err
		}
		if _, err := tw.Write(data); err != nil {
			return err
		}
	}
	if err := tw.Close(); err != nil {
		return err
	}
	cmd := "umask 077 && mkdir -p " + shellQuote(s.dir) + " && tar -xf - -C " + shellQuote(s.dir)
	if envName != "" {
		cmd += " && chmod 600 " + shellQuote(s.dir+"/"+envName)
	}
	cmd += " && { " + composeDetect + "; }"
	s.comp = make([]compose, len(s.remotes))
	var files []string
	for _, f := range s.files() {
		if f.name != envName {
			files = append(files, f.name)
		}
	}
	return s.each(func(i int) error {
		out, err := output(ctx, s.remotes[i], cmd, bytes.NewReader(buf.Bytes()))
		if err != nil {
			return err
		}
		s.comp[i] = compose{bin: strings.TrimSpace(out), dir: s.dir, project: s.project(), files: files, vars: s.composeVars(rel)}
		return nil
	})
}

// pull pulls the release's images on every host; onlyMissing skips hosts
// that still have the image (a rollback to a kept release).
func (s *session) pull(ctx context.Context, rel release, onlyMissing bool) error {
	return s.each(func(i int) error {
		c := s.comp[i].with(s.composeVars(rel))
		cmd := c.pull(s.services())
		if onlyMissing {
			cmd = "docker image inspect " + shellQuote(rel.image) + " >/dev/null 2>&1 || { " + cmd + "; }"
		}
		return s.remotes[i].Run(ctx, cmd, nil, nil, nil)
	})
}

// releaseCommands runs each release command once, on the primary host, in
// a one-off container of the new image; their output is shown.
func (s *session) releaseCommands(ctx context.Context, rel release) error {
	c := s.comp[0].with(s.composeVars(rel))
	out := s.d.Out
	if out == nil {
		out = io.Discard
	}
	for _, command := range s.e.Release.Commands {
		s.log.printf("  $ %s\n", command)
		if err := s.primary().Run(ctx, c.run(s.e.Release.Service, command), nil, out, out); err != nil {
			return fmt.Errorf("%q: %w", command, err)
		}
	}
	return nil
}

// roll switches the services on each host in turn, so that a bad release
// stops at the first host.
func (s *session) roll(ctx context.Context, rel release) error {
	for i, r := range s.remotes {
		for _, cmd := range s.comp[i].with(s.composeVars(rel)).rollSteps(s.e.Services) {
			if err := r.Run(ctx, cmd, nil, nil, nil); err != nil {
				return fmt.Errorf("%s: %w", s.hosts[i], err)
			}
		}
	}
	return nil
}

// prune removes the images of releases older than the kept ones. A
// removal that fails (the image is in use, or already gone) is fine.
func (s *session) prune(ctx context.Context, last Record) error {
	recs := append(append([]Record(nil), s.recs...), last)
	old := prunable(recs, keptDigests(recs, s.d.Config.keep(s.e)))
	if len(old) == 0 {
		return nil
	}
	cmd := "docker image rm " + quoteAll(old) + " >/dev/null 2>&1; true"
	return s.each(func(i int) error { return s.remotes[i].Run(ctx, cmd, nil, nil, nil) })
}
