package testenv

import (
	"os"
	"path/filepath"
	"testing"
)

func TestLookPath(t *testing.T) {
	dir := t.TempDir()
	tool := filepath.Join(dir, "gantry-test-tool")
	if err := os.WriteFile(tool, []byte("#!/bin/sh\n"), 0o755); err != nil {
		t.Fatal(err)
	}
	t.Setenv("PATH", dir)
	tests := []struct {
		name, program string
		found         bool
	}{
		{"on PATH", "gantry-test-tool", true},
		{"missing", "gantry-no-such-tool", false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p, err := LookPath(tt.program)
			if (err == nil) != tt.found {
				t.Errorf("LookPath(%q) = %q, %v; want found %v", tt.program, p, err, tt.found)
			}
		})
	}
	// Outside PATH, as sshd and ip are for a user whose PATH lacks the
	// sbin directories.
	if _, err := os.Stat("/usr/sbin"); err == nil {
		entries, _ := os.ReadDir("/usr/sbin")
		for _, e := range entries {
			if e.Type().IsRegular() {
				if _, err := LookPath(e.Name()); err != nil {
					t.Errorf("LookPath(%q) with /usr/sbin off PATH: %v", e.Name(), err)
				}
				break
			}
		}
	}
}
