package deploy

import (
	"bytes"
	"context"
	"crypto/tls"
	"encoding/json"
	"fmt"
	"net"
	"net/http"
	"net/smtp"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/gantry-ci/gantry/internal/gantryfile"
)

// Event is what a notification says about a release.
type Event struct {
	App      string        `json:"app"`
	Env      string        `json:"environment"`
	Action   string        `json:"action"`
	Result   Result        `json:"result"`
	Tag      string        `json:"sha"`
	Digest   string        `json:"digest"`
	Previous string        `json:"previous,omitempty"`
	Serving  string        `json:"serving,omitempty"`
	Who      string        `json:"who"`
	Reason   string        `json:"reason,omitempty"`
	Duration time.Duration `json:"duration_ns"`
}

// Summary is the one-line human form of e.
func (e Event) Summary() string {
	var s string
	switch e.Result {
	case Success:
		s = fmt.Sprintf("%s %s of %s to %s succeeded", e.App, e.Action, short(e.Tag), e.Env)
	case RolledBack:
		s = fmt.Sprintf("%s %s of %s to %s failed: rolled back to %s", e.App, e.Action, short(e.Tag), e.Env, short(e.Serving))
	case Degraded:
		s = fmt.Sprintf("%s %s of %s to %s failed and so did the rollback: %s is DEGRADED", e.App, e.Action, short(e.Tag), e.Env, e.Env)
	default:
		s = fmt.Sprintf("%s %s of %s to %s %s", e.App, e.Action, short(e.Tag), e.Env, e.Result)
	}
	if e.Reason != "" && e.Result != Success {
		s += " (" + e.Reason + ")"
	}
	return s + " by " + e.Who
}

// kind is the notify: on: name of e's result.
func (e Event) kind() string {
	switch e.Result {
	case Success:
		return "success"
	case RolledBack:
		return "rollback"
	}
	return "failure"
}

func short(sha string) string {
	if len(sha) > 12 && !strings.ContainsAny(sha, ".-_") {
		return sha[:12]
	}
	return sha
}

// notifier sends events to every destination of a gantryfile.Notify, retrying each
// and never failing the release: errors are only reported.
type notifier struct {
	cfg     gantryfile.Notify
	vars    func(string) string
	retries int
	backoff time.Duration
	client  *http.Client
}

func newNotifier(cfg gantryfile.Notify, expand func(string) string) *notifier {
	return &notifier{cfg: cfg, vars: expand, retries: DefaultNotifyRetries, backoff: 500 * time.Millisecond,
		client: &http.Client{Timeout: 5 * time.Second}}
}

// send delivers e everywhere in the background; the returned wait blocks
// until all deliveries ended or ctx is done, and returns their errors.
func (n *notifier) send(ctx context.Context, e Event) (wait func() []error) {
	on := n.cfg.On
	if len(on) == 0 {
		on = []string{"success", "failure", "rollback"}
	}
	if !slices.Contains(on, e.kind()) {
		return func() []error { return nil }
	}
	type job struct {
		name string
		do   func(context.Context) error
	}
	var jobs []job
	text := e.Summary()
	for _, u := range n.cfg.Slack {
		jobs = append(jobs, job{"slack", func(ctx context.Context) error {
			return n.postJSON(ctx, n.vars(u), map[string]string{"text": text})
		}})
	}
	for _, u := range n.cfg.Teams {
		jobs = append(jobs, job{"teams", func(ctx context.Context) error {
			return n.postJSON(ctx, n.vars(u), map[string]any{"@type": "MessageCard", "@context": "https://schema.org/extensions",
				"summary": text, "text": text, "themeColor": themeColor(e.Result)})
		}})
	}
	for _, u := range n.cfg.Webhook {
		jobs = append(jobs, job{"webhook", func(ctx context.Context) error {
			return n.postJSON(ctx, n.vars(u), struct {
				Event
				Text string `json:"text"`
			}{e, text})
		}})
	}
	if m := n.cfg.Email; m != nil {
		jobs = append(jobs, job{"email", func(ctx context.Context) error { return n.mail(ctx, m, e, text) }})
	}
	errs := make([]error, len(jobs))
	var wg sync.WaitGroup
	for i, j := range jobs {
		wg.Add(1)
		go func() {
			defer wg.Done()
			var err error
			for a := 0; a < n.retries; a++ {
				if a > 0 {
					select {
					case <-ctx.Done():
						errs[i] = fmt.Errorf("notify %s: %w (last: %v)", j.name, ctx.Err(), err)
						return
					case <-time.After(n.backoff << (a - 1)):
					}
				}
				if err = j.do(ctx); err == nil {
					return
				}
			}
			errs[i] = fmt.Errorf("notify %s: %d attempts: %w", j.name, n.retries, err)
		}()
	}
	return func() []error {
		done := make(chan struct{})
		go func() { wg.Wait(); close(done) }()
		select {
		case <-done:
		case <-ctx.Done():
			return []error{fmt.Errorf("notify: gave up waiting: %w", ctx.Err())}
		}
		var out []error
		for _, err := range errs {
			if err != nil {
				out = append(out, err)
			}
		}
		return out
	}
}

