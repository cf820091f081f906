package cli

import (
	"encoding/json"
	"fmt"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/gantry-ci/gantry/internal/deploy"
	"github.com/spf13/cobra"
)

func releasesCmd(e *env) *cobra.Command {
	var (
		df     deployFlags
		asJSON bool
		limit  int
	)
	cmd := &cobra.Command{
		Use:   "releases ENV",
		Short: "Show an environment's release history, newest first",
		Long: `Show the release log kept on the environment's primary host: every
deploy and rollback with its sha, digest, the release it replaced, who ran
it, when, how long it took, how it ended and why. The serving release is
marked with *.`,
		Example: `  gantry releases production
  gantry releases staging -n 5 --json`,
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			d, err := df.deployer(e, asJSON)
			if err != nil {
				return err
			}
			recs, cur, err := d.Releases(cmd.Context(), args[0])
			if err != nil {
				return withCode(ExitFailed, err)
			}
			// Newest first, as a history is read.
			for i, j := 0, len(recs)-1; i < j; i, j = i+1, j-1 {
				recs[i], recs[j] = recs[j], recs[i]
			}
			if limit > 0 && len(recs) > limit {
				recs = recs[:limit]
			}
			if asJSON {
				enc := json.NewEncoder(e.stdout)
				enc.SetIndent("", "  ")
				return enc.Encode(struct {
					Current  *deploy.Current `json:"current"`
					Releases []deploy.Record `json:"releases"`
				}{cur, append([]deploy.Record{}, recs...)})
			}
			if len(recs) == 0 {
				fmt.Fprintf(e.stdout, "no releases of %s yet\n", args[0])
				return nil
			}
			if last := recs[0]; last.Result == deploy.Degraded {
				fmt.Fprintf(e.stdout, "!!! %s is DEGRADED since %s: %s of %s failed and could not be rolled back: %s\n\n",
					args[0], last.End.Local().Format("2006-01-02 15:04:05"), last.Action, shortSHA(last.Tag), oneLine(last.Reason, 200))
			}
			tw := tabwriter.NewWriter(e.stdout, 0, 4, 2, ' ', 0)
			fmt.Fprintln(tw, "\tSTARTED\tACTION\tSHA\tRESULT\tPREVIOUS\tWHO\tTOOK\tREASON")
			for _, r := range recs {
				mark := ""
				if cur != nil && r.Result == deploy.Success && r.Digest == cur.Digest {
					mark, cur = "*", nil // only the newest matching record
				}
				fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\n", mark, r.Start.Local().Format("2006-01-02 15:04:05"), r.Action,
					shortSHA(r.Tag), r.Result, shortSHA(r.Previous), r.Who, r.End.Sub(r.Start).Round(100*time.Millisecond), oneLine(r.Reason, 60))
			}
			return tw.Flush()
		},
	}
	df.register(cmd.Flags())
	cmd.Flags().BoolVar(&asJSON, "json", false, "print the log and the serving release as JSON")
	cmd.Flags().IntVarP(&limit, "number", "n", 0, "show only the last `N` releases")
	return cmd
}

func shortSHA(s string) string {
	if len(s) == 40 && strings.Trim(s, "0123456789abcdef") == "" {
		return s[:12]
	}
	if s == "" {
		return "-"
	}
	return s
}

func oneLine(s string, n int) string {
	s = strings.Join(strings.Fields(s), " ")
	if len(s) > n {
		return s[:n-3] + "..."
	}
	return s
}

func lockCmd(e *env) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "lock status|release ENV",
		Short: "Show or break an environment's deploy lock",
		Long: `A deploy holds its environment's lock on the primary host from the
start to the end, and releases it on success, failure and SIGINT/SIGTERM.
A deploy killed hard (SIGKILL, a lost machine) leaves it behind: "gantry
lock status" shows who holds it since when, "gantry lock release" breaks it.`,
	}
	var df deployFlags
	status := &cobra.Command{
		Use:   "status ENV",
		Short: "Show who holds an environment's lock",
		Args:  cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			d, err := df.deployer(e, false)
			if err != nil {
				return err
			}
			l, err := d.LockStatus(cmd.Context(), args[0])
			if err != nil {
				return withCode(ExitFailed, err)
			}
			if l == nil {
				fmt.Fprintf(e.stdout, "%s is not locked\n", args[0])
				return nil
			}
			fmt.Fprintf(e.stdout, "%s is locked by %s since %s (%s ago): %s of %s, pid %d on %s", args[0], l.Who,
				l.Since.Local().Format("2006-01-02 15:04:05"), time.Since(l.Since).Round(time.Second), l.Action, l.Tag, l.PID, l.Machine)
			if l.Reason != "" {
				fmt.Fprintf(e.stdout, ": %s", l.Reason)
			}
			fmt.Fprintln(e.stdout)
			return nil
		},
	}
	release := &cobra.Command{
		Use:   "release ENV",
		Short: "Break an environment's lock (a deploy that died)",
		Args:  cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			d, err := df.deployer(e, false)
			if err != nil {
				return err
			}
			l, err := d.ForceUnlock(cmd.Context(), args[0])
			if err != nil {
				return withCode(ExitFailed, err)
			}
			if l == nil {
				fmt.Fprintf(e.stdout, "%s was not locked\n", args[0])
				return nil
			}
			fmt.Fprintf(e.stdout, "released %s's lock held by %s since %s (%s of %s)\n", args[0], l.Who, l.Since.Local().Format("2006-01-02 15:04:05"), l.Action, l.Tag)
			return nil
		},
	}
	df.register(cmd.PersistentFlags())
	cmd.AddCommand(status, release)
	return cmd
}
