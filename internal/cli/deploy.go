package cli

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/gantry-ci/gantry/internal/deploy"
	"github.com/gantry-ci/gantry/internal/gantryfile"
	"github.com/gantry-ci/gantry/internal/image"
	"github.com/spf13/cobra"
	"github.com/spf13/pflag"
)

func init() {
	commands = append(commands, deployCmd, rollbackCmd, releasesCmd, lockCmd)
}

// deployFlags are shared by deploy, rollback, releases and lock.
type deployFlags struct {
	dir        string
	config     string
	knownHosts string
	identity   string
	caFiles    []string
}

func (f *deployFlags) register(fs *pflag.FlagSet) {
	fs.StringVarP(&f.dir, "directory", "C", "", "the repository `DIR` holding gantry.yml (default: the current directory)")
	fs.StringVar(&f.config, "config", "", "deploy config `FILE`, relative to the repository (default "+gantryfile.DefaultName+")")
	fs.StringVar(&f.knownHosts, "known-hosts", os.Getenv("GANTRY_SSH_KNOWN_HOSTS"), "known_hosts `FILE` (env GANTRY_SSH_KNOWN_HOSTS; default gantry.yml's ssh: or ~/.ssh/known_hosts)")
	fs.StringVar(&f.identity, "identity", os.Getenv("GANTRY_SSH_IDENTITY"), "SSH private key `FILE` tried after the agent (env GANTRY_SSH_IDENTITY)")
	fs.StringArrayVar(&f.caFiles, "ca-file", nil, "trust the registry CA certificates in PEM `FILE` (repeatable; besides the system's and /etc/docker/certs.d)")
}

// deployer loads gantry.yml and builds the Deployer the commands share.
func (f *deployFlags) deployer(e *env, jsonOut bool) (*deploy.Deployer, error) {
	// Abs of "" is the working directory.
	dir, err := filepath.Abs(f.dir)
	if err != nil {
		return nil, err
	}
	file := f.config
	if file == "" {
		file = gantryfile.DefaultName
	}
	path := file
	if !filepath.IsAbs(path) {
		path = filepath.Join(dir, file)
	}
	src, err := os.ReadFile(path)
	if err != nil {
		return nil, withCode(ExitInvalid, fmt.Errorf("no deploy config: %w (write %s, or use --config FILE or -C DIR)", err, gantryfile.DefaultName))
	}
	// Errors name the file as the user wrote it, relative to the repository.
	name := path
	if rel, err := filepath.Rel(dir, path); err == nil && !strings.HasPrefix(rel, "..") {
		name = rel
	}
	cfg, err := deploy.Parse(name, src)
	if err != nil {
		return nil, withCode(ExitInvalid, err)
	}
	sc := cfg.SSH
	if f.knownHosts != "" {
		sc.KnownHosts = f.knownHosts
	}
	if f.identity != "" {
		sc.Identity = f.identity
	}
	out := e.stdout
	if jsonOut {
		out = e.stderr
	}
	opts := []image.Option{image.WithCredentials(image.CredentialsFromEnv(os.Getenv))}
	for _, ca := range f.caFiles {
		opts = append(opts, image.WithCAFile(ca))
	}
	return &deploy.Deployer{
		Config: cfg,
		Dir:    dir,
		Dialer: deploy.NewSSHDialer(sc),
		Resolver: deploy.ResolverFunc(func(ctx context.Context, ref string) (string, error) {
			return image.Resolve(ctx, ref, opts...)
		}),
		Out: out,
	}, nil
}

// releaseFlags are deploy's and rollback's own.
type releaseFlags struct {
	approve  bool
	reason   string
	lockWait time.Duration
	dryRun   bool
	json     bool
}

func (f *releaseFlags) register(fs *pflag.FlagSet) {
	fs.BoolVar(&f.approve, "approve", false, "approve a deploy to a protected environment")
	fs.StringVar(&f.reason, "reason", "", "why, recorded in the lock and the release log")
	fs.DurationVar(&f.lockWait, "lock-wait", 0, "wait up to `DURATION` for another deploy's lock instead of failing")
	fs.BoolVar(&f.dryRun, "dry-run", false, "print the plan and change nothing")
	fs.BoolVar(&f.json, "json", false, "print the release record and step timings as JSON (progress goes to stderr)")
}

