package cli

import (
	"github.com/gantry-ci/gantry/internal/gitlabci"
	"github.com/gantry-ci/gantry/internal/plan"
	"github.com/spf13/cobra"
)

func init() { commands = append(commands, configCmd) }

func configCmd(e *env) *cobra.Command {
	var (
		ff fileFlags
		tf triggerFlags
	)
	cmd := &cobra.Command{
		Use:   "config",
		Short: "Print the fully merged pipeline configuration",
		Long: `Print the pipeline as gantry sees it: includes merged, extends applied,
!reference and anchors resolved, like GitLab's "full configuration" view.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			dir, file, err := ff.locate()
			if err != nil {
				return err
			}
			// include:rules and include paths see the same variables as a run.
			t, _, err := tf.trigger(cmd.Context(), dir, file)
			if err != nil {
				return err
			}
			l, err := load(cmd.Context(), dir, file, triggerVars(t), plan.ModifiedPaths(t))
			if err != nil {
				return err
			}
			return gitlabci.Render(e.stdout, l.doc)
		},
	}
	ff.register(cmd.Flags())
	tf.register(cmd.Flags())
	return cmd
}
