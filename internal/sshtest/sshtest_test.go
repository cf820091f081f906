package sshtest

import (
	"bytes"
	"testing"

	"golang.org/x/crypto/ssh"
	"golang.org/x/crypto/ssh/knownhosts"
)

// run runs command on s as its user, with its key, and returns stdout.
func run(t *testing.T, s *Server, command string) string {
	t.Helper()
	c := s.Dial(t)
	defer c.Close()
	sess, err := c.NewSession()
	if err != nil {
		t.Fatal(err)
	}
	defer sess.Close()
	var out bytes.Buffer
	sess.Stdout = &out
	if err := sess.Run(command); err != nil {
		t.Fatal(err)
	}
	return out.String()
}

func TestStartRunsCommandsWithTheGeneratedKeys(t *testing.T) {
	s := Start(t)
	if got := run(t, s, "echo hello"); got != "hello\n" {
		t.Errorf("output = %q, want hello", got)
	}
}

func TestWithEnvSetsTheSessionsEnvironment(t *testing.T) {
	tests := []struct {
		name string
		opts []Option
		want string
	}{
		{"none", nil, "[][]"},
		{"one", []Option{WithEnv("GANTRY_SSHTEST", "/srv/docker config")}, "[/srv/docker config][]"},
		{"first wins", []Option{WithEnv("GANTRY_SSHTEST", "a"), WithEnv("GANTRY_SSHTEST", "b")}, "[a][]"},
		// sshd reads only its first SetEnv line.
		{"two", []Option{WithEnv("GANTRY_SSHTEST", "a"), WithEnv("GANTRY_SSHTEST2", "b")}, "[a][b]"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := Start(t, tt.opts...)
			if got := run(t, s, `printf '[%s][%s]' "$GANTRY_SSHTEST" "$GANTRY_SSHTEST2"`); got != tt.want {
				t.Errorf("GANTRY_SSHTEST in the session = %s, want %s", got, tt.want)
			}
		})
	}
}

func TestWrongKnownHostsIsRefused(t *testing.T) {
	s := Start(t)
	check, err := knownhosts.New(s.WrongKnownHosts(t))
	if err != nil {
		t.Fatal(err)
	}
	_, err = ssh.Dial("tcp", s.Addr, &ssh.ClientConfig{User: s.User, HostKeyCallback: check})
	if err == nil {
		t.Fatal("dial succeeded with a wrong host key")
	}
}
