package cli

import (
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strings"
	"text/tabwriter"

	"github.com/gantry-ci/gantry/internal/plan"
	"github.com/spf13/cobra"
)

func init() { commands = append(commands, listCmd) }

// listedJob is one job of `gantry list --json`.
type listedJob struct {
	Name         string   `json:"name"`
	Stage        string   `json:"stage"`
	When         string   `json:"when"`
	AllowFailure bool     `json:"allow_failure"`
	Needs        []string `json:"needs"`
	// ImplicitNeeds is true when needs are the earlier stages' jobs (the
	// job has no needs: of its own).
	ImplicitNeeds bool `json:"implicit_needs"`
	// Manual is true for a manual job played with --manual.
	Played bool `json:"played,omitempty"`
	// Description is gitlab-ci-local's @Description decorator.
	Description string `json:"description,omitempty"`
}

func listCmd(e *env) *cobra.Command {
	var (
		ff     fileFlags
		tf     triggerFlags
		sel    plan.Selection
		manual []string
		asJSON bool
	)
	cmd := &cobra.Command{
		Use:   "list",
		Short: "List the jobs a pipeline would have for a ref and source",
		Long: `List the jobs of the pipeline that a push (or a merge request, a tag, a
schedule...) of the current commit would create: workflow:rules, rules,
only/except, parallel and matrix evaluated, with each job's stage, when,
allow_failure and needs.`,
		Example: `  gantry list
  gantry list --ref main --source merge_request_event
  gantry list --tag v1.2.0 --variable DEPLOY=1 --json
  gantry list --job test --needs`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			dir, file, err := ff.locate()
			if err != nil {
				return err
			}
			pl, err := tf.plan(cmd.Context(), dir, file)
			if errors.Is(err, plan.ErrNoPipeline) {
				// "No jobs" is an answer, not a failure of list.
				fmt.Fprintf(e.stderr, "gantry: %v\n", err)
				if asJSON {
					return json.NewEncoder(e.stdout).Encode(struct {
						Jobs   []listedJob `json:"jobs"`
						Reason string      `json:"no_pipeline"`
					}{[]listedJob{}, err.Error()})
				}
				return nil
			}
			if err != nil {
				return err
			}
			p, err := plan.Select(pl.plan, sel)
			if err != nil {
				return withCode(ExitInvalid, err)
			}
			played := map[string]bool{}
			for _, m := range manual {
				if !hasJob(p, m) {
					return withCode(ExitInvalid, fmt.Errorf("--manual %s: no such job in this pipeline", m))
				}
				played[m] = true
			}
			jobs := make([]listedJob, 0, len(p.Jobs))
			for _, j := range p.Jobs {
				lj := listedJob{
					Name: j.Name, Stage: j.Stage, When: string(j.When),
					AllowFailure: j.AllowFailure.Allowed, Needs: []string{}, ImplicitNeeds: j.Implicit,
					Played: played[j.Name] || played[j.Base],
				}
				if j.Spec != nil {
					lj.Description = j.Spec.Decorators.Description
				}
				for _, n := range j.Needs {
					lj.Needs = append(lj.Needs, n.Job)
				}
				jobs = append(jobs, lj)
			}
			if asJSON {
				enc := json.NewEncoder(e.stdout)
				enc.SetIndent("", "  ")
				return enc.Encode(struct {
					Name string      `json:"name,omitempty"`
					Jobs []listedJob `json:"jobs"`
				}{p.Name, jobs})
			}
			return printJobs(e, p.Name, jobs)
		},
	}
	ff.register(cmd.Flags())
	tf.register(cmd.Flags())
	cmd.Flags().StringArrayVar(&sel.Jobs, "job", nil, "list only job `NAME` (repeatable)")
	cmd.Flags().BoolVar(&sel.Needs, "needs", false, "with --job, also the jobs it needs, transitively")
	cmd.Flags().StringArrayVar(&sel.Stages, "stage", nil, "list only the jobs of stage `NAME` (repeatable)")
	cmd.Flags().BoolVar(&sel.OnlyNeeds, "only-needs", false, "with --job, only the jobs it needs")
	cmd.Flags().StringArrayVar(&manual, "manual", nil, "mark manual job `NAME` as played (repeatable)")
	cmd.Flags().BoolVar(&asJSON, "json", false, "print JSON")
	return cmd
}

// hasJob reports whether p has a job, or parallel/matrix jobs, called name.
func hasJob(p *plan.Plan, name string) bool {
	for _, j := range p.Jobs {
		if j.Name == name || j.Base == name {
			return true
		}
	}
	return false
}

func printJobs(e *env, name string, jobs []listedJob) error {
	if name != "" {
		fmt.Fprintf(e.stdout, "pipeline %q\n", name)
	}
	tw := tabwriter.NewWriter(e.stdout, 0, 4, 2, ' ', 0)
	// Descriptions (gitlab-ci-local's @Description) get a column of
	// their own when a job has one.
	described := slices.ContainsFunc(jobs, func(j listedJob) bool { return j.Description != "" })
	header := "JOB\tSTAGE\tWHEN\tALLOW FAILURE\tNEEDS"
	if described {
		header += "\tDESCRIPTION"
	}
	fmt.Fprintln(tw, header)
	for _, j := range jobs {
		needs := "(stages)"
		if !j.ImplicitNeeds {
			needs = "[" + strings.Join(j.Needs, ", ") + "]"
		}
		when := j.When
		if j.Played {
			when += " (played)"
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\t%t\t%s", j.Name, j.Stage, when, j.AllowFailure, needs)
		if described {
			fmt.Fprintf(tw, "\t%s", j.Description)
		}
		fmt.Fprintln(tw)
	}
	return tw.Flush()
}
