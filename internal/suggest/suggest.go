// Package suggest finds the word a user probably meant: the nearest
// keyword, job or stage name to a typo, for "did you mean ...?" hints.
package suggest

import "strings"

// maxRunes bounds the words compared: the distance is quadratic, and a
// typo of a keyword is never that long.
const maxRunes = 128

// Distance is the optimal string alignment distance between a and b:
// insertions, deletions, substitutions and transpositions of adjacent
// characters each cost 1, so that the usual typos (`scirpt`, `stgae`)
// are one edit away from the keyword.
func Distance(a, b string) int {
	ra, rb := []rune(a), []rune(b)
	if len(ra) > maxRunes || len(rb) > maxRunes {
		if a == b {
			return 0
		}
		return max(len(ra), len(rb))
	}
	// Three rolling rows: two back for transpositions.
	prev2 := make([]int, len(rb)+1)
	prev := make([]int, len(rb)+1)
	cur := make([]int, len(rb)+1)
	for j := range prev {
		prev[j] = j
	}
	for i := 1; i <= len(ra); i++ {
		cur[0] = i
		for j := 1; j <= len(rb); j++ {
			cost := 1
			if ra[i-1] == rb[j-1] {
				cost = 0
			}
			cur[j] = min(prev[j]+1, cur[j-1]+1, prev[j-1]+cost)
			if i > 1 && j > 1 && ra[i-1] == rb[j-2] && ra[i-2] == rb[j-1] {
				cur[j] = min(cur[j], prev2[j-2]+1)
			}
		}
		prev2, prev, cur = prev, cur, prev2
	}
	return prev[len(rb)]
}

// Nearest returns the candidate closest to name, or "" when none is close
// enough to be a plausible typo (about a third of the word may differ).
// Case is ignored; ties go to the earlier candidate.
func Nearest(name string, candidates []string) string {
	lname := strings.ToLower(name)
	best, bestDist := "", -1
	for _, c := range candidates {
		d := Distance(lname, strings.ToLower(c))
		if bestDist < 0 || d < bestDist {
			best, bestDist = c, d
		}
	}
	limit := max(1, len([]rune(name))/3)
	if bestDist >= 0 && bestDist <= limit {
		return best
	}
	// An abbreviation ("prod" for production) is far in edits but plain
	// to a reader.
	if len(lname) >= 3 {
		for _, c := range candidates {
			if strings.HasPrefix(strings.ToLower(c), lname) {
				return c
			}
		}
	}
	return ""
}
