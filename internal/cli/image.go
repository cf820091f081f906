package cli

import (
	"encoding/json"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/spf13/cobra"
	"github.com/spf13/pflag"

	"github.com/gantry-ci/gantry/internal/image"
	"github.com/gantry-ci/gantry/internal/logs"
)

func init() { commands = append(commands, imageCmd) }

// registryFlags are the flags every image subcommand shares.
type registryFlags struct {
	caFiles    []string
	dockerHost string
}

func (f *registryFlags) register(fs *pflag.FlagSet) {
	fs.StringArrayVar(&f.caFiles, "ca-file", nil, "trust the registry CA certificates in PEM `FILE` (repeatable; besides the system's and /etc/docker/certs.d)")
	fs.StringVar(&f.dockerHost, "docker-host", "", "docker engine `ADDRESS` (default: DOCKER_HOST, else the local socket)")
}

// imageRun is what one image subcommand runs with: options from flags and
// the environment, and output streams that mask every credential.
type imageRun struct {
	opts           []image.Option
	stdout, stderr *logs.Masker
}

func (f *registryFlags) setUp(e *env) *imageRun {
	creds := image.CredentialsFromEnv(os.Getenv)
	secrets := creds.Secrets()
	// A job's other tokens may end up in a build's output too.
	for _, name := range []string{"CI_JOB_TOKEN", "CI_DEPLOY_PASSWORD", "CI_REGISTRY_PASSWORD"} {
		if v := os.Getenv(name); v != "" {
			secrets = append(secrets, v)
		}
	}
	r := &imageRun{
		opts:   []image.Option{image.WithCredentials(creds), image.WithDockerHost(f.dockerHost)},
		stdout: logs.NewMasker(e.stdout, secrets),
		stderr: logs.NewMasker(e.stderr, secrets),
	}
	for _, ca := range f.caFiles {
		r.opts = append(r.opts, image.WithCAFile(ca))
	}
	return r
}

// finish flushes the masked streams and reports err through them: the
// root command would print it unmasked.
func (r *imageRun) finish(err error) error {
	if err != nil {
		fmt.Fprintf(r.stderr, "gantry: %v\n", err)
	}
	// A failed flush means the terminal or pipe is gone: nothing to tell.
	_ = r.stdout.Flush()
	_ = r.stderr.Flush()
	if err != nil {
		return silent(ExitFailed)
	}
	return nil
}

func imageCmd(e *env) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "image",
		Short: "Build, push, promote and inspect Docker images",
		Long: `Build images through the Docker engine, push them, and promote a pushed
digest to other tags in the registry without rebuilding or pulling.

Registry credentials come from DOCKER_AUTH_CONFIG, then CI_REGISTRY_USER and
CI_REGISTRY_PASSWORD for CI_REGISTRY (as GitLab gives them to jobs), then
~/.docker/config.json and its credential helpers. They are masked in all
output. Registries are reached over HTTPS; transient failures are retried
with backoff.`,
	}
	cmd.AddCommand(imageBuildCmd(e), imagePushCmd(e), imagePromoteCmd(e), imageInspectCmd(e))
	return cmd
}

