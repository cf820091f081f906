package workspace

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"strings"

	"github.com/gantry-ci/gantry/internal/pipeline"
)

// Artifacts holds the artifacts of one pipeline's jobs, each job's under
// .gantry/artifacts/<pipeline>/<job-slug>/:
//
//	artifacts.tar            artifacts:paths and untracked (restored into later jobs)
//	reports/<kind>/<path>    artifacts:reports files as plain files, for parsers
//	dotenv.env               the dotenv reports, validated and merged
type Artifacts struct {
	dir string
}

// Artifacts returns the artifact store of the pipeline with this id.
func (d *Dir) Artifacts(pipelineID string) *Artifacts {
	return &Artifacts{dir: filepath.Join(d.Path, "artifacts", pipelineID)}
}

// JobDir is where the artifacts of the job with this slug are kept.
func (a *Artifacts) JobDir(job string) string { return filepath.Join(a.dir, job) }

const (
	archiveName = "artifacts.tar"
	dotenvName  = "dotenv.env"
)

// Report kinds with a meaning for gantry; other kinds are kept under their
// own names.
const (
	ReportJUnit    = "junit"
	ReportCoverage = "coverage_report"
	ReportDotenv   = "dotenv"
)

// Saved says what Save kept.
type Saved struct {
	// Archive is the path of the artifacts archive, "" when the job's
	// when: did not apply or nothing matched.
	Archive string
	// Entries is how many files and directories the archive holds.
	Entries int
	// Reports maps a report kind to the stored copies of its files.
	Reports map[string][]string
	// Dotenv are the variables of the dotenv reports; DotenvErr says why
	// they could not be read (GitLab then fails the job's upload).
	Dotenv    []Variable
	DotenvErr error
}

// WhenApplies reports whether artifacts or a cache with this when: are
// saved after a job that succeeded or not. The default is on_success.
func WhenApplies(when pipeline.When, succeeded bool) bool {
	switch when {
	case pipeline.WhenAlways:
		return true
	case pipeline.WhenOnFailure:
		return !succeeded
	}
	return succeeded
}

// Save collects the artifacts of the job with this slug from its workspace
// ws after it ran, and writes what it does to log (the job's log) in
// GitLab's words. Reports are collected whether or not the job succeeded,
// as GitLab does; paths and untracked only when spec.When applies. A path
// that matches nothing is a warning in the log, not an error.
func (a *Artifacts) Save(ctx context.Context, job, ws string, spec *pipeline.Artifacts, succeeded bool, log io.Writer) (*Saved, error) {
	if log == nil {
		log = io.Discard
	}
	saved := &Saved{Reports: map[string][]string{}}
	if spec == nil {
		return saved, nil
	}
	dir := a.JobDir(job)
	if err := removeAll(dir); err != nil {
		return nil, fmt.Errorf("save artifacts of %s: %w", job, err)
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return nil, fmt.Errorf("save artifacts of %s: %w", job, err)
	}
	root, err := os.OpenRoot(ws)
	if err != nil {
		return nil, fmt.Errorf("save artifacts of %s: %w", job, err)
	}
	defer root.Close() // directory handle only

	if err := a.saveReports(job, root, ws, spec.Reports, saved, log); err != nil {
		return nil, err
	}
	if (len(spec.Paths) == 0 && !spec.Untracked) || !WhenApplies(spec.When, succeeded) {
		return saved, nil
	}
	if succeeded {
		fmt.Fprintln(log, "Uploading artifacts for successful job")
	} else {
		fmt.Fprintln(log, "Uploading artifacts for failed job")
	}
	fmt.Fprintln(log, "Uploading artifacts...")
	set := newFileSet(root, ws, spec.Exclude, log)
	for _, p := range spec.Paths {
		set.addPath(p)
	}
	if spec.Untracked {
		set.addUntracked(ctx)
	}
	entries := set.sorted()
	if len(entries) == 0 {
		fmt.Fprintln(log, "ERROR: No files to upload")
		return saved, nil
	}
	archive := filepath.Join(dir, archiveName)
	if err := writeArchiveFile(archive, root, entries); err != nil {
		return nil, fmt.Errorf("save artifacts of %s: %w", job, err)
	}
	saved.Archive, saved.Entries = archive, len(entries)
	return saved, nil
}

