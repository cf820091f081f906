package testenv

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// fakePlugin writes a docker CLI plugin named compose that reports version.
func fakePlugin(t *testing.T, version string) string {
	t.Helper()
	dir := t.TempDir()
	if err := os.MkdirAll(filepath.Join(dir, "cli-plugins"), 0o755); err != nil {
		t.Fatal(err)
	}
	script := `#!/bin/sh
case "$1" in
docker-cli-plugin-metadata) echo '{"SchemaVersion":"0.1.0","Vendor":"test","Version":"` + version + `"}' ;;
*) echo '` + version + `' ;;
esac
`
	if err := os.WriteFile(filepath.Join(dir, "cli-plugins", "docker-compose"), []byte(script), 0o755); err != nil {
		t.Fatal(err)
	}
	return dir
}

func TestProbeComposeV2(t *testing.T) {
	Require(t, "docker")
	tests := []struct {
		name    string
		dir     func(t *testing.T) string
		wantErr string // "" when the probe passes
	}{
		{"v2", func(t *testing.T) string { return fakePlugin(t, "2.40.3") }, ""},
		{"v2 with a v", func(t *testing.T) string { return fakePlugin(t, "v2.40.3") }, ""},
		{"v1 in its place", func(t *testing.T) string { return fakePlugin(t, "1.29.2") }, "want 2.x"},
		{"not built", func(t *testing.T) string { return t.TempDir() }, "scripts/setup.sh"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Setenv(ComposeV2DirEnv, tt.dir(t))
			err := probeComposeV2()
			switch {
			case tt.wantErr == "" && err != nil:
				t.Fatalf("probe: %v", err)
			case tt.wantErr != "" && (err == nil || !strings.Contains(err.Error(), tt.wantErr)):
				t.Fatalf("probe: %v, want an error saying %q", err, tt.wantErr)
			}
		})
	}
}

func TestComposeV2DirDefault(t *testing.T) {
	t.Setenv(ComposeV2DirEnv, "")
	if got, want := ComposeV2Plugin(), DefaultComposeV2Dir+"/cli-plugins/docker-compose"; got != want {
		t.Errorf("ComposeV2Plugin() = %s, want %s", got, want)
	}
}
