package image_test

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/gantry-ci/gantry/internal/image"
	"github.com/gantry-ci/gantry/internal/registrytest"
)

// TestRegistryErrors checks that each way a registry can fail gives an
// error of its kind, explained, without the password, within the retry
// budget.
func TestRegistryErrors(t *testing.T) {
	reg := registrytest.Start(t)
	ctx := context.Background()
	ref := reg.Host() + "/gardel/backend:abc"
	// The longest a failing call may take: every attempt plus the waits.
	budget := 5 * time.Second

	tests := []struct {
		name     string
		ref      string
		opts     []image.Option
		stop     bool
		want     error
		attempts int
		says     string
	}{
		{
			name: "wrong password",
			ref:  ref,
			opts: registryOpts(reg, registrytest.User, "not-the-password"),
			want: image.ErrUnauthorized, attempts: 1, says: "unauthorized",
		},
		{
			name: "not found",
			ref:  ref,
			opts: registryOpts(reg, registrytest.User, registrytest.Password),
			want: image.ErrNotFound, attempts: 1, says: "not found",
		},
		{
			name: "unknown host",
			ref:  "registry.gantry.invalid:5000/gardel/backend:abc",
			opts: registryOpts(reg, registrytest.User, registrytest.Password),
			want: image.ErrUnknownHost, attempts: 1, says: "unknown host registry.gantry.invalid",
		},
		{
			name: "untrusted certificate",
			ref:  ref,
			opts: []image.Option{image.WithCredentials(image.Credentials{Registry: reg.Host(), Username: registrytest.User, Password: registrytest.Password}), image.WithCertsDir(""), image.WithRetry(fastRetry)},
			want: image.ErrTLS, attempts: 1, says: "--ca-file",
		},
		{
			name: "registry stopped",
			ref:  ref,
			opts: registryOpts(reg, registrytest.User, registrytest.Password),
			stop: true,
			want: image.ErrUnavailable, attempts: 3, says: "after 3 attempts",
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if tt.stop {
				reg.Stop()
				t.Cleanup(reg.Restart)
			}
			start := time.Now()
			_, err := image.Resolve(ctx, tt.ref, tt.opts...)
			elapsed := time.Since(start)
			if !errors.Is(err, tt.want) {
				t.Fatalf("err = %v, want %v", err, tt.want)
			}
			var e *image.Error
			if !errors.As(err, &e) || e.Attempts != tt.attempts {
				t.Errorf("attempts = %+v, want %d", e, tt.attempts)
			}
			if elapsed > budget {
				t.Errorf("took %v, budget %v", elapsed, budget)
			}
			msg := err.Error()
			t.Log(msg)
			if !strings.Contains(msg, tt.says) || !strings.Contains(msg, "hint:") {
				t.Errorf("message %q lacks %q or a hint", msg, tt.says)
			}
			if strings.Contains(msg, registrytest.Password) || strings.Contains(msg, "not-the-password") {
				t.Errorf("message shows the password: %q", msg)
			}
		})
	}

}
