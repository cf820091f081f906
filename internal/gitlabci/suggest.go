package gitlabci

import "strings"

// editDistance is the optimal string alignment distance between a and b:
// insertions, deletions, substitutions and transpositions of adjacent
// characters each cost 1, so that the usual typos (`scirpt`, `stgae`)
// are one edit away from the keyword.
func editDistance(a, b string) int {
	ra, rb := []rune(a), []rune(b)
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

// nearest returns the candidate closest to name, or "" when none is close
// enough to be a plausible typo (about a third of the word may differ).
func nearest(name string, candidates []string) string {
	lname := strings.ToLower(name)
	best, bestDist := "", -1
	for _, c := range candidates {
		d := editDistance(lname, c)
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
			if strings.HasPrefix(c, lname) {
				return c
			}
		}
	}
	return ""
}

// suggest is the hint for an unknown keyword: the nearest valid one, or
// the whole list when nothing is close.
func suggest(name string, candidates []string) string {
	if s := nearest(name, candidates); s != "" {
		return "did you mean " + s + "?"
	}
	return "valid keywords: " + strings.Join(candidates, ", ")
}