func deployCmd(e *env) *cobra.Command {
	var (
		df  deployFlags
		rf  releaseFlags
		tag string
	)
	cmd := &cobra.Command{
		Use:   "deploy ENV --tag SHA",
		Short: "Deploy an image tag to an environment, health-gated, with automatic rollback",
		Long: `Deploy the image tag (usually the commit SHA) to an environment of
gantry.yml over SSH with docker compose: resolve the tag to its digest, lock
the environment, upload the compose and env files, pull, run the release
commands once in the new image, roll the services, wait for the health
checks and watch the observation window. A failure before the switch
changes nothing; a failure after it rolls back to the previous release.
Every release is recorded on the environment's primary host.

Exit status: 0 when the new release serves; 1 when it failed, was rolled
back, canceled or left the environment degraded; 2 for an invalid
gantry.yml or options.`,
		Example: `  gantry deploy staging --tag $CI_COMMIT_SHA
  gantry deploy production --tag 3f2c1a9 --approve --reason "release 1.4"
  gantry deploy production --tag 3f2c1a9 --dry-run`,
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			if tag == "" {
				tag = os.Getenv("CI_COMMIT_SHA")
			}
			if tag == "" {
				return withCode(ExitInvalid, errors.New("give the image tag with --tag (in a pipeline, --tag $CI_COMMIT_SHA)"))
			}
			d, err := df.deployer(e, rf.json)
			if err != nil {
				return err
			}
			rep, err := d.Deploy(cmd.Context(), rf.options(args[0], tag, ""))
			return finishRelease(e, rf, rep, err)
		},
	}
	df.register(cmd.Flags())
	rf.register(cmd.Flags())
	cmd.Flags().StringVar(&tag, "tag", "", "image `TAG` to deploy (default $CI_COMMIT_SHA)")
	return cmd
}

func rollbackCmd(e *env) *cobra.Command {
	var (
		df deployFlags
		rf releaseFlags
		to string
	)
	cmd := &cobra.Command{
		Use:   "rollback ENV [--to SHA]",
		Short: "Return an environment to an earlier release through the same health gate",
		Long: `Roll an environment back to the release before the serving one, or to
the release --to names (a tag from gantry releases; 7 characters of a SHA
are enough). The images are kept on the hosts, so nothing is pulled unless
they were pruned; the release commands are not run. The rollback is locked,
health-gated and recorded like a deploy, and itself rolls back if the older
release turns out unhealthy.`,
		Example: `  gantry rollback production
  gantry rollback production --to 3f2c1a9 --approve`,
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			d, err := df.deployer(e, rf.json)
			if err != nil {
				return err
			}
			rep, err := d.Rollback(cmd.Context(), rf.options(args[0], "", to))
			return finishRelease(e, rf, rep, err)
		},
	}
	df.register(cmd.Flags())
	rf.register(cmd.Flags())
	cmd.Flags().StringVar(&to, "to", "", "the release `SHA` to return to (default: the one before the serving one)")
	return cmd
}

func (f *releaseFlags) options(env, tag, to string) deploy.Options {
	return deploy.Options{Env: env, Tag: tag, To: to, Approve: f.approve, Reason: f.reason, LockWait: f.lockWait, DryRun: f.dryRun}
}

// finishRelease prints the JSON report when asked and maps the error to
// an exit code: the progress lines already told the story.
func finishRelease(e *env, rf releaseFlags, rep *deploy.Report, err error) error {
	if rf.json && rep != nil && !rf.dryRun {
		enc := json.NewEncoder(e.stdout)
		enc.SetIndent("", "  ")
		if jerr := enc.Encode(rep); jerr != nil {
			return jerr
		}
	}
	var ce *gantryfile.Error
	switch {
	case err == nil:
		return nil
	case errors.As(err, &ce), errors.Is(err, deploy.ErrNotApproved):
		return withCode(ExitInvalid, err)
	default:
		return withCode(ExitFailed, err)
	}
}
