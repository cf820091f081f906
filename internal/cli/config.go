package cli

import (
	"github.com/gantry-ci/gantry/internal/gitlabci"
	"github.com/spf13/cobra"
)

func init() { commands = append(commands, configCmd) }

func configCmd(e *env) *cobra.Command {
	var ff fileFlags
	cmd := &cobra.Command{
		Use:   "config",
		Short: "Print the fully merged pipeline configuration",
		Long: `Print the pipeline as gantry sees it: includes merged, extends applied,
!reference and anchors resolved, like GitLab's "full configuration" view.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			l, err := ff.load(cmd.Context(), nil)
			if err != nil {
				return err
			}
			return gitlabci.Render(e.stdout, l.doc)
		},
	}
	ff.register(cmd.Flags())
	return cmd
}
