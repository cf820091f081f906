package gitrepo

import (
	"context"
	"testing"
)

// BenchmarkRead measures what a local run waits for before its first job.
func BenchmarkRead(b *testing.B) {
	dir := b.TempDir()
	b.Setenv("GIT_CONFIG_GLOBAL", "/dev/null")
	b.Setenv("GIT_CONFIG_NOSYSTEM", "1")
	b.Setenv("GIT_AUTHOR_NAME", "a")
	b.Setenv("GIT_AUTHOR_EMAIL", "a@b")
	b.Setenv("GIT_COMMITTER_NAME", "a")
	b.Setenv("GIT_COMMITTER_EMAIL", "a@b")
	for _, args := range [][]string{{"init", "-q", "-b", "master"}, {"commit", "-q", "--allow-empty", "-m", "x"}, {"remote", "add", "origin", "git@h:g/p.git"}} {
		if _, err := git(context.Background(), dir, args...); err != nil {
			b.Fatal(err)
		}
	}
	for b.Loop() {
		if _, err := Read(context.Background(), dir); err != nil {
			b.Fatal(err)
		}
	}
}
