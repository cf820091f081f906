package cli

import (
	"context"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"

	"github.com/gantry-ci/gantry/internal/gitrepo"
	"github.com/spf13/cobra"
	"github.com/spf13/pflag"
)

// gitlab-ci-local takes default values for its options from, highest
// first: the command line, GCL_* environment variables (GCL_NEEDS=true,
// GCL_VARIABLE="A=1;B=2", GCL_VARIABLE_NAME=value for one variable), the
// file .gitlab-ci-local-env in its working directory and
// <home>/.gitlab-ci-local/.env, both dotenv files of NAME=value lines
// (NEEDS=true, FILE=other.yml). gantry reads the same sources for the
// options it shares, so a user's setup keeps working; the options gantry
// does not have are named in one notice and skipped.
//
// A list option from the environment is split on ";" and comes before the
// command line's values; from a file it is split on blanks and used only
// when neither the command line nor the environment gave one.
const (
	gclEnvFile     = ".gitlab-ci-local-env"
	gclHomeEnvFile = ".gitlab-ci-local/.env"
	gclEnvPrefix   = "GCL_"
	gclVarPrefix   = "GCL_VARIABLE_"
)

// gclCommands are the commands that read gitlab-ci-local's options: the
// ones that read a pipeline.
var gclCommands = map[string]bool{"run": true, "list": true, "config": true, "lint": true}

// gclOption is how one gitlab-ci-local option maps to a gantry flag.
type gclOption struct {
	flag string
	list bool
	// value turns gitlab-ci-local's value into the flag's; skip means
	// the value asks for gantry's default.
	value func(v string) (flagValue string, skip bool, err error)
}

// gclOptions are gitlab-ci-local's options that gantry shares, by their
// kebab-case name. Applying one to a command without that flag is a
// no-op: gitlab-ci-local has one command for what gantry splits in four.
var gclOptions = map[string]gclOption{
	"file":                      {flag: "file", value: gclString},
	"cwd":                       {flag: "directory", value: gclString},
	"variable":                  {flag: "variable", list: true, value: gclVariable},
	"job":                       {flag: "job", list: true, value: gclString},
	"stage":                     {flag: "stage", list: true, value: gclString},
	"manual":                    {flag: "manual", list: true, value: gclString},
	"needs":                     {flag: "needs", value: gclBool},
	"only-needs":                {flag: "only-needs", value: gclBool},
	"concurrency":               {flag: "jobs", value: gclConcurrency},
	"home":                      {flag: "home", value: gclString},
	"variables-file":            {flag: "variables-file", value: gclString},
	"quiet":                     {flag: "quiet", value: gclBool},
	"validate-dependency-chain": {flag: "validate-dependency-chain", value: gclBool},
	"default-image":             {flag: "default-image", value: gclString},
	// Jobs without image: run in a container when this is false, as
	// gantry's --executor docker runs them.
	"shell-executor-no-image": {flag: "executor", value: gclExecutorIf(false, "docker")},
	// Jobs with image: run in the host's shell, gantry's default.
	"force-shell-executor": {flag: "executor", value: gclExecutorIf(true, "shell")},
}

// gclSetting is one option value from the environment or a file.
type gclSetting struct {
	key   string // as written: GCL_NEEDS, NEEDS
	opt   string // kebab-case option name
	value string
	where string // "path:line:col" for a file's, empty for the environment's
}

// gclSources are the values found for each option, by source.
type gclSources struct {
	env   map[string][]gclSetting // list options may have several (GCL_VARIABLE_*)
	file  map[string]gclSetting
	files []string // the files that gave values, for the note
}

// applyGCLOptions fills the flags of cmd that its command line left
// unset from gitlab-ci-local's environment variables and option files.
// Notes go to warn.
func applyGCLOptions(cmd *cobra.Command, warn io.Writer) error {
	if !gclCommands[cmd.Name()] {
		return nil
	}
	ctx := cmd.Context()
	if ctx == nil {
		ctx = context.Background()
	}
	return applyGCL(ctx, cmd.Flags(), os.Environ(), os.Getenv("HOME"), warn)
}

