package gitrepo

import (
	"errors"
	"fmt"
	"net/url"
	"path"
	"strings"
)

// Remote is a parsed remote URL: where the project lives on its forge.
type Remote struct {
	// URL is the remote as configured (credentials included, if any: do
	// not print it).
	URL string
	// Host is the forge's host name, without port. Empty for a remote
	// that is a local path.
	Host string
	// WebScheme and WebPort are those of the forge's web interface: the
	// remote's own for http(s) remotes, https and none for ssh ones (the
	// ssh port says nothing about the web port).
	WebScheme string
	WebPort   string
	// Path is the project's full path, "group/sub/proj"; Namespace is
	// "group/sub" (may be empty) and Name "proj".
	Path      string
	Namespace string
	Name      string
}

// ServerURL is the forge's base URL ("https://gitlab.com"), or "" for a
// local remote.
func (r Remote) ServerURL() string {
	if r.Host == "" {
		return ""
	}
	host := r.Host
	if strings.Contains(host, ":") {
		host = "[" + host + "]" // IPv6
	}
	if r.WebPort != "" {
		host += ":" + r.WebPort
	}
	return r.WebScheme + "://" + host
}

// WebURL is the project's page ("https://gitlab.com/group/proj"), or ""
// for a local remote.
func (r Remote) WebURL() string {
	if r.Host == "" {
		return ""
	}
	return r.ServerURL() + "/" + r.Path
}

// ParseRemote parses the URL forms git accepts for a remote: scheme URLs
// (https://host/group/proj.git, ssh://git@host:2222/group/proj.git), the
// scp-like form (git@host:group/sub/proj.git) and local paths.
func ParseRemote(raw string) (Remote, error) {
	raw = strings.TrimSpace(raw)
	if raw == "" {
		return Remote{}, errors.New("parse remote: empty URL")
	}
	r := Remote{URL: raw, WebScheme: "https"}
	var p string
	switch {
	case strings.Contains(raw, "://"):
		u, err := url.Parse(raw)
		if err != nil {
			return Remote{}, fmt.Errorf("parse remote %q: %w", redact(raw), errors.Unwrap(err))
		}
		switch strings.ToLower(u.Scheme) {
		case "file":
			p = u.Path
		case "http", "https":
			r.WebScheme = strings.ToLower(u.Scheme)
			r.WebPort = u.Port()
			r.Host = u.Hostname()
			p = u.Path
		default: // ssh, git, git+ssh, ssh+git, ftp...
			r.Host = u.Hostname()
			p = u.Path
		}
		if u.Scheme != "file" && r.Host == "" {
			return Remote{}, fmt.Errorf("parse remote %q: no host", redact(raw))
		}
	case isSCPLike(raw):
		colon := scpColon(raw)
		hostPart, rest := raw[:colon], raw[colon+1:]
		if i := strings.LastIndex(hostPart, "@"); i >= 0 {
			hostPart = hostPart[i+1:]
		}
		// [host]:path brackets an IPv6 address or a host with a colon.
		r.Host = strings.TrimSuffix(strings.TrimPrefix(hostPart, "["), "]")
		p = rest
	default:
		p = raw
	}
	p = strings.TrimSuffix(strings.Trim(p, "/"), ".git")
	p = strings.Trim(p, "/")
	if r.Host == "" {
		// A local path: only its last element names the project.
		p = path.Base(strings.ReplaceAll(p, `\`, "/"))
		if p == "." || p == "/" {
			p = ""
		}
	}
	if p == "" {
		return Remote{}, fmt.Errorf("parse remote %q: no project path", redact(raw))
	}
	r.Path = p
	if i := strings.LastIndex(p, "/"); i >= 0 {
		r.Namespace, r.Name = p[:i], p[i+1:]
	} else {
		r.Name = p
	}
	return r, nil
}

// isSCPLike reports whether s is git's [user@]host:path form: a colon
// (after any [bracketed] host) before any slash, and not a Windows drive
// letter.
func isSCPLike(s string) bool {
	colon := scpColon(s)
	if colon <= 0 {
		return false
	}
	if slash := strings.Index(s, "/"); slash >= 0 && slash < colon {
		return false
	}
	if colon == 1 && len(s) > 2 && (s[2] == '\\' || s[2] == '/') {
		return false // C:\repo or C:/repo
	}
	return true
}

// scpColon is the index of the colon that ends the host of an scp-like
// remote, skipping the colons of a [bracketed] IPv6 host; -1 if none.
func scpColon(s string) int {
	if i := strings.Index(s, "["); i >= 0 && i < strings.Index(s+":", ":") {
		end := strings.Index(s, "]:")
		if end < 0 {
			return -1
		}
		return end + 1
	}
	return strings.Index(s, ":")
}

// redact hides a password in a remote URL before it enters an error. It
// works on the text, since the URL may not parse.
func redact(raw string) string {
	scheme := strings.Index(raw, "://")
	if scheme < 0 {
		return raw
	}
	rest := raw[scheme+3:]
	end := strings.IndexAny(rest, "/?#")
	if end < 0 {
		end = len(rest)
	}
	at := strings.LastIndex(rest[:end], "@")
	if at < 0 {
		return raw
	}
	user, _, hasPass := strings.Cut(rest[:at], ":")
	if !hasPass {
		return raw
	}
	return raw[:scheme+3] + user + ":xxxxx" + rest[at:]
}
