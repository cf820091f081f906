package deploy

import (
	"context"
	"crypto/tls"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"strings"
	"time"

	"github.com/gantry-ci/gantry/internal/gantryfile"
)

// maxHealthBody bounds how much of a response a check reads.
const maxHealthBody = 64 << 10

// Probe is the outcome of one request of a check.
type Probe struct {
	URL    string
	Via    string // "local" or the host it went through
	Status int
	Body   string
	Err    error
}

// OK reports whether the probe passed.
func (p Probe) OK() bool { return p.Err == nil }

func (p Probe) String() string {
	s := fmt.Sprintf("GET %s (via %s)", p.URL, p.Via)
	if p.Status != 0 {
		s += fmt.Sprintf(": %d", p.Status)
	}
	if p.Err != nil {
		s += ": " + p.Err.Error()
	}
	if b := strings.TrimSpace(p.Body); b != "" {
		if len(b) > 500 {
			b = b[:500] + "..."
		}
		s += "\n    body: " + b
	}
	return s
}

// target is one check bound to where it runs from.
type target struct {
	check  gantryfile.HealthCheck // fields already expanded
	via    string
	host   int // the index of the host it goes through; -1 for local
	client *http.Client
}

// newTargets binds each check to gantry's own network, or to each host's
// SSH connection for via: ssh checks.
func newTargets(checks []gantryfile.HealthCheck, remotes []Remote, hosts []gantryfile.Host) []target {
	var out []target
	for _, c := range checks {
		if !c.ViaSSH {
			out = append(out, target{check: c, via: "local", host: -1, client: httpClient(nil)})
			continue
		}
		for i, r := range remotes {
			out = append(out, target{check: c, via: hosts[i].String(), host: i, client: httpClient(r.DialContext)})
		}
	}
	return out
}

func httpClient(dial func(ctx context.Context, network, addr string) (net.Conn, error)) *http.Client {
	tr := &http.Transport{
		DialContext:       dial,
		DisableKeepAlives: true, // each probe sees a fresh connection, as a user would
		// Health endpoints often sit behind self-signed certificates on
		// the host's loopback; the check is about the app, not the PKI.
		TLSClientConfig: &tls.Config{InsecureSkipVerify: true},
	}
	if dial == nil {
		tr.DialContext = (&net.Dialer{}).DialContext
	}
	return &http.Client{Transport: tr, CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
}

// probe sends one request and judges it.
func (t target) probe(ctx context.Context) Probe {
	c := t.check
	p := Probe{URL: c.URL, Via: t.via}
	ctx, cancel := context.WithTimeout(ctx, c.Timeout)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, c.URL, nil)
	if err != nil {
		p.Err = err
		return p
	}
	if c.Host != "" {
		req.Host = c.Host
	}
	req.Header.Set("User-Agent", "gantry-health")
	resp, err := t.client.Do(req)
	if err != nil {
		p.Err = err
		return p
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(io.LimitReader(resp.Body, maxHealthBody))
	p.Status, p.Body = resp.StatusCode, string(b)
	if err != nil {
		p.Err = fmt.Errorf("read body: %w", err)
		return p
	}
	p.Err = judge(c, resp.StatusCode, b)
	return p
}

// judge checks a response against the check's expectations.
func judge(c gantryfile.HealthCheck, status int, body []byte) error {
	if status != c.Status {
		return fmt.Errorf("status %d, want %d", status, c.Status)
	}
	if c.Body != "" && !strings.Contains(string(body), c.Body) {
		return fmt.Errorf("body does not contain %q", c.Body)
	}
	if c.JSONField != "" {
		got, err := jsonField(body, c.JSONField)
		if err != nil {
			return err
		}
		if got != c.JSONValue {
			return fmt.Errorf("json %s is %q, want %q", c.JSONField, got, c.JSONValue)
		}
	}
	return nil
}

// jsonField returns the value at a dotted path of a JSON object, as text.
func jsonField(body []byte, path string) (string, error) {
	var v any
	if err := json.Unmarshal(body, &v); err != nil {
		return "", fmt.Errorf("body is not JSON: %w", err)
	}
	for _, k := range strings.Split(path, ".") {
		m, ok := v.(map[string]any)
		if !ok {
			return "", fmt.Errorf("json %s: not an object at %q", path, k)
		}
		if v, ok = m[k]; !ok {
			return "", fmt.Errorf("json %s: no field %q", path, k)
		}
	}
	switch x := v.(type) {
	case string:
		return x, nil
	case nil:
		return "null", nil
	default:
		b, err := json.Marshal(x)
		return string(b), err
	}
}

// through returns the targets that go through host i.
func through(targets []target, i int) []target {
	var out []target
	for _, t := range targets {
		if t.host == i {
			out = append(out, t)
		}
	}
	return out
}

// waitHealthy polls every target until each passed once, within its own
// deadline. It returns the last failing probe when one never passed.
func waitHealthy(ctx context.Context, targets []target) (Probe, error) {
	type res struct {
		p   Probe
		err error
	}
	ch := make(chan res, len(targets))
	for _, t := range targets {
		go func() {
			deadline := time.Now().Add(t.check.Deadline)
			for {
				p := t.probe(ctx)
				if p.OK() {
					ch <- res{p, nil}
					return
				}
				if time.Now().Add(t.check.Interval).After(deadline) {
					ch <- res{p, fmt.Errorf("%w: %s not healthy within %s: %v", ErrUnhealthy, t.check.URL, t.check.Deadline, p.Err)}
					return
				}
				select {
				case <-ctx.Done():
					ch <- res{p, ctx.Err()}
					return
				case <-time.After(t.check.Interval):
				}
			}
		}()
	}
	var first res
	for range targets {
		r := <-ch
		if r.err != nil && first.err == nil {
			first = r
		}
	}
	return first.p, first.err
}

// observe samples every target o.Samples times; a round fails when any
// target fails, and more than o.MaxFailures failed rounds fail the release.
func observe(ctx context.Context, targets []target, o gantryfile.Observe) (Probe, error) {
	failures := 0
	var last Probe
	for i := 0; i < o.Samples; i++ {
		if i > 0 {
			select {
			case <-ctx.Done():
				return last, ctx.Err()
			case <-time.After(o.Interval):
			}
		}
		for _, t := range targets {
			if p := t.probe(ctx); !p.OK() {
				last = p
				failures++
				break
			}
		}
		if failures > o.MaxFailures {
			return last, fmt.Errorf("%w: %d of %d observation rounds failed (limit %d): %v", ErrUnhealthy, failures, i+1, o.MaxFailures, last.Err)
		}
	}
	return last, nil
}
