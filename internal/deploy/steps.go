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
		name := s.e.EnvFileAs
		if name == "" {
			name = path.Base(filepath.ToSlash(s.e.EnvFile))
		}
		fs = append(fs, uploadFile{local: ef, name: name, mode: 0o600})
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

// bundle is what every host receives: the compose files and the env file
// in one tar stream, and the command that unpacks it (the env file with
// mode 0600; nothing is printed) and prints the host's compose command.
type bundle struct {
	tar   []byte
	cmd   string
	files []string // compose files, as named on the host
}

func (s *session) bundle() (*bundle, error) {
	var buf bytes.Buffer
	tw := tar.NewWriter(&buf)
	seen := map[string]string{}
	b := &bundle{}
	var envName string
	for _, f := range s.files() {
		if other, dup := seen[f.name]; dup {
			return nil, fmt.Errorf("%s and %s have the same name on the host; rename one", other, f.local)
		}
		seen[f.name] = f.local
		p := f.local
		if !filepath.IsAbs(p) {
			p = filepath.Join(s.d.Dir, p)
		}
		data, err := os.ReadFile(p)
		if err != nil {
			return nil, fmt.Errorf("read %w", err)
		}
		if f.mode == 0o600 {
			envName = f.name
		} else {
			b.files = append(b.files, f.name)
		}
		if err := tw.WriteHeader(&tar.Header{Name: f.name, Mode: f.mode, Size: int64(len(data)), Typeflag: tar.TypeReg}); err != nil {
			return nil, err
		}
		if _, err := tw.Write(data); err != nil {
			return nil, err
		}
	}
	if err := tw.Close(); err != nil {
		return nil, err
	}
	b.tar = buf.Bytes()
	b.cmd = "umask 077 && mkdir -p " + shellQuote(s.dir) + " && tar -xf - -C " + shellQuote(s.dir)
	if envName != "" {
		b.cmd += " && chmod 600 " + shellQuote(s.dir+"/"+envName)
	}
	b.cmd += " && { " + composeDetect(s.setsDockerConfig()) + "; }"
	return b, nil
}

// uploaded records host i's compose command, printed by the bundle's
// command.
func (s *session) uploaded(i int, b *bundle, out string) {
	s.comp[i] = compose{bin: composeBin(out), dir: s.dir, project: s.project(), files: b.files}
}

// composeFor returns host i's compose for rel's variables.
func (s *session) composeFor(i int, rel release) compose {
	return s.comp[i].with(s.composeVars(rel))
}

// setsDockerConfig tells whether the environment's variables set
// DOCKER_CONFIG for compose (see composeDetect).
func (s *session) setsDockerConfig() bool {
	for _, v := range s.e.Variables {
		if v.Name == "DOCKER_CONFIG" {
			return true
		}
	}
	return false
}

// upload sends the bundle to the hosts other than the primary, which got
// it with the lock.
func (s *session) upload(ctx context.Context, b *bundle) error {
	return s.each(func(i int) error {
		if i == 0 {
			return nil
		}
		out, err := output(ctx, s.remotes[i], b.cmd, bytes.NewReader(b.tar))
		if err != nil {
			return err
		}
		s.uploaded(i, b, out)
		return nil
	})
}

// pull pulls the release's images on the first n hosts; onlyMissing
// skips hosts that still have the image (a rollback to a kept release).
func (s *session) pull(ctx context.Context, rel release, n int, onlyMissing bool) error {
	return s.eachOf(n, func(i int) error {
		c := s.composeFor(i, rel)
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
	c := s.composeFor(0, rel)
	out := s.d.Out
	if out == nil {
		out = io.Discard
	}
	for _, command := range s.e.Release.Commands {
		s.log.printf("  $ %s\n", command)
		if err := s.primary().Run(ctx, c.run(s.e.Release.Service, command), nil, out, out); err != nil {
			if ctx.Err() != nil {
				cctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), cleanupTimeout)
				defer cancel()
				if serr := s.primary().Run(cctx, c.stopRuns(s.e.Release.Service, rel.image), nil, nil, nil); serr != nil {
					err = fmt.Errorf("%w; stop its container by hand: %v", err, serr)
				}
			}
			return fmt.Errorf("%q: %w", command, err)
		}
	}
	return nil
}

// pruneCmd removes the images of releases older than the kept ones; a
// removal that fails (the image is in use, or already gone) is fine.
func (s *session) pruneCmd(last Record) string {
	recs := append(append([]Record(nil), s.recs...), last)
	old := prunable(recs, keptDigests(recs, s.d.Config.keep(s.e)))
	if len(old) == 0 {
		return ""
	}
	return "docker image rm " + quoteAll(old) + " >/dev/null 2>&1; true"
}
