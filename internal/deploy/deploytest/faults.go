package deploytest

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"time"
)

// BreakImage damages ref on the second host's engine so that no
// container of it can start while the engine still lists the image, as
// a disk fault or a prune cut short leaves one: /app goes from the
// image's top layer. `docker image inspect` still finds it; `up` fails.
// Only an engine of the test's own may be damaged: the primary's is the
// machine's, shared with other tests.
func (h *Host) BreakImage(ref string) {
	h.r.t.Helper()
	if h.Engine == nil {
		h.r.t.Fatal("deploytest: BreakImage on the primary, whose engine is the machine's")
	}
	info, err := h.docker("info", "--format", "{{.Driver}} {{.DockerRootDir}}").Output()
	if err != nil {
		h.r.t.Fatalf("docker info on %s: %v", h.SSHD.Host(), err)
	}
	driver, root, _ := strings.Cut(strings.TrimSpace(string(info)), " ")
	out, err := h.docker("image", "inspect", "--format", "{{json .RootFS.Layers}}", ref).Output()
	if err != nil {
		h.r.t.Fatalf("docker image inspect %s on %s: %v", ref, h.SSHD.Host(), err)
	}
	var diffIDs []string
	if err := json.Unmarshal(out, &diffIDs); err != nil || len(diffIDs) == 0 {
		h.r.t.Fatalf("layers of %s: %q, %v", ref, out, err)
	}
	// The layer store names a layer by its chain ID: the digest of its
	// parent's chain ID, a space and its own diff ID.
	chain := diffIDs[0]
	for _, d := range diffIDs[1:] {
		sum := sha256.Sum256([]byte(chain + " " + d))
		chain = "sha256:" + hex.EncodeToString(sum[:])
	}
	cache, err := os.ReadFile(filepath.Join(root, "image", driver, "layerdb", "sha256", strings.TrimPrefix(chain, "sha256:"), "cache-id"))
	if err != nil {
		h.r.t.Fatalf("deploytest: the top layer of %s: %v", ref, err)
	}
	var dir string
	switch driver {
	case "overlay2", "fuse-overlayfs":
		dir = filepath.Join(root, driver, string(cache), "diff")
	case "vfs":
		dir = filepath.Join(root, "vfs", "dir", string(cache))
	default:
		h.r.t.Fatalf("deploytest: BreakImage knows no storage driver %q", driver)
	}
	if err := os.Remove(filepath.Join(dir, "app")); err != nil {
		h.r.t.Fatalf("deploytest: break %s: %v", ref, err)
	}
}

// ServiceEvent is something that happened to a container of one of the
// project's services.
type ServiceEvent struct {
	Action string // create, start, die, destroy...
	Time   time.Time
	Image  string // the container's image, as it was created
}

// ServiceEvents lists what happened to the containers of service (not
// one-off ones) on the host's engine since then, oldest first.
func (h *Host) ServiceEvents(service string, since time.Time) []ServiceEvent {
	h.r.t.Helper()
	out := h.events(since, `{{.TimeNano}} {{.Action}} {{index .Actor.Attributes "image"}}`,
		"label=com.docker.compose.service="+service, "label=com.docker.compose.oneoff=False")
	var evs []ServiceEvent
	for _, line := range strings.Split(strings.TrimSpace(out), "\n") {
		f := strings.Fields(line)
		if len(f) < 2 {
			continue
		}
		ns, err := strconv.ParseInt(f[0], 10, 64)
		if err != nil {
			h.r.t.Fatalf("docker events on %s: %q: %v", h.SSHD.Host(), line, err)
		}
		ev := ServiceEvent{Action: f[1], Time: time.Unix(0, ns)}
		if len(f) > 2 {
			ev.Image = f[2]
		}
		evs = append(evs, ev)
	}
	sort.SliceStable(evs, func(i, j int) bool { return evs[i].Time.Before(evs[j].Time) })
	return evs
}