func themeColor(r Result) string {
	switch r {
	case Success:
		return "2EB886"
	case RolledBack:
		return "DAA038"
	}
	return "A30200"
}

func (n *notifier) postJSON(ctx context.Context, url string, v any) error {
	body, err := json.Marshal(v)
	if err != nil {
		return err
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, url, bytes.NewReader(body))
	if err != nil {
		return err
	}
	req.Header.Set("Content-Type", "application/json")
	resp, err := n.client.Do(req)
	if err != nil {
		return err
	}
	resp.Body.Close()
	if resp.StatusCode/100 != 2 {
		return fmt.Errorf("POST %s: %s", req.URL.Redacted(), resp.Status)
	}
	return nil
}

// mail sends e over SMTP. net/smtp has no context: the connection's
// deadline bounds it instead.
func (n *notifier) mail(ctx context.Context, m *gantryfile.Email, e Event, text string) error {
	addr := n.vars(m.Server)
	host, _, err := net.SplitHostPort(addr)
	if err != nil {
		return fmt.Errorf("smtp server %q: %w", addr, err)
	}
	deadline := time.Now().Add(10 * time.Second)
	if d, ok := ctx.Deadline(); ok && d.Before(deadline) {
		deadline = d
	}
	conn, err := (&net.Dialer{Deadline: deadline}).DialContext(ctx, "tcp", addr)
	if err != nil {
		return err
	}
	conn.SetDeadline(deadline)
	c, err := smtp.NewClient(conn, host)
	if err != nil {
		conn.Close()
		return err
	}
	defer c.Close()
	if ok, _ := c.Extension("STARTTLS"); ok {
		if err := c.StartTLS(&tls.Config{ServerName: host}); err != nil {
			return err
		}
	}
	if m.Username != "" {
		if err := c.Auth(smtp.PlainAuth("", n.vars(m.Username), n.vars(m.Password), host)); err != nil {
			return err
		}
	}
	from := n.vars(m.From)
	if err := c.Mail(from); err != nil {
		return err
	}
	var to []string
	for _, t := range m.To {
		to = append(to, n.vars(t))
		if err := c.Rcpt(n.vars(t)); err != nil {
			return err
		}
	}
	w, err := c.Data()
	if err != nil {
		return err
	}
	body, _ := json.MarshalIndent(e, "", "  ") // an Event always marshals
	fmt.Fprintf(w, "From: %s\r\nTo: %s\r\nSubject: [gantry] %s\r\nContent-Type: text/plain; charset=utf-8\r\n\r\n%s\r\n\r\n%s\r\n",
		from, strings.Join(to, ", "), strings.ReplaceAll(text, "\n", " "), text, body)
	if err := w.Close(); err != nil {
		return err
	}
	return c.Quit()
}
