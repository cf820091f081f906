package gitrepo

import "testing"

// ReadGit is Read by git commands only, for the external tests.
var ReadGit = readGit

// ForEachReadCase runs f in a subtest for each repository of readCases.
func ForEachReadCase(t *testing.T, f func(t *testing.T, dir string)) {
	t.Helper()
	for _, c := range readCases {
		t.Run(c.name, func(t *testing.T) { f(t, c.setup(t)) })
	}
}
