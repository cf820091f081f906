package plan

import (
	"crypto/sha256"
	"math/big"
	"strings"
	"unicode"
)

// Slug is GitLab's slug of a ref, project path or job name
// (CI_COMMIT_REF_SLUG, CI_PROJECT_PATH_SLUG, CI_JOB_NAME_SLUG): lowercase,
// every character but a-z and 0-9 replaced by '-', cut to 63 characters,
// then leading and trailing '-' trimmed.
func Slug(s string) string {
	b := make([]byte, 0, len(s))
	for _, r := range strings.ToLower(s) {
		if ('a' <= r && r <= 'z') || ('0' <= r && r <= '9') {
			b = append(b, byte(r))
		} else {
			b = append(b, '-')
		}
		if len(b) == 63 {
			break
		}
	}
	return strings.Trim(string(b), "-")
}

// EnvironmentSlug is GitLab's CI_ENVIRONMENT_SLUG: a DNS-safe name of at
// most 24 characters that starts with a letter. When the slug differs from
// the name or had to be cut, a 6-character suffix derived from the name
// keeps different names apart.
func EnvironmentSlug(name string) string {
	var b strings.Builder
	for _, r := range strings.ToLower(name) {
		if ('a' <= r && r <= 'z') || ('0' <= r && r <= '9') {
			b.WriteRune(r)
		} else {
			b.WriteByte('-')
		}
	}
	slug := b.String()
	if slug == "" || !unicode.IsLower(rune(slug[0])) {
		slug = "env-" + slug
	}
	slug = squeezeDashes(slug)
	if len(slug) <= 24 && slug == name {
		return strings.TrimSuffix(slug, "-")
	}
	if len(slug) > 17 {
		slug = slug[:17]
	}
	if !strings.HasSuffix(slug, "-") {
		slug += "-"
	}
	return slug + environmentSuffix(name)
}

// environmentSuffix is the last six base-36 digits of the name's SHA-256,
// as GitLab computes them.
func environmentSuffix(name string) string {
	sum := sha256.Sum256([]byte(name))
	s := new(big.Int).SetBytes(sum[:]).Text(36)
	if len(s) > 6 {
		s = s[len(s)-6:]
	}
	return s
}

func squeezeDashes(s string) string {
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		if s[i] == '-' && i > 0 && s[i-1] == '-' {
			continue
		}
		b.WriteByte(s[i])
	}
	return b.String()
}

// squeezeMatrixName drops the spaces after commas and brackets of a matrix
// job name, so "b: [x, y]" and "b: [x,y]" compare equal.
func squeezeMatrixName(s string) string {
	return strings.ReplaceAll(s, ", ", ",")
}
