// Command gantry runs GitLab CI pipelines locally and deploys their images.
package main

import (
	"context"
	"os"
	"os/signal"
	"syscall"

	"github.com/gantry-ci/gantry/internal/cli"
)

func main() {
	tuneGC()
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	code := cli.Main(ctx, os.Args[1:], os.Stdin, os.Stdout, os.Stderr)
	stop()
	os.Exit(code)
}
