package docker

import (
	"context"
	"errors"
	"fmt"
	"os"
	"strconv"
	"strings"
	"syscall"

	"github.com/docker/docker/api/types/container"
	"github.com/docker/docker/api/types/filters"
	"github.com/docker/docker/api/types/network"
)

// Sweep removes the containers (with their anonymous volumes) and networks
// that gantry processes of this host left behind when they died (a kill
// -9, a power cut). What belongs to a live process, this one included, or
// to another host sharing the engine, is left alone. It returns how many
// objects it removed.
func (b *Backend) Sweep(ctx context.Context) (int, error) {
	f := filters.NewArgs(filters.Arg("label", LabelOwner))
	ctrs, err := b.cli.ContainerList(ctx, container.ListOptions{All: true, Filters: f})
	if err != nil {
		return 0, fmt.Errorf("sweep: list containers: %w", err)
	}
	n := 0
	var errs []error
	for _, c := range ctrs {
		if !b.orphaned(c.Labels[LabelOwner]) {
			continue
		}
		if err := b.remove(ctx, c.ID); err != nil {
			errs = append(errs, err)
			continue
		}
		n++
	}
	nets, err := b.cli.NetworkList(ctx, network.ListOptions{Filters: f})
	if err != nil {
		return n, fmt.Errorf("sweep: list networks: %w", err)
	}
	for _, nw := range nets {
		if !b.orphaned(nw.Labels[LabelOwner]) {
			continue
		}
		if err := b.cli.NetworkRemove(ctx, nw.ID); err != nil && !isNotFound(err) {
			errs = append(errs, err)
			continue
		}
		n++
	}
	if err := errors.Join(errs...); err != nil {
		return n, fmt.Errorf("sweep: %w", err)
	}
	return n, nil
}

// orphaned reports whether owner ("host/pid") is a process of this host
// that no longer runs.
func (b *Backend) orphaned(owner string) bool {
	host, pidText, ok := strings.Cut(owner, "/")
	if !ok || owner == b.owner {
		return false
	}
	me, _ := os.Hostname() // on error nothing matches: nothing is swept
	if host == "" || host != me {
		return false
	}
	pid, err := strconv.Atoi(pidText)
	if err != nil || pid <= 0 {
		return false
	}
	// EPERM means the process exists under another user.
	err = syscall.Kill(pid, 0)
	return errors.Is(err, syscall.ESRCH)
}
