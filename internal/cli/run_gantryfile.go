package cli

import (
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"

	"github.com/gantry-ci/gantry/internal/gantryfile"
	"github.com/gantry-ci/gantry/internal/pipeline"
)

// coverageGate reads gantry.yml in the project directory for gantry run's
// coverage gate. Without the file, or without a coverage: section, there
// is no gate (nil). A file that does not parse is an invalid run (exit 2),
// whichever section is wrong: the file is checked whole, as gantry deploy
// would read it, so that a mistake shows before the push rather than at
// deploy time.
func coverageGate(dir string) (*gantryfile.Coverage, error) {
	src, err := os.ReadFile(filepath.Join(dir, gantryfile.DefaultName))
	if errors.Is(err, fs.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, withCode(ExitInvalid, fmt.Errorf("read %s: %w", gantryfile.DefaultName, err))
	}
	// Errors name the file as it sits in the project: gantry.yml:12:5.
	f, err := gantryfile.Parse(gantryfile.DefaultName, src)
	if err != nil {
		return nil, withCode(ExitInvalid, err)
	}
	return f.Coverage, nil
}

// warnUnknownGateJobs tells on stderr about coverage: jobs: names that are
// no job of the pipeline: a typo there would quietly leave a job ungated.
func warnUnknownGateJobs(w io.Writer, g *gantryfile.Coverage, p *pipeline.Pipeline) {
	if g == nil || p == nil {
		return
	}
	for _, n := range g.Jobs {
		if p.Job(n.Name) == nil {
			fmt.Fprintf(w, "gantry: warning: %s: coverage: jobs: no job %q in the pipeline; the gate does not apply to it\n", n.Pos, n.Name)
		}
	}
}