func imageBuildCmd(e *env) *cobra.Command {
	var (
		rf                registryFlags
		spec              image.BuildSpec
		tags, args, label []string
		builder           string
	)
	cmd := &cobra.Command{
		Use:   "build [--context DIR] [--file Dockerfile] [--tag REF]...",
		Short: "Build an image through the Docker engine, labelled with its commit",
		Long: `Build an image from a Dockerfile through the Docker engine's API, with
BuildKit when the engine uses it by default, and show the build's output.

The image is labelled org.opencontainers.image.revision ($CI_COMMIT_SHA),
org.opencontainers.image.source ($CI_PROJECT_URL) and
org.opencontainers.image.created. Without --tag it is tagged
$CI_REGISTRY_IMAGE:$CI_COMMIT_SHA.`,
		Example: `  gantry image build
  gantry image build --context backend --tag registry.example.com/gardel-backend:$CI_COMMIT_SHA
  gantry image build --file docker/Dockerfile.prod --target runtime --build-arg PIP_INDEX_URL`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			var err error
			if spec.BuildArgs, err = keyValues("--build-arg", args, true); err != nil {
				return withCode(ExitInvalid, err)
			}
			if spec.Labels, err = keyValues("--label", label, false); err != nil {
				return withCode(ExitInvalid, err)
			}
			switch image.Builder(builder) {
			case image.BuilderBuildKit, image.BuilderClassic:
				spec.Builder = image.Builder(builder)
			case "auto":
			default:
				return withCode(ExitInvalid, fmt.Errorf("--builder %q: want auto, buildkit or classic", builder))
			}
			if spec.Dockerfile != "" {
				// docker build reads -f from the working directory, not the context.
				if spec.Dockerfile, err = filepath.Abs(spec.Dockerfile); err != nil {
					return withCode(ExitInvalid, err)
				}
			}
			if spec.Revision == "" {
				spec.Revision = os.Getenv("CI_COMMIT_SHA")
			}
			if spec.Source == "" {
				spec.Source = os.Getenv("CI_PROJECT_URL")
			}
			if spec.Tags, err = tagsOrDefault(tags); err != nil {
				return withCode(ExitInvalid, err)
			}
			r := rf.setUp(e)
			built, err := image.Build(cmd.Context(), spec, r.stdout, r.opts...)
			if err == nil {
				fmt.Fprintf(r.stdout, "Built %s (%s)\n", built.ID, strings.Join(built.Tags, ", "))
			}
			return r.finish(err)
		},
	}
	fs := cmd.Flags()
	rf.register(fs)
	fs.StringVar(&spec.Context, "context", ".", "build context `DIR`")
	fs.StringVarP(&spec.Dockerfile, "file", "f", "", "`Dockerfile` path, as docker reads it (default: Dockerfile in the context)")
	fs.StringVar(&spec.Target, "target", "", "build stage `T`")
	fs.StringArrayVar(&args, "build-arg", nil, "build argument `K=V` (repeatable; K alone takes $K)")
	fs.StringArrayVarP(&tags, "tag", "t", nil, "tag the image `REF` (repeatable; default $CI_REGISTRY_IMAGE:$CI_COMMIT_SHA)")
	fs.StringArrayVar(&label, "label", nil, "add label `K=V` (repeatable)")
	fs.StringVar(&spec.Revision, "revision", "", "revision label `SHA` (default $CI_COMMIT_SHA)")
	fs.StringVar(&spec.Source, "source", "", "source label `URL` (default $CI_PROJECT_URL)")
	fs.StringVar(&builder, "builder", "auto", "builder: auto, buildkit or classic")
	fs.BoolVar(&spec.NoCache, "no-cache", false, "build every step again")
	return cmd
}

func imagePushCmd(e *env) *cobra.Command {
	var (
		rf     registryFlags
		asJSON bool
	)
	cmd := &cobra.Command{
		Use:   "push [REF]...",
		Short: "Push images to their registry (a no-op for tags already up to date)",
		Long: `Push built images to their registry through the Docker engine, showing
each layer's progress. A tag that already holds the image's digest is left
alone. Without REF, pushes $CI_REGISTRY_IMAGE:$CI_COMMIT_SHA.`,
		Example: `  gantry image push
  gantry image push registry.example.com/gardel-backend:$CI_COMMIT_SHA`,
		RunE: func(cmd *cobra.Command, refs []string) error {
			refs, err := tagsOrDefault(refs)
			if err != nil {
				return withCode(ExitInvalid, err)
			}
			r := rf.setUp(e)
			log := io.Writer(r.stdout)
			if asJSON {
				log = r.stderr
			}
			pushed, err := image.Push(cmd.Context(), refs, log, r.opts...)
			if err == nil && asJSON {
				err = json.NewEncoder(r.stdout).Encode(pushed)
			}
			return r.finish(err)
		},
	}
	rf.register(cmd.Flags())
	cmd.Flags().BoolVar(&asJSON, "json", false, "print the pushed digests as JSON (progress goes to stderr)")
	return cmd
}

