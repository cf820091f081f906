package image

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"maps"
	"slices"
	"strings"
	"time"

	"github.com/docker/docker/api/types/build"
	"github.com/docker/docker/client"
)

// Builder selects the engine's builder.
type Builder string

// Builders.
const (
	// BuilderAuto uses BuildKit when the engine says it is its default
	// builder (Docker Engine 23 and later on Linux), the classic one
	// otherwise, as the docker CLI decides.
	BuilderAuto     Builder = ""
	BuilderBuildKit Builder = "buildkit"
	BuilderClassic  Builder = "classic"
)

// BuildSpec says what to build.
type BuildSpec struct {
	// Context is the build context directory.
	Context string
	// Dockerfile is relative to Context, or absolute; default Dockerfile.
	Dockerfile string
	// Target is the stage to build (--target), empty for the last one.
	Target    string
	BuildArgs map[string]string
	// Tags name the image; at least one.
	Tags []string
	// Labels are added to the OCI labels below (and may override them).
	Labels map[string]string
	// Revision, Source and Created become the labels
	// org.opencontainers.image.revision, .source and .created; empty
	// Revision and Source are left out, a zero Created means now.
	Revision, Source string
	Created          time.Time
	Builder          Builder
	// NoCache builds every step again (--no-cache).
	NoCache bool
}

// Built is the outcome of Build.
type Built struct {
	// ID is the image's ID on the engine (sha256:...).
	ID      string
	Tags    []string
	Builder Builder
}

// Build builds spec through the engine's API and streams the build's
// output to log: BuildKit's steps as `docker build --progress=plain` shows
// them, or the classic builder's own output.
//
// BuildKit runs without a client session: base images come from the
// engine or anonymous registries (credentials for FROM images need the
// classic builder).
func Build(ctx context.Context, spec BuildSpec, log io.Writer, opts ...Option) (Built, error) {
	o := makeOptions(opts)
	if len(spec.Tags) == 0 {
		return Built{}, errors.New("build: no tag (hint: --tag, or CI_REGISTRY_IMAGE and CI_COMMIT_SHA for the default)")
	}
	for _, t := range spec.Tags {
		if _, err := parseRef(t); err != nil {
			return Built{}, fmt.Errorf("build: %w", err)
		}
	}
	cli, err := o.engine()
	if err != nil {
		return Built{}, err
	}
	if o.docker == nil {
		defer cli.Close()
	}
	builder := spec.Builder
	if builder == BuilderAuto {
		builder = BuilderClassic
		ping, err := cli.Ping(ctx)
		if err != nil {
			return Built{}, engineErr("build", cli, err)
		}
		if ping.BuilderVersion == build.BuilderBuildKit {
			builder = BuilderBuildKit
		}
	}
	body, dockerfile, err := contextTar(spec.Context, spec.Dockerfile)
	if err != nil {
		return Built{}, fmt.Errorf("build: %w", err)
	}
	defer body.Close()
	bo := build.ImageBuildOptions{
		Tags:        spec.Tags,
		Dockerfile:  dockerfile,
		Target:      spec.Target,
		BuildArgs:   map[string]*string{},
		Labels:      spec.labels(),
		Remove:      true,
		ForceRemove: true,
		Version:     build.BuilderV1,
		NoCache:     spec.NoCache,
	}
	for k, v := range spec.BuildArgs {
		bo.BuildArgs[k] = &v
	}
	if builder == BuilderBuildKit {
		bo.Version = build.BuilderBuildKit
	}
	resp, err := cli.ImageBuild(ctx, body, bo)
	if err != nil {
		return Built{}, engineErr("build", cli, err)
	}
	defer resp.Body.Close()
	out := Built{Tags: spec.Tags, Builder: builder}
	trace := newTraceWriter(log)
	err = readStream(resp.Body, func(m *message) error {
		switch {
		case m.ID == "moby.buildkit.trace":
			var raw []byte
			if err := json.Unmarshal(m.Aux, &raw); err != nil {
				return fmt.Errorf("BuildKit status: %w", err)
			}
			s, err := parseStatus(raw)
			if err != nil {
				return err
			}
			trace.write(s)
		case m.Aux != nil:
			var aux struct{ ID string }
			if json.Unmarshal(m.Aux, &aux) == nil && aux.ID != "" {
				out.ID = aux.ID
			}
		case m.Stream != "":
			io.WriteString(log, m.Stream)
		case m.Status != "":
			// Pulls of base images by the classic builder.
			fmt.Fprintln(log, m.Status)
		}
		return nil
	})
	if err != nil {
		return Built{}, fmt.Errorf("build %s: %w", spec.Tags[0], err)
	}
	if out.ID == "" {
		return Built{}, fmt.Errorf("build %s: the engine reported no image ID", spec.Tags[0])
	}
	return out, nil
}

// labels are the OCI labels plus spec.Labels.
func (s BuildSpec) labels() map[string]string {
	created := s.Created
	if created.IsZero() {
		created = time.Now()
	}
	l := map[string]string{LabelCreated: created.UTC().Format(time.RFC3339)}
	if s.Revision != "" {
		l[LabelRevision] = s.Revision
	}
	if s.Source != "" {
		l[LabelSource] = s.Source
	}
	maps.Copy(l, s.Labels)
	return l
}

// engine returns the engine client of the options.
func (o *options) engine() (*client.Client, error) {
	if o.docker != nil {
		return o.docker, nil
	}
	copts := []client.Opt{client.FromEnv, client.WithAPIVersionNegotiation()}
	if o.dockerURL != "" {
		copts = append(copts, client.WithHost(o.dockerURL))
	}
	c, err := client.NewClientWithOpts(copts...)
	if err != nil {
		return nil, fmt.Errorf("docker engine: %w", err)
	}
	return c, nil
}

// engineErr explains a failure to reach the engine.
func engineErr(op string, cli *client.Client, err error) error {
	if client.IsErrConnectionFailed(err) {
		return fmt.Errorf("%s: docker engine at %s not answering: %w (hint: start dockerd, or set DOCKER_HOST)", op, cli.DaemonHost(), err)
	}
	return fmt.Errorf("%s: %w", op, err)
}

// DefaultTag is the tag a pipeline's image gets when none is given, as
// GitLab's documentation names it: $CI_REGISTRY_IMAGE:$CI_COMMIT_SHA.
func DefaultTag(registryImage, sha string) (string, error) {
	var missing []string
	if registryImage == "" {
		missing = append(missing, "CI_REGISTRY_IMAGE")
	}
	if sha == "" {
		missing = append(missing, "CI_COMMIT_SHA")
	}
	if len(missing) > 0 {
		return "", fmt.Errorf("no tag given and %s not set (hint: --tag registry.example.com/app:tag)", strings.Join(slices.Sorted(slices.Values(missing)), " and "))
	}
	return registryImage + ":" + sha, nil
}