// saveReports copies each report's files to reports/<kind>/ and reads the
// dotenv ones.
func (a *Artifacts) saveReports(job string, root *os.Root, ws string, r pipeline.Reports, saved *Saved, log io.Writer) error {
	kinds := map[string][]string{}
	if len(r.Junit) > 0 {
		kinds[ReportJUnit] = r.Junit
	}
	if r.CoverageReport != nil && r.CoverageReport.Path != "" {
		kinds[ReportCoverage] = []string{r.CoverageReport.Path}
	}
	if len(r.Dotenv) > 0 {
		kinds[ReportDotenv] = r.Dotenv
	}
	for k, v := range r.Other {
		if _, known := kinds[k]; !known && len(v) > 0 {
			kinds[k] = v
		}
	}
	for _, kind := range sortedKeys(kinds) {
		set := newFileSet(root, ws, nil, log)
		for _, p := range kinds[kind] {
			set.addPath(p)
		}
		for _, rel := range set.sorted() {
			fi, err := root.Stat(rel)
			if err != nil || !fi.Mode().IsRegular() {
				continue // directories and dangling links are not reports
			}
			dst := filepath.Join(a.JobDir(job), "reports", kind, filepath.FromSlash(rel))
			if err := copyOut(root, rel, dst); err != nil {
				return fmt.Errorf("save %s report of %s: %w", kind, job, err)
			}
			saved.Reports[kind] = append(saved.Reports[kind], dst)
		}
	}
	if files := saved.Reports[ReportDotenv]; len(files) > 0 {
		saved.Dotenv, saved.DotenvErr = readDotenvFiles(files, DefaultDotenvLimits)
		if saved.DotenvErr != nil {
			fmt.Fprintf(log, "ERROR: %v\n", saved.DotenvErr)
			return nil
		}
		if err := writeFileAtomic(filepath.Join(a.JobDir(job), dotenvName), formatDotenv(saved.Dotenv), 0o644); err != nil {
			return fmt.Errorf("save dotenv of %s: %w", job, err)
		}
	}
	return nil
}

// readDotenvFiles parses several dotenv reports as one: GitLab concatenates
// a job's dotenv files, later values winning, with one variable limit.
func readDotenvFiles(files []string, lim DotenvLimits) ([]Variable, error) {
	var all []Variable
	index := map[string]int{}
	for _, f := range files {
		fh, err := os.Open(f)
		if err != nil {
			return nil, err
		}
		// Errors name the file as the job wrote it: its path under reports/dotenv.
		name := filepath.ToSlash(f)
		if i := strings.Index(name, "/reports/"+ReportDotenv+"/"); i >= 0 {
			name = name[i+len("/reports/"+ReportDotenv+"/"):]
		}
		vars, err := ParseDotenv(fh, name, DotenvLimits{MaxBytes: lim.MaxBytes, MaxVariables: int(^uint(0) >> 1)})
		fh.Close() // read-only
		if err != nil {
			return nil, err
		}
		for _, v := range vars {
			all = setVariable(all, index, v)
		}
	}
	if len(all) > lim.MaxVariables {
		return nil, fmt.Errorf("dotenv reports: %d variables, at most %d are allowed", len(all), lim.MaxVariables)
	}
	return all, nil
}

// Dotenv returns the variables the dotenv reports of the job with this slug
// exported, nil if it had none.
func (a *Artifacts) Dotenv(job string) ([]Variable, error) {
	b, err := os.ReadFile(filepath.Join(a.JobDir(job), dotenvName))
	if errors.Is(err, fs.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("dotenv of %s: %w", job, err)
	}
	// Already checked against the limits when saved.
	return ParseDotenv(bytes.NewReader(b), dotenvName, DotenvLimits{MaxBytes: int64(len(b)) + 1, MaxVariables: int(^uint(0) >> 1)})
}

// Restore extracts the artifacts of the jobs with these slugs into the
// workspace ws, in order, so that a later job's file replaces an earlier
// one's. A job without artifacts is skipped.
func (a *Artifacts) Restore(ctx context.Context, ws string, jobs []string, log io.Writer) error {
	if log == nil {
		log = io.Discard
	}
	for _, job := range jobs {
		if err := ctx.Err(); err != nil {
			return err
		}
		f, err := os.Open(filepath.Join(a.JobDir(job), archiveName))
		if errors.Is(err, fs.ErrNotExist) {
			continue
		}
		if err != nil {
			return fmt.Errorf("restore artifacts of %s: %w", job, err)
		}
		fmt.Fprintf(log, "Downloading artifacts for %s...\n", job)
		_, err = extractArchive(f, ws)
		f.Close() // read-only
		if err != nil {
			return fmt.Errorf("restore artifacts of %s: %w", job, err)
		}
	}
	return nil
}

// writeArchiveFile writes the archive to a temporary file and renames it
// into place, so that no reader ever sees a partial archive. Only gantry
// reads it: private, as os.CreateTemp made it before.
func writeArchiveFile(dst string, root *os.Root, entries []string) error {
	return replaceFile(dst, 0o600, func(w io.Writer) error { return writeArchive(w, root, entries) })
}

// copyOut copies the file rel of root to dst outside it.
func copyOut(root *os.Root, rel, dst string) error {
	in, err := root.Open(rel)
	if err != nil {
		return err
	}
	defer in.Close() // read-only
	if err := os.MkdirAll(filepath.Dir(dst), 0o755); err != nil {
		return err
	}
	out, err := os.OpenFile(dst, os.O_WRONLY|os.O_CREATE|os.O_TRUNC, 0o644)
	if err != nil {
		return err
	}
	_, err = io.Copy(out, in)
	if cerr := out.Close(); err == nil {
		err = cerr
	}
	return err
}