// applyGCL is applyGCLOptions with the environment and $HOME given.
func applyGCL(ctx context.Context, fs *pflag.FlagSet, environ []string, home string, warn io.Writer) error {
	changed := map[string]bool{}
	fs.Visit(func(f *pflag.Flag) { changed[f.Name] = true })
	src := gclSources{env: map[string][]gclSetting{}, file: map[string]gclSetting{}}
	var ignored []string
	src.readEnv(environ, &ignored)

	// The files are found with the options already known: --home or
	// GCL_HOME for the user's, -C or GCL_CWD for the project's.
	if v, ok := src.scalar(fs, changed, "home"); ok {
		home = v
	}
	if home != "" {
		if err := src.readFile(filepath.Join(home, gclHomeEnvFile), &ignored, warn); err != nil {
			return err
		}
	}
	dir, fallback := ".", false
	if v, ok := src.scalar(fs, changed, "cwd"); ok {
		dir = v
	} else if _, ok := src.scalar(fs, changed, "file"); !ok {
		dir, fallback = gclFallbackDir(ctx)
	}
	before := len(src.files)
	if err := src.readFile(filepath.Join(dir, gclEnvFile), &ignored, warn); err != nil {
		return err
	}
	if fallback && len(src.files) > before && fs.Lookup("directory") != nil {
		// gitlab-ci-local works in the git root then, so FILE=x.yml there
		// names the root's x.yml.
		if _, ok := src.file["cwd"]; !ok {
			src.file["cwd"] = gclSetting{key: "CWD", opt: "cwd", value: dir, where: gclEnvFile}
		}
	}
	if len(ignored) > 0 {
		fmt.Fprintf(warn, "gantry: ignoring gitlab-ci-local options gantry does not have: %s\n", strings.Join(ignored, ", "))
	}
	if len(src.files) > 0 {
		fmt.Fprintf(warn, "gantry: options from gitlab-ci-local's %s\n", strings.Join(src.files, " and "))
	}
	return src.apply(fs, changed)
}

// gclFallbackDir is where gitlab-ci-local works without --cwd and --file:
// the working directory, or the root of its git repository when the
// working directory has no .gitlab-ci.yml (fileFlags.locate does the same).
func gclFallbackDir(ctx context.Context) (string, bool) {
	if _, err := os.Stat(DefaultPipelineFile); err == nil {
		return ".", false
	}
	wd, err := os.Getwd()
	if err != nil {
		return ".", false
	}
	top, err := gitrepo.TopLevel(ctx, wd)
	if err != nil || top == wd {
		return ".", false
	}
	return top, true
}

// readEnv collects the GCL_* variables; ignored gets the names that are
// no option of gantry's.
func (s *gclSources) readEnv(environ []string, ignored *[]string) {
	var vars []gclSetting
	for _, kv := range environ {
		key, value, _ := strings.Cut(kv, "=")
		if name, ok := strings.CutPrefix(key, gclVarPrefix); ok {
			if name != "" { // gitlab-ci-local skips GCL_VARIABLE_ too
				vars = append(vars, gclSetting{key: key, opt: "variable", value: name + "=" + value})
			}
			continue
		}
		rest, ok := strings.CutPrefix(key, gclEnvPrefix)
		if !ok || rest == "" {
			continue
		}
		opt := gclOptionName(rest)
		if _, known := gclOptions[opt]; !known {
			*ignored = append(*ignored, key)
			continue
		}
		set := gclSetting{key: key, opt: opt, value: value}
		if gclOptions[opt].list {
			// GCL_VARIABLE="A=1;B=2" is two values.
			for _, item := range strings.Split(value, ";") {
				if item != "" {
					set.value = item
					s.env[opt] = append(s.env[opt], set)
				}
			}
			continue
		}
		s.env[opt] = []gclSetting{set}
	}
	// The environment has no order; GCL_VARIABLE_* come first, by name,
	// below GCL_VARIABLE's values.
	slices.SortFunc(vars, func(a, b gclSetting) int { return strings.Compare(a.key, b.key) })
	if len(vars) > 0 {
		s.env["variable"] = append(vars, s.env["variable"]...)
	}
	slices.Sort(*ignored)
}

// readFile adds the options of a dotenv file, a missing one being none;
// a later file's value replaces an earlier one's.
func (s *gclSources) readFile(path string, ignored *[]string, warn io.Writer) error {
	b, err := os.ReadFile(path)
	if os.IsNotExist(err) {
		return nil
	}
	if err == nil && len(b) > maxEnvFile {
		err = fmt.Errorf("larger than %d bytes", maxEnvFile)
	}
	if err != nil {
		return withCode(ExitInvalid, fmt.Errorf("gitlab-ci-local options file %s: %w", path, err))
	}
	entries, bad := parseGCLDotenv(string(b))
	for _, line := range bad {
		fmt.Fprintf(warn, "gantry: %s:%d: not NAME=value, ignored (as gitlab-ci-local does)\n", path, line)
	}
	used := false
	for _, e := range entries {
		opt := gclOptionName(e.key)
		where := fmt.Sprintf("%s:%d:%d", path, e.line, e.col)
		if _, known := gclOptions[opt]; !known {
			*ignored = append(*ignored, fmt.Sprintf("%s (%s:%d)", e.key, path, e.line))
			continue
		}
		if e.value == "null" {
			// gitlab-ci-local reads null as unset.
			delete(s.file, opt)
			continue
		}
		s.file[opt] = gclSetting{key: e.key, opt: opt, value: e.value, where: where}
		used = true
	}
	if used {
		s.files = append(s.files, path)
	}
	return nil
}

// scalar returns the value an option has before the files are read: the
// flag's when the command line set it, else the environment's.
func (s *gclSources) scalar(fs *pflag.FlagSet, changed map[string]bool, opt string) (string, bool) {
	o := gclOptions[opt]
	if f := fs.Lookup(o.flag); f != nil && changed[o.flag] {
		return f.Value.String(), true
	}
	if e := s.env[opt]; len(e) > 0 && e[0].value != "" {
		return e[0].value, true
	}
	return "", false
}

