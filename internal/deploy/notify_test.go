package deploy

import (
	"context"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/gantry-ci/gantry/internal/gantryfile"
)

func TestNotifyRetriesAndFormats(t *testing.T) {
	var (
		mu    sync.Mutex
		got   = map[string]map[string]any{}
		flaky atomic.Int32
	)
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		// The webhook fails twice before accepting: retries must carry it.
		if r.URL.Path == "/hook" && flaky.Add(1) <= 2 {
			http.Error(w, "busy", http.StatusServiceUnavailable)
			return
		}
		var v map[string]any
		if err := json.NewDecoder(r.Body).Decode(&v); err != nil {
			http.Error(w, err.Error(), http.StatusBadRequest)
			return
		}
		mu.Lock()
		got[r.URL.Path] = v
		mu.Unlock()
	}))
	defer srv.Close()
	n := newNotifier(gantryfile.Notify{Slack: []string{srv.URL + "/slack"}, Teams: []string{"$BASE/teams"}, Webhook: []string{srv.URL + "/hook"}},
		func(s string) string { return strings.ReplaceAll(s, "$BASE", srv.URL) })
	n.backoff = time.Millisecond
	ev := Event{App: "gardel", Env: "production", Action: "deploy", Result: RolledBack, Tag: "0123456789abcdef0123", Serving: "v2", Who: "ana", Reason: "release is unhealthy"}
	if errs := n.send(context.Background(), ev)(); len(errs) != 0 {
		t.Fatalf("errors: %v", errs)
	}
	want := "gardel deploy of 0123456789ab to production failed: rolled back to v2 (release is unhealthy) by ana"
	if got["/slack"]["text"] != want {
		t.Errorf("slack text = %q, want %q", got["/slack"]["text"], want)
	}
	if got["/teams"]["@type"] != "MessageCard" || got["/teams"]["text"] != want {
		t.Errorf("teams card = %v", got["/teams"])
	}
	if h := got["/hook"]; h["result"] != "rolled_back" || h["sha"] != ev.Tag || h["environment"] != "production" || h["text"] != want {
		t.Errorf("webhook = %v", h)
	}
	if flaky.Load() != 3 {
		t.Errorf("webhook tried %d times, want 3", flaky.Load())
	}
}

func TestNotifyNeverBlocks(t *testing.T) {
	hang := make(chan struct{})
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { <-hang }))
	defer srv.Close()
	defer close(hang)
	n := newNotifier(gantryfile.Notify{Webhook: []string{srv.URL}}, func(s string) string { return s })
	ctx, cancel := context.WithTimeout(context.Background(), 200*time.Millisecond)
	defer cancel()
	start := time.Now()
	errs := n.send(ctx, Event{Result: Failed})()
	if len(errs) == 0 {
		t.Error("no error from a receiver that never answers")
	}
	if d := time.Since(start); d > 2*time.Second {
		t.Errorf("waited %s for a hung receiver", d)
	}
}

func TestNotifyOn(t *testing.T) {
	var calls atomic.Int32
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { calls.Add(1) }))
	defer srv.Close()
	n := newNotifier(gantryfile.Notify{Webhook: []string{srv.URL}, On: []string{"failure", "rollback"}}, func(s string) string { return s })
	n.send(context.Background(), Event{Result: Success})()
	n.send(context.Background(), Event{Result: Degraded})()
	if calls.Load() != 1 {
		t.Errorf("%d notifications, want 1 (the success is filtered out)", calls.Load())
	}
}
