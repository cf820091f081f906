package gitlabci

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"time"

	"github.com/gantry-ci/gantry/internal/pipeline"
)

// fetch downloads an include:remote file: HTTP(S) only, status 200 only,
// at most MaxFileSize bytes, within the client's timeout.
func (r *resolver) fetch(loc string, at pipeline.Pos) ([]byte, error) {
	u, err := url.Parse(loc)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return nil, errorf(at, "write a full http:// or https:// URL", "include:remote %s is not an HTTP(S) URL", loc)
	}
	req, err := http.NewRequestWithContext(r.ctx, http.MethodGet, u.String(), nil)
	if err != nil {
		return nil, errorf(at, "", "include:remote %s: %v", loc, err)
	}
	resp, err := r.client.Do(req)
	if err != nil {
		return nil, errorf(at, "check the URL and that this machine can reach it", "include:remote %s: %s", loc, fetchFailure(err, r.client.Timeout))
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		hint := "check the URL"
		if resp.StatusCode == http.StatusUnauthorized || resp.StatusCode == http.StatusForbidden {
			hint = "include:remote files must be public; vendor the file and use include:local"
		}
		return nil, errorf(at, hint, "include:remote %s: HTTP %s", loc, resp.Status)
	}
	data, err := io.ReadAll(io.LimitReader(resp.Body, MaxFileSize+1))
	if err != nil {
		return nil, errorf(at, "check the URL and that this machine can reach it", "include:remote %s: %s", loc, fetchFailure(err, r.client.Timeout))
	}
	if len(data) > MaxFileSize {
		return nil, errorf(at, "split it into smaller files", "include:remote %s is larger than %s, the limit for pipeline files", loc, byteSize(MaxFileSize))
	}
	return data, nil
}

// fetchFailure says why a request failed without the noise of url.Error.
func fetchFailure(err error, timeout time.Duration) string {
	var ne net.Error
	if errors.Is(err, context.DeadlineExceeded) || (errors.As(err, &ne) && ne.Timeout()) {
		if timeout > 0 {
			return "timed out after " + timeout.String()
		}
		return "timed out"
	}
	if errors.Is(err, context.Canceled) {
		return "canceled"
	}
	var ue *url.Error
	if errors.As(err, &ue) {
		return fmt.Sprint(ue.Err)
	}
	return err.Error()
}
