package cli

import (
	"encoding/json"
	"fmt"
	"path/filepath"

	"github.com/gantry-ci/gantry/internal/gitlabci"
	"github.com/gantry-ci/gantry/internal/plan"
	"github.com/spf13/cobra"
)

func init() { commands = append(commands, lintCmd) }

// lintProblem is one error or warning in `gantry lint --json` output.
type lintProblem struct {
	File    string `json:"file"`
	Line    int    `json:"line"`
	Col     int    `json:"col"`
	Message string `json:"message"`
	Hint    string `json:"hint,omitempty"`
}

func lintCmd(e *env) *cobra.Command {
	var (
		ff         fileFlags
		asJSON     bool
		schemaOnly bool
	)
	cmd := &cobra.Command{
		Use:   "lint",
		Short: "Validate a pipeline file (exit 0 valid, 2 invalid)",
		Long: `Validate a pipeline file: includes, extends, !reference, every keyword and
value, needs and stages, and job variables that refer to each other in a
circle. Each problem is reported as file:line:col with what is wrong and how
to fix it.

Variables written as YAML numbers whose value in GitLab is not the text
written (PYTHON_VERSION: 3.10 is set to "3.1", 010 to "8") are warnings:
printed as file:line:col: warning: ..., listed under "warnings" with
--json, and without effect on the exit code.

--schema-only checks structure only, as GitLab's editor schema does: no
includes, no extends or !reference resolution, no cross-job checks.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			dir, file, err := ff.locate()
			if err != nil {
				return err
			}
			var problems, warnings []*gitlabci.Error
			if schemaOnly {
				doc, err := gitlabci.ParseFile(filepath.Join(dir, file), file)
				if err != nil {
					problems = gitlabci.Errors(err)
				} else {
					problems = gitlabci.CheckSchema(doc)
				}
			} else if l, err := load(cmd.Context(), dir, file, nil, nil); err != nil {
				problems = gitlabci.Errors(err)
			} else {
				// Such a job fails every pipeline it is in, whatever the trigger.
				problems = plan.CheckVariables(l.pipeline)
				// Legal, so the exit code stays: values GitLab reads
				// otherwise than they are written (3.10 is "3.1").
				warnings = gitlabci.Warnings(l.doc)
			}
			if asJSON {
				out := struct {
					Valid    bool          `json:"valid"`
					Errors   []lintProblem `json:"errors"`
					Warnings []lintProblem `json:"warnings"`
				}{Valid: len(problems) == 0, Errors: lintProblems(problems), Warnings: lintProblems(warnings)}
				enc := json.NewEncoder(e.stdout)
				enc.SetIndent("", "  ")
				if err := enc.Encode(out); err != nil {
					return err
				}
			} else {
				for _, p := range problems {
					fmt.Fprintln(e.stdout, p.Error())
				}
				for _, w := range warnings {
					fmt.Fprintln(e.stdout, warningText(w))
				}
				if len(problems) == 0 {
					fmt.Fprintf(e.stdout, "%s is valid\n", file)
				}
			}
			if len(problems) > 0 {
				return silent(ExitInvalid)
			}
			return nil
		},
	}
	ff.register(cmd.Flags())
	cmd.Flags().BoolVar(&asJSON, "json", false, "print the result as JSON")
	cmd.Flags().BoolVar(&schemaOnly, "schema-only", false, "check structure only, like GitLab's editor schema")
	return cmd
}

func lintProblems(errs []*gitlabci.Error) []lintProblem {
	out := []lintProblem{}
	for _, p := range errs {
		out = append(out, lintProblem{File: p.Pos.File, Line: p.Pos.Line, Col: p.Pos.Col, Message: p.Msg, Hint: p.Hint})
	}
	return out
}

// warningText is a warning as a compiler writes one:
// file:line:col: warning: message (hint).
func warningText(w *gitlabci.Error) string {
	c := *w
	c.Msg = "warning: " + c.Msg
	return c.Error()
}