// apply sets each shared flag from the best source the command line left
// it to. Options are applied in a fixed order, so that
// force-shell-executor, applied last, wins over shell-executor-no-image
// as in gitlab-ci-local.
func (s *gclSources) apply(fs *pflag.FlagSet, changed map[string]bool) error {
	names := make([]string, 0, len(gclOptions))
	for opt := range gclOptions {
		names = append(names, opt)
	}
	slices.Sort(names)
	names = append(slices.DeleteFunc(names, func(n string) bool { return n == "force-shell-executor" }), "force-shell-executor")
	for _, opt := range names {
		o := gclOptions[opt]
		f := fs.Lookup(o.flag)
		if f == nil {
			continue
		}
		var values []gclSetting
		switch env := s.env[opt]; {
		case o.list:
			values = env
			if len(values) == 0 && !changed[o.flag] {
				if fv, ok := s.file[opt]; ok {
					for _, item := range strings.Fields(fv.value) {
						fv.value = item
						values = append(values, fv)
					}
				}
			}
		case changed[o.flag]:
			continue
		case len(env) > 0:
			values = env
		default:
			if fv, ok := s.file[opt]; ok {
				values = []gclSetting{fv}
			}
		}
		if err := setGCLFlag(f, o, values); err != nil {
			return withCode(ExitInvalid, err)
		}
	}
	return nil
}

// setGCLFlag sets a flag from values: a list's come before the command
// line's.
func setGCLFlag(f *pflag.Flag, o gclOption, values []gclSetting) error {
	var items []string
	for _, v := range values {
		fv, skip, err := o.value(v.value)
		if err != nil {
			return v.errorf(err)
		}
		if !skip {
			items = append(items, fv)
		}
	}
	if len(items) == 0 {
		return nil
	}
	if o.list {
		sv, ok := f.Value.(pflag.SliceValue)
		if !ok {
			return fmt.Errorf("--%s is not a list", f.Name)
		}
		f.Changed = true
		return sv.Replace(append(items, sv.GetSlice()...))
	}
	if err := f.Value.Set(items[len(items)-1]); err != nil {
		return values[len(values)-1].errorf(err)
	}
	f.Changed = true
	return nil
}

// errorf reports a bad value where it was set.
func (s gclSetting) errorf(err error) error {
	where := s.where
	if where == "" {
		where = "environment"
	}
	return fmt.Errorf("%s: %s=%s: %v", where, s.key, s.value, err)
}

func gclString(v string) (string, bool, error) { return v, v == "", nil }

func gclVariable(v string) (string, bool, error) {
	if name, _, ok := strings.Cut(v, "="); !ok || name == "" {
		return "", false, fmt.Errorf("want NAME=VALUE")
	}
	return v, false, nil
}

// gclBool reads a boolean as gitlab-ci-local's option parser does; empty
// is false, the default of every boolean option gantry shares.
func gclBool(v string) (string, bool, error) {
	if v == "" {
		return "", true, nil
	}
	b, err := strconv.ParseBool(v)
	if err != nil {
		return "", false, fmt.Errorf("want true or false")
	}
	return strconv.FormatBool(b), false, nil
}

// gclConcurrency reads gitlab-ci-local's --concurrency; 0 or empty is its
// default, no limit, which gantry's default -j stands for.
func gclConcurrency(v string) (string, bool, error) {
	if v == "" || v == "0" {
		return "", true, nil
	}
	n, err := strconv.Atoi(v)
	if err != nil || n < 0 {
		return "", false, fmt.Errorf("want a number of jobs")
	}
	return v, false, nil
}

// gclExecutorIf maps a boolean option to --executor name when it is want.
func gclExecutorIf(want bool, name string) func(string) (string, bool, error) {
	return func(v string) (string, bool, error) {
		b, skip, err := gclBool(v)
		if err != nil || skip || b != strconv.FormatBool(want) {
			return "", true, err
		}
		return name, false, nil
	}
}

// gclOptionName is an option's kebab-case name from the way gitlab-ci-local
// accepts it: ONLY_NEEDS, only-needs, onlyNeeds.
func gclOptionName(key string) string {
	var b strings.Builder
	upper := strings.ToUpper(key) == key
	prevLower := false
	for _, r := range key {
		switch {
		case r == '_' || r == '-' || r == '.' || r == ' ':
			if b.Len() > 0 && !strings.HasSuffix(b.String(), "-") {
				b.WriteByte('-')
			}
			prevLower = false
			continue
		case !upper && r >= 'A' && r <= 'Z' && prevLower:
			b.WriteByte('-')
		}
		prevLower = r >= 'a' && r <= 'z' || r >= '0' && r <= '9'
		b.WriteString(strings.ToLower(string(r)))
	}
	return strings.TrimSuffix(b.String(), "-")
}
