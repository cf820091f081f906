package image_test

import (
	"bytes"
	"context"
	"errors"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/docker/docker/api/types/filters"
	dimage "github.com/docker/docker/api/types/image"
	"github.com/docker/docker/client"

	"github.com/gantry-ci/gantry/internal/image"
	"github.com/gantry-ci/gantry/internal/registrytest"
	"github.com/gantry-ci/gantry/internal/testenv"
)

// fastRetry keeps failing tests short while still retrying.
var fastRetry = image.Retry{Attempts: 3, Backoff: 50 * time.Millisecond, MaxBackoff: 200 * time.Millisecond}

func registryOpts(reg *registrytest.Registry, user, pass string) []image.Option {
	return []image.Option{
		image.WithTransport(reg.Transport()),
		image.WithCredentials(image.Credentials{Registry: reg.Host(), Username: user, Password: pass}),
		image.WithRetry(fastRetry),
		image.WithCertsDir(""),
	}
}

func appContext(t *testing.T) string {
	t.Helper()
	root, err := testenv.ModuleRoot()
	if err != nil {
		t.Fatal(err)
	}
	return filepath.Join(root, "testdata", "image")
}

func engine(t *testing.T) *client.Client {
	t.Helper()
	c, err := client.NewClientWithOpts(client.FromEnv, client.WithAPIVersionNegotiation())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() })
	return c
}

