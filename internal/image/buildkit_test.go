package image

import (
	"bytes"
	"encoding/base64"
	"encoding/binary"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
)

// A StatusResponse a 20.10 engine sent for `RUN echo hello-from-run`
// (recorded from its build stream): vertexes of "[internal] load remote
// build context" starting and completing.
const recordedTrace = "CosBCkdzaGEyNTY6YzNiMzJkNWU5YzIxYjM0OGQ2ZTQzZmIxMDIxYzcxNzEzYjZlMWFhNjJhMDhhNjg4OGI4N2MxNTc3ZTMxMjQ1YxokW2ludGVybmFsXSBsb2FkIHJlbW90ZSBidWlsZCBjb250ZXh0KgwIot6k2AYQ27K58AEyDAii3qTYBhCW4KvzAQ=="

// pb builds protobuf messages for the tests.
type pb []byte

func (b pb) bytes(num int, v []byte) pb {
	b = binary.AppendUvarint(b, uint64(num)<<3|2)
	b = binary.AppendUvarint(b, uint64(len(v)))
	return append(b, v...)
}

func (b pb) varint(num int, v uint64) pb {
	b = binary.AppendUvarint(b, uint64(num)<<3)
	return binary.AppendUvarint(b, v)
}

func ts(t time.Time) []byte {
	return pb{}.varint(1, uint64(t.Unix())).varint(2, uint64(t.Nanosecond()))
}

func TestParseStatusRecorded(t *testing.T) {
	raw, err := base64.StdEncoding.DecodeString(recordedTrace)
	if err != nil {
		t.Fatal(err)
	}
	s, err := parseStatus(raw)
	if err != nil {
		t.Fatal(err)
	}
	if len(s.vertexes) != 1 {
		t.Fatalf("vertexes: %+v", s.vertexes)
	}
	v := s.vertexes[0]
	if v.name != "[internal] load remote build context" || !strings.HasPrefix(v.digest, "sha256:") ||
		v.started.IsZero() || v.completed.Before(v.started) {
		t.Errorf("vertex: %+v", v)
	}
}

func TestTraceWriter(t *testing.T) {
	t0 := time.Unix(1700000000, 0)
	run := pb{}.bytes(1, []byte("sha256:run")).bytes(3, []byte("[2/2] RUN echo hi"))
	from := pb{}.bytes(1, []byte("sha256:from")).bytes(3, []byte("[1/2] FROM busybox")).varint(4, 1).bytes(5, ts(t0)).bytes(6, ts(t0))
	steps := []pb{
		pb{}.bytes(1, run).bytes(1, from), // run not started yet: not shown
		pb{}.bytes(1, run.bytes(5, ts(t0))),
		pb{}.bytes(3, pb{}.bytes(1, []byte("sha256:run")).varint(3, 1).bytes(4, []byte("hi\npart"))),
		pb{}.bytes(3, pb{}.bytes(1, []byte("sha256:run")).bytes(4, []byte("ial\n"))),
		pb{}.bytes(1, run.bytes(5, ts(t0)).bytes(6, ts(t0.Add(1500*time.Millisecond)))),
		pb{}.bytes(1, pb{}.bytes(1, []byte("sha256:bad")).bytes(3, []byte("[3/3] RUN false")).bytes(5, ts(t0)).bytes(7, []byte("exit code: 1"))),
	}
	var out bytes.Buffer
	tw := newTraceWriter(&out)
	for _, b := range steps {
		s, err := parseStatus(b)
		if err != nil {
			t.Fatal(err)
		}
		tw.write(s)
	}
	want := `#1 [1/2] FROM busybox
#1 CACHED
#2 [2/2] RUN echo hi
#2 hi
#2 partial
#2 DONE 1.5s
#3 [3/3] RUN false
#3 ERROR: exit code: 1
`
	if diff := cmp.Diff(want, out.String()); diff != "" {
		t.Errorf("trace (-want +got):\n%s", diff)
	}
}

func TestParseStatusMalformed(t *testing.T) {
	for name, b := range map[string][]byte{
		"truncated varint": {0x08},
		"length past end":  {0x0a, 0x05, 'a'},
		"group":            {0x0b},
		"short fixed64":    {0x09, 1, 2},
	} {
		t.Run(name, func(t *testing.T) {
			if _, err := parseStatus(b); err == nil {
				t.Error("no error")
			}
		})
	}
}

func FuzzParseStatus(f *testing.F) {
	raw, _ := base64.StdEncoding.DecodeString(recordedTrace)
	f.Add(raw)
	f.Add([]byte(pb{}.bytes(3, pb{}.bytes(1, []byte("x")).bytes(4, []byte("a\nb")))))
	f.Fuzz(func(t *testing.T, b []byte) {
		s, err := parseStatus(b)
		if err != nil {
			return
		}
		var out bytes.Buffer
		newTraceWriter(&out).write(s)
	})
}
