package docker

import (
	"context"
	"os"
	"os/exec"
	"strconv"
	"testing"

	"github.com/docker/docker/api/types/container"
	"github.com/docker/docker/api/types/network"

	"github.com/gantry-ci/gantry/internal/executor"
	"github.com/gantry-ci/gantry/internal/testenv"
)

// deadPID returns the pid of a process that has exited.
func deadPID(t *testing.T) int {
	t.Helper()
	cmd := exec.Command("true")
	if err := cmd.Run(); err != nil {
		t.Fatal(err)
	}
	return cmd.Process.Pid
}

func TestSweep(t *testing.T) {
	img := testenv.Image(t, "busybox")
	b := newBackend(t, Config{})
	host, _ := os.Hostname()
	job, _ := newJob(t, b, img)
	ctx := context.Background()
	tests := []struct {
		name  string
		owner string
		swept bool
	}{
		{"dead process of this host", host + "/" + strconv.Itoa(deadPID(t)), true},
		{"live process", host + "/1", false},
		{"this process", b.owner, false},
		{"other host", "elsewhere.example/" + strconv.Itoa(deadPID(t)), false},
		{"not ours", "garbage", false},
	}
	type made struct{ ctr, net string }
	objs := make([]made, len(tests))
	for i, tt := range tests {
		labels := b.labels(job, "job")
		labels[LabelOwner] = tt.owner
		c, err := b.cli.ContainerCreate(ctx, &container.Config{Image: img, Cmd: []string{"true"}, Labels: labels}, nil, nil, nil, "")
		if err != nil {
			t.Fatal(err)
		}
		n, err := b.cli.NetworkCreate(ctx, b.name(job, "sweep", strconv.Itoa(i)), network.CreateOptions{Labels: labels})
		if err != nil {
			t.Fatal(err)
		}
		objs[i] = made{c.ID, n.ID}
	}
	t.Cleanup(func() {
		for _, o := range objs {
			_ = b.remove(ctx, o.ctr)            // the kept ones; errors show in the leftover check
			_ = b.cli.NetworkRemove(ctx, o.net) // as above
		}
	})
	if _, err := b.Sweep(ctx); err != nil {
		t.Fatalf("Sweep: %v", err)
	}
	for i, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, cerr := b.cli.ContainerInspect(ctx, objs[i].ctr)
			_, nerr := b.cli.NetworkInspect(ctx, objs[i].net, network.InspectOptions{})
			if gone := cerr != nil && nerr != nil; gone != tt.swept {
				t.Errorf("swept = %v (container: %v, network: %v), want %v", gone, cerr, nerr, tt.swept)
			}
		})
	}
}

// TestSweepOnFirstPrepare shows that a new backend clears what a dead run
// left before its first job.
func TestSweepOnFirstPrepare(t *testing.T) {
	img := testenv.Image(t, "busybox")
	b := newBackend(t, Config{})
	job, _ := newJob(t, b, img)
	ctx := context.Background()
	host, _ := os.Hostname()
	labels := b.labels(job, "job")
	labels[LabelOwner] = host + "/" + strconv.Itoa(deadPID(t))
	if _, err := b.cli.ContainerCreate(ctx, &container.Config{Image: img, Cmd: []string{"true"}, Labels: labels}, nil, nil, nil, ""); err != nil {
		t.Fatal(err)
	}
	fresh := newBackend(t, Config{})
	s, err := fresh.Prepare(ctx, &executor.Job{ID: "other", Name: "other", Pipeline: "other", Workspace: t.TempDir(), Image: &executor.Image{Name: img}})
	if err != nil {
		t.Fatal(err)
	}
	if err := s.Cleanup(ctx); err != nil {
		t.Fatal(err)
	}
	// assertNoLeftovers, registered by newJob, checks that it is gone.
}
