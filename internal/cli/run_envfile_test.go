package cli

import (
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

func TestParseEnvFile(t *testing.T) {
	tests := []struct {
		name, in string
		want     []envVar
		wantErr  string
	}{
		{name: "plain", in: "A=1\n\n# c\nB = two words # kept\n",
			want: []envVar{{name: "A", value: "1"}, {name: "B", value: "two words # kept"}}},
		{name: "modifiers", in: "masked TOKEN=s3\nmasked file KEY='a $b'\nexport C=\"x\\ny\"\nfile masked D=",
			want: []envVar{{name: "TOKEN", value: "s3", masked: true}, {name: "KEY", value: "a $b", masked: true, file: true},
				{name: "C", value: "x\ny"}, {name: "D", masked: true, file: true}}},
		{name: "value with =", in: "URL=a=b", want: []envVar{{name: "URL", value: "a=b"}}},
		{name: "no equals", in: "A=1\njust words\n", wantErr: "vars:2:1:"},
		{name: "bad name", in: "1A=x", wantErr: "vars:1:1:"},
		{name: "unterminated", in: `A="open`, wantErr: "vars:1:3: unterminated"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := parseEnvFile(strings.NewReader(tt.in), "vars")
			if tt.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
					t.Fatalf("error %v, want %q", err, tt.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(tt.want, got, cmp.AllowUnexported(envVar{})); diff != "" {
				t.Errorf("(-want +got):\n%s", diff)
			}
		})
	}
}

func FuzzParseEnvFile(f *testing.F) {
	for _, s := range []string{"A=1", "masked file K='v'", "export X=\"a\\nb\"", "# c\n\nB=", "masked", "=x", "A=\"\\"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, in string) {
		vars, err := parseEnvFile(strings.NewReader(in), "f")
		if err != nil {
			return
		}
		for _, v := range vars {
			if v.name == "" || strings.ContainsAny(v.name, "= \n") {
				t.Fatalf("bad name %q from %q", v.name, in)
			}
		}
	})
}
