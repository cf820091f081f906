package deploy

import (
	"context"
	"errors"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/gantry-ci/gantry/internal/gantryfile"
)

func TestJudge(t *testing.T) {
	tests := []struct {
		name   string
		check  gantryfile.HealthCheck
		status int
		body   string
		err    string
	}{
		{"status ok", gantryfile.HealthCheck{Status: 200}, 200, "", ""},
		{"status wrong", gantryfile.HealthCheck{Status: 200}, 503, "", "status 503, want 200"},
		{"body found", gantryfile.HealthCheck{Status: 200, Body: "OK"}, 200, "all OK here", ""},
		{"body missing", gantryfile.HealthCheck{Status: 200, Body: "OK"}, 200, "degraded", `body does not contain "OK"`},
		{"json string", gantryfile.HealthCheck{Status: 200, JSONField: "db.status", JSONValue: "up"}, 200, `{"db":{"status":"up"}}`, ""},
		{"json number", gantryfile.HealthCheck{Status: 200, JSONField: "workers", JSONValue: "3"}, 200, `{"workers":3}`, ""},
		{"json bool", gantryfile.HealthCheck{Status: 200, JSONField: "ready", JSONValue: "true"}, 200, `{"ready":true}`, ""},
		{"json differs", gantryfile.HealthCheck{Status: 200, JSONField: "version", JSONValue: "v2"}, 200, `{"version":"v1"}`, `json version is "v1", want "v2"`},
		{"json absent", gantryfile.HealthCheck{Status: 200, JSONField: "a.b", JSONValue: "x"}, 200, `{"a":{}}`, `no field "b"`},
		{"json not object", gantryfile.HealthCheck{Status: 200, JSONField: "a.b", JSONValue: "x"}, 200, `{"a":1}`, "not an object"},
		{"not json", gantryfile.HealthCheck{Status: 200, JSONField: "a", JSONValue: "x"}, 200, `<html>`, "body is not JSON"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := judge(tt.check, tt.status, []byte(tt.body))
			if tt.err == "" {
				if err != nil {
					t.Fatalf("judge: %v", err)
				}
				return
			}
			if err == nil || !strings.Contains(err.Error(), tt.err) {
				t.Fatalf("judge: %v, want %q", err, tt.err)
			}
		})
	}
}

// healthServer answers 503 for the first fail requests, then 200.
func healthServer(t *testing.T, fail int32) (*httptest.Server, *atomic.Int32) {
	var n atomic.Int32
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Host != "app.example.com" {
			http.Error(w, "wrong host "+r.Host, http.StatusBadRequest)
			return
		}
		if n.Add(1) <= fail {
			http.Error(w, "starting", http.StatusServiceUnavailable)
			return
		}
		w.Write([]byte(`{"status":"ok"}`))
	}))
	t.Cleanup(srv.Close)
	return srv, &n
}

func check(url string, deadline time.Duration) gantryfile.HealthCheck {
	return gantryfile.HealthCheck{URL: url, Status: 200, JSONField: "status", JSONValue: "ok", Host: "app.example.com",
		Interval: 10 * time.Millisecond, Timeout: time.Second, Deadline: deadline}
}

func TestWaitHealthy(t *testing.T) {
	t.Run("becomes healthy", func(t *testing.T) {
		srv, n := healthServer(t, 3)
		if _, err := waitHealthy(context.Background(), newTargets([]gantryfile.HealthCheck{check(srv.URL, 2*time.Second)}, nil, nil)); err != nil {
			t.Fatal(err)
		}
		if n.Load() != 4 {
			t.Errorf("%d requests, want 4", n.Load())
		}
	})
	t.Run("deadline passes", func(t *testing.T) {
		srv, _ := healthServer(t, 1000)
		start := time.Now()
		p, err := waitHealthy(context.Background(), newTargets([]gantryfile.HealthCheck{check(srv.URL, 200*time.Millisecond)}, nil, nil))
		if !errors.Is(err, ErrUnhealthy) || p.Status != 503 || !strings.Contains(p.Body, "starting") {
			t.Fatalf("err %v, last probe %+v", err, p)
		}
		if d := time.Since(start); d > time.Second {
			t.Errorf("took %s past a 200ms deadline", d)
		}
	})
	t.Run("nothing listening", func(t *testing.T) {
		srv, _ := healthServer(t, 0)
		srv.Close()
		p, err := waitHealthy(context.Background(), newTargets([]gantryfile.HealthCheck{check(srv.URL, 100*time.Millisecond)}, nil, nil))
		if !errors.Is(err, ErrUnhealthy) || p.Err == nil {
			t.Fatalf("err %v, probe %+v", err, p)
		}
	})
}

func TestObserve(t *testing.T) {
	tests := []struct {
		name    string
		fail    int32
		o       gantryfile.Observe
		wantErr bool
	}{
		{"all pass", 0, gantryfile.Observe{Samples: 3, Interval: time.Millisecond}, false},
		{"one failure tolerated", 1, gantryfile.Observe{Samples: 3, Interval: time.Millisecond, MaxFailures: 1}, false},
		{"one failure too many", 1, gantryfile.Observe{Samples: 3, Interval: time.Millisecond}, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			srv, _ := healthServer(t, tt.fail)
			_, err := observe(context.Background(), newTargets([]gantryfile.HealthCheck{check(srv.URL, time.Second)}, nil, nil), tt.o)
			if (err != nil) != tt.wantErr {
				t.Fatalf("observe: %v, want error %v", err, tt.wantErr)
			}
		})
	}
}
