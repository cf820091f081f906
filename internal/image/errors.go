package image

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"strings"
	"syscall"

	"github.com/google/go-containerregistry/pkg/v1/remote/transport"
)

// Kind says what went wrong with a registry, to explain it and to decide
// whether trying again can help.
type Kind int

// Kinds of registry failure.
const (
	KindOther        Kind = iota
	KindUnauthorized      // credentials missing or refused, or access denied
	KindNotFound          // no such repository, tag or digest
	KindTLS               // certificate not trusted, wrong name, not TLS
	KindUnknownHost       // the registry's name does not resolve
	KindUnavailable       // refused, timed out, 429 or 5xx: transient
)

func (k Kind) String() string {
	switch k {
	case KindUnauthorized:
		return "unauthorized"
	case KindNotFound:
		return "not found"
	case KindTLS:
		return "TLS failure"
	case KindUnknownHost:
		return "unknown host"
	case KindUnavailable:
		return "registry unavailable"
	}
	return "registry error"
}

// Sentinels matched by errors.Is on an *Error of the same kind.
var (
	ErrUnauthorized = errors.New("unauthorized")
	ErrNotFound     = errors.New("not found")
	ErrTLS          = errors.New("TLS failure")
	ErrUnknownHost  = errors.New("unknown host")
	ErrUnavailable  = errors.New("registry unavailable")
)

var kindSentinel = map[Kind]error{
	KindUnauthorized: ErrUnauthorized,
	KindNotFound:     ErrNotFound,
	KindTLS:          ErrTLS,
	KindUnknownHost:  ErrUnknownHost,
	KindUnavailable:  ErrUnavailable,
}

// Error is a failed registry operation, explained.
type Error struct {
	Op       string // "resolve", "push", "promote", "inspect"
	Ref      string
	Host     string
	Kind     Kind
	Attempts int // how many tries were made
	// Credentials says what was sent to the registry, when known: the
	// registryauth.Source of the credentials, or NoCredentials when none
	// were found for it. Never the credentials themselves.
	Credentials string
	Err         error
}

func (e *Error) Error() string {
	var b strings.Builder
	fmt.Fprintf(&b, "%s %s: ", e.Op, e.Ref)
	switch e.Kind {
	case KindUnauthorized:
		switch e.Credentials {
		case NoCredentials:
			fmt.Fprintf(&b, "unauthorized: registry %s requires credentials and none were found for it", e.Host)
		case "":
			fmt.Fprintf(&b, "unauthorized: registry %s refused the credentials or the access", e.Host)
		default:
			fmt.Fprintf(&b, "unauthorized: registry %s refused the credentials from %s or the access", e.Host, e.Credentials)
		}
	case KindNotFound:
		fmt.Fprintf(&b, "not found in registry %s", e.Host)
	case KindTLS:
		fmt.Fprintf(&b, "TLS with registry %s failed", e.Host)
	case KindUnknownHost:
		fmt.Fprintf(&b, "unknown host %s", hostOnly(e.Host))
	case KindUnavailable:
		fmt.Fprintf(&b, "registry %s unavailable", e.Host)
	default:
		fmt.Fprintf(&b, "registry %s", e.Host)
	}
	if e.Attempts > 1 {
		fmt.Fprintf(&b, " after %d attempts", e.Attempts)
	}
	fmt.Fprintf(&b, ": %v", e.Err)
	if h := e.hint(); h != "" {
		fmt.Fprintf(&b, " (hint: %s)", h)
	}
	return b.String()
}

func (e *Error) hint() string {
	switch e.Kind {
	case KindUnauthorized:
		if e.Credentials == NoCredentials {
			return "set DOCKER_AUTH_CONFIG, or CI_REGISTRY=" + e.Host + " with CI_REGISTRY_USER and CI_REGISTRY_PASSWORD, or run `docker login " + e.Host + "`"
		}
		return "check CI_REGISTRY_USER/CI_REGISTRY_PASSWORD, DOCKER_AUTH_CONFIG or `docker login " + e.Host + "`"
	case KindNotFound:
		return "check the repository and tag; `gantry image push` publishes a built tag"
	case KindTLS:
		return "trust the registry's CA with --ca-file, SSL_CERT_FILE or " + DefaultCertsDir + "/" + e.Host + "/ca.crt"
	case KindUnknownHost:
		return "check the registry name in the image reference and CI_REGISTRY"
	case KindUnavailable:
		return "is the registry running and reachable from here?"
	}
	return ""
}

func (e *Error) Unwrap() error { return e.Err }

// Is matches the sentinel of e's kind.
func (e *Error) Is(target error) bool {
	s, ok := kindSentinel[e.Kind]
	return ok && s == target
}

func hostOnly(hostport string) string {
	if h, _, err := net.SplitHostPort(hostport); err == nil {
		return h
	}
	return hostport
}

// classify tells the kind of a registry error.
func classify(err error) Kind {
	var ee *engineError
	if errors.As(err, &ee) {
		if ee.kind != KindOther {
			return ee.kind
		}
		return classifyEngine(ee.msg)
	}
	var terr *transport.Error
	if errors.As(err, &terr) {
		for _, d := range terr.Errors {
			switch d.Code {
			case transport.UnauthorizedErrorCode, transport.DeniedErrorCode:
				return KindUnauthorized
			case transport.ManifestUnknownErrorCode, transport.NameUnknownErrorCode, transport.BlobUnknownErrorCode:
				return KindNotFound
			case transport.TooManyRequestsErrorCode, transport.UnavailableErrorCode:
				return KindUnavailable
			}
		}
		switch {
		case terr.StatusCode == http.StatusUnauthorized || terr.StatusCode == http.StatusForbidden:
			return KindUnauthorized
		case terr.StatusCode == http.StatusNotFound:
			return KindNotFound
		case terr.StatusCode == http.StatusTooManyRequests || terr.StatusCode == http.StatusRequestTimeout || terr.StatusCode >= 500:
			return KindUnavailable
		}
		return KindOther
	}
	var dnsErr *net.DNSError
	if errors.As(err, &dnsErr) {
		if dnsErr.IsNotFound {
			return KindUnknownHost
		}
		return KindUnavailable // a DNS server timing out may answer next time
	}
	var (
		verr    *tls.CertificateVerificationError
		uaErr   x509.UnknownAuthorityError
		hostErr x509.HostnameError
		invErr  x509.CertificateInvalidError
		recErr  tls.RecordHeaderError
	)
	if errors.As(err, &verr) || errors.As(err, &uaErr) || errors.As(err, &hostErr) ||
		errors.As(err, &invErr) || errors.As(err, &recErr) {
		return KindTLS
	}
	if strings.Contains(err.Error(), "server gave HTTP response to HTTPS client") {
		return KindTLS
	}
	if errors.Is(err, context.Canceled) {
		return KindOther
	}
	var netErr net.Error
	if errors.Is(err, syscall.ECONNREFUSED) || errors.Is(err, syscall.ECONNRESET) ||
		errors.Is(err, syscall.EHOSTUNREACH) || errors.Is(err, syscall.ENETUNREACH) ||
		errors.Is(err, io.ErrUnexpectedEOF) || errors.Is(err, io.EOF) ||
		errors.Is(err, context.DeadlineExceeded) || (errors.As(err, &netErr) && netErr.Timeout()) {
		return KindUnavailable
	}
	return KindOther
}
