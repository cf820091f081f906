package gitrepo

import (
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

func TestParseRemote(t *testing.T) {
	tests := []struct {
		raw               string
		host, path, ns    string
		name, server, web string
	}{
		{"git@gitlab.com:group/sub/proj.git", "gitlab.com", "group/sub/proj", "group/sub", "proj", "https://gitlab.com", "https://gitlab.com/group/sub/proj"},
		{"gitlab.example.com:proj", "gitlab.example.com", "proj", "", "proj", "https://gitlab.example.com", "https://gitlab.example.com/proj"},
		{"https://gitlab.com/group/proj.git", "gitlab.com", "group/proj", "group", "proj", "https://gitlab.com", "https://gitlab.com/group/proj"},
		{"https://oauth2:secret@git.example.com:8443/a/b/c/", "git.example.com", "a/b/c", "a/b", "c", "https://git.example.com:8443", "https://git.example.com:8443/a/b/c"},
		{"http://localhost:3000/team/app", "localhost", "team/app", "team", "app", "http://localhost:3000", "http://localhost:3000/team/app"},
		{"ssh://git@git.example.com:2222/team/app.git", "git.example.com", "team/app", "team", "app", "https://git.example.com", "https://git.example.com/team/app"},
		{"git@[::1]:team/app.git", "::1", "team/app", "team", "app", "https://[::1]", "https://[::1]/team/app"},
		{"/srv/git/my-app.git", "", "my-app", "", "my-app", "", ""},
		{"../my-app", "", "my-app", "", "my-app", "", ""},
		{"file:///srv/git/app.git/", "", "app", "", "app", "", ""},
		{`C:\repos\app`, "", "app", "", "app", "", ""},
	}
	for _, tt := range tests {
		t.Run(tt.raw, func(t *testing.T) {
			r, err := ParseRemote(tt.raw)
			if err != nil {
				t.Fatal(err)
			}
			got := []string{r.Host, r.Path, r.Namespace, r.Name, r.ServerURL(), r.WebURL()}
			want := []string{tt.host, tt.path, tt.ns, tt.name, tt.server, tt.web}
			if diff := cmp.Diff(want, got); diff != "" {
				t.Errorf("(-want +got):\n%s", diff)
			}
		})
	}
}

func TestParseRemoteErrors(t *testing.T) {
	for _, raw := range []string{"", "  ", "https://gitlab.com/", "https:///group/proj", "git@host:", "https://u:hunter2@host/%zz"} {
		t.Run(raw, func(t *testing.T) {
			_, err := ParseRemote(raw)
			if err == nil {
				t.Fatal("want an error")
			}
			if strings.Contains(err.Error(), "hunter2") {
				t.Errorf("error leaks the password: %v", err)
			}
		})
	}
}

func FuzzParseRemote(f *testing.F) {
	for _, s := range []string{"git@gitlab.com:group/sub/proj.git", "https://u:p@h:1/a/b.git", "ssh://h/a", "/local/path", "C:/x", "h:", "[::1]:a/b"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, raw string) {
		r, err := ParseRemote(raw)
		if err != nil {
			return
		}
		if r.Name == "" || strings.HasSuffix(r.Path, "/") {
			t.Fatalf("ParseRemote(%q) = %+v: empty name or trailing slash", raw, r)
		}
		want := r.Name
		if r.Namespace != "" {
			want = r.Namespace + "/" + r.Name
		}
		if r.Path != want {
			t.Fatalf("ParseRemote(%q): Path %q != Namespace/Name %q", raw, r.Path, want)
		}
	})
}
