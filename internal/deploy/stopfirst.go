package deploy

import (
	"bytes"
	"context"
	"fmt"
	"strings"

	"github.com/gantry-ci/gantry/internal/gantryfile"
)

// The roll command's reports on its stdout, one a line; compose's own
// output goes to stderr, so nothing else is there.
const (
	// rollImageMissing: the release's image is not on the host, so
	// nothing was stopped.
	rollImageMissing = "gantry-image-missing"
	// rollRestarted, then the names: `up` failed after the stop-first
	// services were stopped, and those were started again on the
	// serving release.
	rollRestarted = "gantry-restarted"
	// rollRestartFailed, then the names: starting them again failed too.
	rollRestartFailed = "gantry-restart-failed"
)

// roll returns the command line that switches services to the release
// of image (c has its variables): the stop-first ones are stopped and
// removed (by compose's labels, with the docker CLI: a compose run costs
// a second), then one `up -d` starts them all, as deploy.sh does; compose
// orders them by depends_on.
//
// A stop-first service is down from its stop until `up` starts it, so
// the stop only happens when it can lead somewhere: the image must be on
// the host (a pull lost, or a prune since, would otherwise leave `up`
// pulling from a registry it may not reach), and a container already
// running image is left alone (a rollback after back restarted it, or a
// redeploy). When `up` fails after the stop, the stopped services are
// started again at once on back's release (the serving one; nil: none),
// in the same round trip, rather than after the whole rollback.
func (c compose) roll(services []gantryfile.Service, image string, back *compose) string {
	var names, first []string
	for _, s := range services {
		names = append(names, s.Name)
		if s.Strategy == gantryfile.StopFirst {
			first = append(first, s.Name)
		}
	}
	up := c.cmd("up -d " + quoteAll(names))
	if len(first) == 0 {
		return up
	}
	var b strings.Builder
	img := shellQuote(image)
	fmt.Fprintf(&b, "docker image inspect %s >/dev/null 2>&1 || { echo %s; exit 1; }; set --; ", img, rollImageMissing)
	for _, name := range first {
		// The positional parameters collect what was stopped, quoted.
		fmt.Fprintf(&b, `ids=%s && if [ -n "$ids" ]; then ids=$(docker inspect --format '{{.Id}} {{.Config.Image}}' $ids | while read -r id img; do [ "$img" = %s ] || echo "$id"; done); fi && `+
			`if [ -n "$ids" ]; then set -- "$@" %s; docker stop $ids >/dev/null && docker rm $ids >/dev/null; fi && `,
			c.serviceIDs(name), img, shellQuote(name))
	}
	// compose's progress goes to stderr, keeping stdout for the reports.
	b.WriteString("{ " + up + " >&2; }; rc=$?")
	if back != nil {
		fmt.Fprintf(&b, `; if [ $rc -ne 0 ] && [ $# -gt 0 ]; then if { %s >&2; }; then echo %s "$@"; else echo %s "$@"; fi; fi`,
			back.cmd("up -d --no-deps \"$@\""), rollRestarted, rollRestartFailed)
	}
	b.WriteString("; exit $rc")
	return b.String()
}

// roll switches the services on the first n hosts to rel in turn,
// calling after(i), when set, once host i switched: a failure there stops
// the roll, so that a bad release stops at the first host it fails on and
// the hosts after it keep serving. back is the serving release, which a
// host whose `up` fails after stopping its stop-first services starts
// them on again (nil: none, as when rolling back). s.switched counts the
// hosts reached; a host refused for lack of the image is not.
func (s *session) roll(ctx context.Context, rel release, back *release, n int, after func(i int) error) error {
	for i := range n {
		reached := s.switched
		s.switched = max(s.switched, i+1)
		c := s.composeFor(i, rel)
		var bc *compose
		if back != nil && back.image != "" {
			b := s.composeFor(i, *back)
			bc = &b
		}
		var out bytes.Buffer
		if err := s.remotes[i].Run(ctx, c.roll(s.e.Services, rel.image, bc), nil, &out, nil); err != nil {
			missing, err := rollError(err, out.String(), rel, back)
			if missing {
				s.switched = reached
			}
			return onHost(s.hosts[i], err)
		}
		if after != nil {
			if err := after(i); err != nil {
				return err
			}
		}
	}
	return nil
}

// rollError explains a failed roll command from its reports: whether
// the image was missing (nothing changed on the host) and what became
// of the stop-first services.
func rollError(err error, out string, rel release, back *release) (missing bool, _ error) {
	for _, line := range strings.Split(out, "\n") {
		word, rest, _ := strings.Cut(strings.TrimSpace(line), " ")
		switch word {
		case rollImageMissing:
			// The exit status says nothing more than this.
			return true, fmt.Errorf("the release's image %s is not on the host (removed since the pull?): nothing was stopped; pull it there, or deploy again", rel.image)
		case rollRestarted:
			return false, fmt.Errorf("%w; %s started again on %s at once", err, rest, back.tag)
		case rollRestartFailed:
			return false, fmt.Errorf("%w; starting %s again on %s failed too", err, rest, back.tag)
		}
	}
	return false, err
}
