// Package fnmatch matches paths against the glob patterns of GitLab CI's
// rules:changes, only/except:changes and rules:exists exactly as GitLab
// does: with Ruby's File.fnmatch? and the flags GitLab passes, and with
// the clauses' own shortcuts and comparison limits (Changes, Exists).
// Other glob libraries differ in ways users see: with them docs/**
// matches files at any depth, with Ruby only docs' own files.
package fnmatch
