package image

import (
	"strings"
	"testing"
)

func TestDefaultTag(t *testing.T) {
	if got, err := DefaultTag("registry.example.com/gardel/backend", "abc123"); err != nil || got != "registry.example.com/gardel/backend:abc123" {
		t.Errorf("DefaultTag = %q, %v", got, err)
	}
	if _, err := DefaultTag("", ""); err == nil || !strings.Contains(err.Error(), "CI_COMMIT_SHA and CI_REGISTRY_IMAGE") {
		t.Errorf("DefaultTag without variables: %v", err)
	}
}
