package docker

import (
	"context"
	"os/exec"
	"strconv"
	"sync"
	"testing"

	"github.com/gantry-ci/gantry/internal/executor"
	"github.com/gantry-ci/gantry/internal/testenv"
)

// The docker executor's target: 10 trivial container jobs within 1.5x of
// `docker run --rm <image> true` for the same jobs with the same
// parallelism. Compare BenchmarkTenJobs with BenchmarkTenDockerRun.
const (
	benchJobs        = 10
	benchParallelism = 2
)

// tenAtATime runs benchJobs calls of f, benchParallelism at once.
func tenAtATime(b *testing.B, f func(i int) error) {
	sem := make(chan struct{}, benchParallelism)
	var wg sync.WaitGroup
	errs := make([]error, benchJobs)
	for i := range benchJobs {
		wg.Add(1)
		sem <- struct{}{}
		go func() {
			defer wg.Done()
			defer func() { <-sem }()
			errs[i] = f(i)
		}()
	}
	wg.Wait()
	for _, err := range errs {
		if err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkTenJobs(b *testing.B) {
	img := testenv.Image(b, "busybox")
	be, err := New(Config{})
	if err != nil {
		b.Fatal(err)
	}
	defer be.Close()
	ctx := context.Background()
	ws := b.TempDir()
	st := &executor.Step{Name: executor.StepScript, Script: "true\n"}
	round := 0
	for b.Loop() {
		round++
		tenAtATime(b, func(i int) error {
			job := &executor.Job{ID: "bench-" + strconv.Itoa(round) + "-" + strconv.Itoa(i), Name: "bench", Pipeline: "bench",
				Workspace: ws, Image: &executor.Image{Name: img}}
			s, err := be.Prepare(ctx, job)
			if err != nil {
				return err
			}
			defer s.Cleanup(ctx)
			_, err = s.Run(ctx, st, nopWriter{})
			return err
		})
	}
}

func BenchmarkTenDockerRun(b *testing.B) {
	img := testenv.Image(b, "busybox")
	for b.Loop() {
		tenAtATime(b, func(int) error {
			return exec.Command("docker", "run", "--rm", img, "true").Run()
		})
	}
}

type nopWriter struct{}

func (nopWriter) Write(p []byte) (int, error) { return len(p), nil }
