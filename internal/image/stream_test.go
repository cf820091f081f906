package image

import (
	"bytes"
	"errors"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

// pullStream is what the engine sends while pulling a two-layer image of
// which one layer is on the engine already (abridged: the real stream
// has a Downloading and an Extracting event per chunk).
const pullStream = `{"status":"Pulling from gantry-test/app","id":"1"}
{"status":"Already exists","progressDetail":{},"id":"aaa"}
{"status":"Pulling fs layer","progressDetail":{},"id":"bbb"}
{"status":"Waiting","progressDetail":{},"id":"bbb"}
{"status":"Downloading","progressDetail":{"current":1000,"total":2500000},"progress":"[>   ]","id":"bbb"}
{"status":"Downloading","progressDetail":{"current":2000000,"total":2500000},"progress":"[==> ]","id":"bbb"}
{"status":"Retrying in 2 seconds","progressDetail":{},"id":"bbb"}
{"status":"Retrying in 1 second","progressDetail":{},"id":"bbb"}
{"status":"Verifying Checksum","progressDetail":{},"id":"bbb"}
{"status":"Download complete","progressDetail":{},"id":"bbb"}
{"status":"Extracting","progressDetail":{"current":32768,"total":2500000},"id":"bbb"}
{"status":"Extracting","progressDetail":{"current":2500000,"total":2500000},"id":"bbb"}
{"status":"Pull complete","progressDetail":{},"id":"bbb"}
{"status":"Digest: sha256:0123"}
{"status":"Status: Downloaded newer image for 192.0.2.2:5000/gantry-test/app:1"}
`

func TestLayerPrinter(t *testing.T) {
	var out bytes.Buffer
	p := newLayerPrinter(&out)
	if err := readStream(strings.NewReader(pullStream), func(m *message) error { p.print(m); return nil }); err != nil {
		t.Fatal(err)
	}
	want := `Pulling from gantry-test/app
aaa: Already exists
bbb: Retrying in 2 seconds
bbb: Pull complete (2.5 MB)
Digest: sha256:0123
Status: Downloaded newer image for 192.0.2.2:5000/gantry-test/app:1
`
	if diff := cmp.Diff(want, out.String()); diff != "" {
		t.Errorf("progress (-want +got):\n%s", diff)
	}
}

func TestReadStreamError(t *testing.T) {
	stream := `{"status":"Pulling from app","id":"1"}
{"errorDetail":{"message":"unauthorized: authentication required"},"error":"unauthorized: authentication required"}
`
	err := readStream(strings.NewReader(stream), func(*message) error { return nil })
	var ee *engineError
	if !errors.As(err, &ee) || classify(err) != KindUnauthorized {
		t.Fatalf("err = %v, want an unauthorized engineError", err)
	}
}

func FuzzReadStream(f *testing.F) {
	f.Add(pullStream)
	f.Add(`{"error":"x"}`)
	f.Add(`{"status":"Downloading","id":"a","progressDetail":{"total":-1}}`)
	f.Fuzz(func(t *testing.T, s string) {
		p := newLayerPrinter(&bytes.Buffer{})
		_ = readStream(strings.NewReader(s), func(m *message) error { p.print(m); return nil }) // any error is fine; no panic
	})
}