// TestBuildPushPromote is the scenario: build the test app on the
// busybox base, push :<sha>, promote it to :prod, and check that prod has
// the very digest pushed, that promote uploaded no blob and built nothing,
// and that pushing again sends nothing.
func TestBuildPushPromote(t *testing.T) {
	testenv.Image(t, "busybox")
	reg := registrytest.Start(t)
	ctx := context.Background()
	docker := engine(t)
	opts := append(registryOpts(reg, registrytest.User, registrytest.Password), image.WithDockerClient(docker))

	const sha = "0123456789abcdef0123456789abcdef01234567"
	repo := reg.Host() + "/gardel/backend"
	tag := repo + ":" + sha
	t.Cleanup(func() { removeImages(docker, tag) })

	for _, b := range []image.Builder{image.BuilderClassic, image.BuilderBuildKit} {
		t.Run("build/"+string(b), func(t *testing.T) {
			var log bytes.Buffer
			built, err := image.Build(ctx, image.BuildSpec{
				Context:   appContext(t),
				Tags:      []string{tag},
				BuildArgs: map[string]string{"GREETING": "bonjour"},
				Revision:  sha,
				Source:    "https://gitlab.example.com/gardel/backend",
				Builder:   b,
				NoCache:   true,
			}, &log, opts...)
			if err != nil {
				t.Fatalf("build: %v\n%s", err, log.String())
			}
			if !strings.Contains(log.String(), "bonjour from the build") {
				t.Errorf("build log lacks the RUN step's output:\n%s", log.String())
			}
			info, err := docker.ImageInspect(ctx, tag)
			if err != nil {
				t.Fatal(err)
			}
			if info.ID != built.ID {
				t.Errorf("tag %s is %s, build said %s", tag, info.ID, built.ID)
			}
			for k, want := range map[string]string{
				image.LabelRevision: sha,
				image.LabelSource:   "https://gitlab.example.com/gardel/backend",
			} {
				if got := info.Config.Labels[k]; got != want {
					t.Errorf("label %s = %q, want %q", k, got, want)
				}
			}
			if _, err := time.Parse(time.RFC3339, info.Config.Labels[image.LabelCreated]); err != nil {
				t.Errorf("label %s: %v", image.LabelCreated, err)
			}
		})
	}

	before := reg.Counts()
	var log bytes.Buffer
	pushed, err := image.Push(ctx, []string{tag}, &log, opts...)
	if err != nil {
		t.Fatalf("push: %v\n%s", err, log.String())
	}
	afterPush := reg.Counts()
	if afterPush.BlobUploads <= before.BlobUploads || afterPush.ManifestPuts != before.ManifestPuts+1 {
		t.Errorf("push stored %+v (before %+v), want blobs and one manifest", afterPush, before)
	}
	digest := pushed[0].Digest
	if got, err := image.Resolve(ctx, tag, opts...); err != nil || got != digest {
		t.Fatalf("Resolve(%s) = %s, %v; want %s", tag, got, err, digest)
	}

	t.Run("push again is a no-op", func(t *testing.T) {
		var log bytes.Buffer
		again, err := image.Push(ctx, []string{tag}, &log, opts...)
		if err != nil {
			t.Fatal(err)
		}
		if !again[0].UpToDate || again[0].Digest != digest {
			t.Errorf("second push: %+v, want up to date at %s", again[0], digest)
		}
		if c := reg.Counts(); c != afterPush {
			t.Errorf("second push stored %+v, had %+v", c, afterPush)
		}
	})

	imagesBefore := imageIDs(t, docker, repo)
	var plog bytes.Buffer
	p, err := image.Promote(ctx, tag, []string{"prod", "latest"}, &plog, opts...)
	if err != nil {
		t.Fatalf("promote: %v", err)
	}
	if p.Digest != digest {
		t.Errorf("promote digest %s, pushed %s", p.Digest, digest)
	}
	for _, alias := range []string{"prod", "latest"} {
		if got, err := image.Resolve(ctx, repo+":"+alias, opts...); err != nil || got != digest {
			t.Errorf("Resolve(%s) = %s, %v; want %s", alias, got, err, digest)
		}
	}
	afterPromote := reg.Counts()
	if afterPromote.BlobUploads != afterPush.BlobUploads {
		t.Errorf("promote uploaded %d blobs", afterPromote.BlobUploads-afterPush.BlobUploads)
	}
	if afterPromote.ManifestPuts != afterPush.ManifestPuts+2 {
		t.Errorf("promote put %d manifests, want 2", afterPromote.ManifestPuts-afterPush.ManifestPuts)
	}
	if after := imageIDs(t, docker, repo); !equalSets(after, imagesBefore) {
		t.Errorf("promote changed the engine's images: %v -> %v", imagesBefore, after)
	}

	t.Run("promote again moves nothing", func(t *testing.T) {
		var log bytes.Buffer
		p, err := image.Promote(ctx, repo+"@"+digest, []string{"prod"}, &log, opts...)
		if err != nil {
			t.Fatal(err)
		}
		if len(p.Moved) != 0 || len(p.Unchanged) != 1 {
			t.Errorf("promote: %+v", p)
		}
		if c := reg.Counts(); c != afterPromote {
			t.Errorf("promote of an up-to-date tag stored %+v, had %+v", c, afterPromote)
		}
	})

	t.Run("promote to another repository mounts", func(t *testing.T) {
		var log bytes.Buffer
		if _, err := image.Promote(ctx, tag, []string{reg.Host() + "/gardel/worker:prod"}, &log, opts...); err != nil {
			t.Fatal(err)
		}
		if c := reg.Counts(); c.BlobUploads != afterPromote.BlobUploads {
			t.Errorf("cross-repository promote uploaded %d blobs", c.BlobUploads-afterPromote.BlobUploads)
		}
		if got, err := image.Resolve(ctx, reg.Host()+"/gardel/worker:prod", opts...); err != nil || got != digest {
			t.Errorf("worker:prod = %s, %v; want %s", got, err, digest)
		}
	})

	t.Run("inspect", func(t *testing.T) {
		info, err := image.Inspect(ctx, repo+":prod", opts...)
		if err != nil {
			t.Fatal(err)
		}
		if info.Digest != digest || info.Revision != sha || info.Size <= 0 || info.Created.IsZero() {
			t.Errorf("inspect: %+v", info)
		}
	})

	t.Run("wrong password", func(t *testing.T) {
		bad := append(registryOpts(reg, registrytest.User, "wrong"), image.WithDockerClient(docker))
		var log bytes.Buffer
		if _, err := image.Push(ctx, []string{tag}, &log, bad...); !errors.Is(err, image.ErrUnauthorized) {
			t.Errorf("push: %v, want ErrUnauthorized", err)
		}
		if _, err := image.Promote(ctx, tag, []string{"prod"}, &log, bad...); !errors.Is(err, image.ErrUnauthorized) {
			t.Errorf("promote: %v, want ErrUnauthorized", err)
		}
	})

	t.Run("promote refuses a missing source", func(t *testing.T) {
		var log bytes.Buffer
		_, err := image.Promote(ctx, repo+":nope", []string{"prod"}, &log, opts...)
		if !errors.Is(err, image.ErrNotFound) {
			t.Fatalf("err = %v, want ErrNotFound", err)
		}
		if got, _ := image.Resolve(ctx, repo+":prod", opts...); got != digest {
			t.Errorf("prod moved to %s", got)
		}
	})

	t.Run("registry stopped", func(t *testing.T) {
		reg.Stop()
		t.Cleanup(reg.Restart)
		start := time.Now()
		var log bytes.Buffer
		_, err := image.Push(ctx, []string{tag}, &log, opts...)
		if !errors.Is(err, image.ErrUnavailable) {
			t.Errorf("push: %v, want ErrUnavailable", err)
		}
		_, err = image.Promote(ctx, tag, []string{"prod"}, &log, opts...)
		if !errors.Is(err, image.ErrUnavailable) {
			t.Errorf("promote: %v, want ErrUnavailable", err)
		}
		if d := time.Since(start); d > 10*time.Second {
			t.Errorf("took %v", d)
		}
	})
}

func removeImages(c *client.Client, refs ...string) {
	for _, r := range refs {
		// Cleanup of what the test made; an image already gone is fine.
		_, _ = c.ImageRemove(context.Background(), r, dimage.RemoveOptions{})
	}
}

// imageIDs lists the engine's images of repo (other tests may build
// theirs meanwhile).
func imageIDs(t *testing.T, c *client.Client, repo string) map[string]bool {
	t.Helper()
	list, err := c.ImageList(context.Background(), dimage.ListOptions{Filters: filters.NewArgs(filters.Arg("reference", repo))})
	if err != nil {
		t.Fatal(err)
	}
	out := map[string]bool{}
	for _, s := range list {
		out[s.ID+" "+strings.Join(s.RepoTags, ",")] = true
	}
	return out
}

func equalSets(a, b map[string]bool) bool {
	if len(a) != len(b) {
		return false
	}
	for k := range a {
		if !b[k] {
			return false
		}
	}
	return true
}