func imagePromoteCmd(e *env) *cobra.Command {
	var rf registryFlags
	cmd := &cobra.Command{
		Use:   "promote SRC DST-TAG...",
		Short: "Point tags at the digest of an image already in the registry",
		Long: `Point each DST-TAG at the manifest SRC designates, in the registry itself:
nothing is pulled, rebuilt or pushed again, so the tag gets the very digest
that was tested. DST-TAG is a tag of SRC's repository (prod) or a full
reference in the same registry. Prints the digest on stdout; refuses when
SRC does not exist.`,
		Example: `  gantry image promote registry.example.com/gardel-backend:$CI_COMMIT_SHA prod latest
  gantry image promote registry.example.com/gardel-backend@sha256:... prod`,
		Args: cobra.MinimumNArgs(2),
		RunE: func(cmd *cobra.Command, args []string) error {
			r := rf.setUp(e)
			p, err := image.Promote(cmd.Context(), args[0], args[1:], r.stderr, r.opts...)
			if err == nil {
				fmt.Fprintln(r.stdout, p.Digest)
			}
			return r.finish(err)
		},
	}
	rf.register(cmd.Flags())
	return cmd
}

func imageInspectCmd(e *env) *cobra.Command {
	var (
		rf     registryFlags
		asJSON bool
	)
	cmd := &cobra.Command{
		Use:   "inspect REF",
		Short: "Show an image's digest, revision, creation time and size in its registry",
		Args:  cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			r := rf.setUp(e)
			info, err := image.Inspect(cmd.Context(), args[0], r.opts...)
			if err == nil {
				err = printInfo(r.stdout, info, asJSON)
			}
			return r.finish(err)
		},
	}
	rf.register(cmd.Flags())
	cmd.Flags().BoolVar(&asJSON, "json", false, "print as JSON")
	return cmd
}

func printInfo(w io.Writer, info image.Info, asJSON bool) error {
	if asJSON {
		return json.NewEncoder(w).Encode(info)
	}
	tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
	orNone := func(s string) string {
		if s == "" {
			return "-"
		}
		return s
	}
	fmt.Fprintf(tw, "Reference:\t%s\n", info.Ref)
	fmt.Fprintf(tw, "Digest:\t%s\n", info.Digest)
	fmt.Fprintf(tw, "Revision:\t%s\n", orNone(info.Revision))
	fmt.Fprintf(tw, "Source:\t%s\n", orNone(info.Source))
	fmt.Fprintf(tw, "Created:\t%s\n", info.Created.UTC().Format(time.RFC3339))
	fmt.Fprintf(tw, "Size:\t%d bytes\n", info.Size)
	fmt.Fprintf(tw, "Platform:\t%s\n", orNone(info.Platform))
	return tw.Flush()
}

// tagsOrDefault returns refs, or the pipeline's default tag when empty.
func tagsOrDefault(refs []string) ([]string, error) {
	if len(refs) > 0 {
		return refs, nil
	}
	t, err := image.DefaultTag(os.Getenv("CI_REGISTRY_IMAGE"), os.Getenv("CI_COMMIT_SHA"))
	if err != nil {
		return nil, err
	}
	return []string{t}, nil
}

// keyValues reads K=V flags; with fromEnv, a bare K takes $K as docker's
// --build-arg does (and is left out when K is unset).
func keyValues(flag string, kvs []string, fromEnv bool) (map[string]string, error) {
	out := map[string]string{}
	for _, kv := range kvs {
		k, v, ok := strings.Cut(kv, "=")
		if k == "" {
			return nil, fmt.Errorf("%s %q: want K=V", flag, kv)
		}
		if !ok {
			if !fromEnv {
				return nil, fmt.Errorf("%s %q: want K=V", flag, kv)
			}
			if v, ok = os.LookupEnv(k); !ok {
				continue
			}
		}
		out[k] = v
	}
	return out, nil
}
