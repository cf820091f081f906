package registrytest

import (
	"context"
	"io"
	"testing"

	"github.com/docker/docker/api/types/image"
	"github.com/docker/docker/api/types/registry"
	"github.com/docker/docker/client"
	"github.com/docker/docker/pkg/jsonmessage"
)

// Push has the engine push its local image local to the registry as
// repo:tag (repo without host: "gantry-test/busybox"), logged in as User,
// then drops the registry tag from the engine so that using the returned
// reference makes the engine pull it. The engine reaches the registry
// over TLS without checking its certificate: dockerd treats 127.0.0.0/8
// as an insecure registry by default.
func (r *Registry) Push(t testing.TB, local, repoTag string) string {
	t.Helper()
	ctx := context.Background()
	cli, err := client.NewClientWithOpts(client.FromEnv, client.WithAPIVersionNegotiation())
	if err != nil {
		t.Fatal(err)
	}
	defer cli.Close()
	ref := r.addr + "/" + repoTag
	if err := cli.ImageTag(ctx, local, ref); err != nil {
		t.Fatalf("tag %s as %s: %v", local, ref, err)
	}
	auth, err := registry.EncodeAuthConfig(registry.AuthConfig{Username: User, Password: Password, ServerAddress: r.addr})
	if err != nil {
		t.Fatal(err)
	}
	rc, err := cli.ImagePush(ctx, ref, image.PushOptions{RegistryAuth: auth})
	if err != nil {
		t.Fatalf("push %s: %v", ref, err)
	}
	defer rc.Close()
	// The engine reports a failed push inside the stream.
	if err := jsonmessage.DisplayJSONMessagesStream(rc, io.Discard, 0, false, nil); err != nil {
		t.Fatalf("push %s: %v", ref, err)
	}
	Untag(t, ref)
	t.Cleanup(func() { Untag(t, ref) })
	return ref
}

// Untag removes ref from the engine, if it is there; the image stays
// under its other names.
func Untag(t testing.TB, ref string) {
	t.Helper()
	cli, err := client.NewClientWithOpts(client.FromEnv, client.WithAPIVersionNegotiation())
	if err != nil {
		t.Fatal(err)
	}
	defer cli.Close()
	// A ref that is not there is what the caller wants.
	_, _ = cli.ImageRemove(context.Background(), ref, image.RemoveOptions{})
}
