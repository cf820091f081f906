package gitrepo

import "testing"

func TestApplyDelta(t *testing.T) {
	base := []byte("0123456789abcdef")
	tests := []struct {
		name  string
		delta []byte
		want  string
		bad   bool
	}{
		// sizes 16 -> 9: copy 4 bytes from offset 2, insert "XYZ", copy 2 from 14.
		{"copy insert copy", []byte{16, 9, 0x91, 2, 4, 3, 'X', 'Y', 'Z', 0x91, 14, 2}, "2345XYZef", false},
		{"whole base", []byte{16, 16, 0x90, 16}, "0123456789abcdef", false},
		{"wrong base size", []byte{15, 1, 1, 'x'}, "", true},
		{"copy past the base", []byte{16, 4, 0x91, 14, 4}, "", true},
		{"result shorter than said", []byte{16, 5, 1, 'x'}, "", true},
		{"reserved op", []byte{16, 1, 0}, "", true},
		{"insert past the delta", []byte{16, 3, 3, 'x'}, "", true},
		{"truncated size", []byte{0x80}, "", true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := applyDelta(base, tt.delta)
			if (err != nil) != tt.bad {
				t.Fatalf("err = %v, want error %v", err, tt.bad)
			}
			if string(got) != tt.want {
				t.Errorf("got %q, want %q", got, tt.want)
			}
		})
	}
}

func FuzzApplyDelta(f *testing.F) {
	f.Add([]byte("0123456789abcdef"), []byte{16, 9, 0x91, 2, 4, 3, 'X', 'Y', 'Z', 0x91, 14, 2})
	f.Add([]byte(""), []byte{0, 1, 1, 'x'})
	f.Fuzz(func(t *testing.T, base, delta []byte) {
		out, err := applyDelta(base, delta)
		if err != nil {
			return
		}
		_, rest, _ := deltaSize(delta)
		want, _, _ := deltaSize(rest)
		if uint64(len(out)) != want {
			t.Fatalf("result of %d bytes, delta says %d", len(out), want)
		}
	})
}
