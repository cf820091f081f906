package plan

import (
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"github.com/gantry-ci/gantry/internal/gitrepo"
)

// The values of Trigger.Source that change how a pipeline is evaluated.
const (
	SourcePush         = "push"
	SourceMergeRequest = "merge_request_event"
	SourceExternalPR   = "external_pull_request_event"
)

// Option adjusts what Predefined reports.
type Option func(*predefinedConfig)

type predefinedConfig struct {
	pipelineID, pipelineIID int
	projectDir              string
	serverURL               string
	registry                string
	configPath              string
	protected               *bool
	createdAt               time.Time
}

// WithPipelineID sets CI_PIPELINE_ID and CI_PIPELINE_IID (default 1000
// and 1).
func WithPipelineID(id, iid int) Option {
	return func(c *predefinedConfig) { c.pipelineID, c.pipelineIID = id, iid }
}

// WithProjectDir sets CI_PROJECT_DIR (default: the working copy).
func WithProjectDir(dir string) Option {
	return func(c *predefinedConfig) { c.projectDir = dir }
}

// WithServerURL sets the forge's base URL (CI_SERVER_URL and what derives
// from it), for remotes that do not say it (local paths, ssh on a host
// whose web interface is elsewhere).
func WithServerURL(url string) Option {
	return func(c *predefinedConfig) { c.serverURL = strings.TrimSuffix(url, "/") }
}

// WithRegistry sets CI_REGISTRY (default: registry.<server host>).
func WithRegistry(host string) Option {
	return func(c *predefinedConfig) { c.registry = host }
}

// WithConfigPath sets CI_CONFIG_PATH (default .gitlab-ci.yml).
func WithConfigPath(path string) Option {
	return func(c *predefinedConfig) { c.configPath = path }
}

// WithProtected sets CI_COMMIT_REF_PROTECTED (default: true for the
// default branch only, which GitLab protects out of the box; no tag is
// protected until a project says so).
func WithProtected(protected bool) Option {
	return func(c *predefinedConfig) { c.protected = &protected }
}

// WithCreatedAt sets CI_PIPELINE_CREATED_AT (default: not set).
func WithCreatedAt(t time.Time) Option {
	return func(c *predefinedConfig) { c.createdAt = t }
}

// Predefined returns the pipeline-level predefined variables GitLab gives
// a pipeline for trigger t on the commit described by repo. Per-job ones
// (CI_JOB_*, CI_NODE_*, CI_ENVIRONMENT_*) are added by New.
//
// Local runs have no server: the project path, namespace and URLs come
// from the origin remote; without one, the project is named after its
// directory, its namespace is empty and the server is http://localhost.
// CI_COMMIT_BEFORE_SHA is HEAD's first parent for a push (as if HEAD had
// been pushed alone) and zeros otherwise, as in GitLab for merge requests,
// schedules, web runs, tags' first pipeline and new branches.
func Predefined(repo gitrepo.Info, t Trigger, opts ...Option) []Variable {
	c := predefinedConfig{pipelineID: 1000, pipelineIID: 1, configPath: ".gitlab-ci.yml"}
	for _, o := range opts {
		o(&c)
	}
	source := t.Source
	if source == "" {
		source = SourcePush
	}
	ref, tag := t.Ref, t.Tag
	if ref == "" {
		ref, tag = repo.RefName(), repo.Branch == "" && repo.Tag != ""
	}
	mr := t.MergeRequest
	if source == SourceMergeRequest && mr != nil && mr.SourceBranch != "" {
		ref, tag = mr.SourceBranch, false
	}

	var vs vars
	vs.add("CI", "true")
	vs.add("GITLAB_CI", "true")
	vs.add("CI_SERVER", "yes")
	vs.add("CI_CONFIG_PATH", c.configPath)

	// Project and server.
	project := repo.Remote
	if project.Name == "" {
		project.Name = filepath.Base(repo.Dir)
		project.Path = project.Name
	}
	server := c.serverURL
	if server == "" {
		server = project.ServerURL()
	}
	if server == "" {
		server = "http://localhost"
	}
	scheme, hostport, _ := strings.Cut(server, "://")
	host, port := splitHostPort(hostport, scheme)
	projectURL := server + "/" + project.Path
	dir := c.projectDir
	if dir == "" {
		dir = repo.Dir
	}
	vs.add("CI_SERVER_URL", server)
	vs.add("CI_SERVER_HOST", host)
	vs.add("CI_SERVER_PORT", port)
	vs.add("CI_SERVER_PROTOCOL", scheme)
	vs.add("CI_SERVER_FQDN", hostport)
	vs.add("CI_API_V4_URL", server+"/api/v4")
	vs.add("CI_API_GRAPHQL_URL", server+"/api/graphql")
	vs.add("CI_PROJECT_DIR", dir)
	vs.add("CI_PROJECT_NAME", project.Name)
	vs.add("CI_PROJECT_TITLE", project.Name)
	vs.add("CI_PROJECT_PATH", project.Path)
	vs.add("CI_PROJECT_PATH_SLUG", Slug(project.Path))
	vs.add("CI_PROJECT_NAMESPACE", project.Namespace)
	vs.add("CI_PROJECT_NAMESPACE_SLUG", Slug(project.Namespace))
	root, _, _ := strings.Cut(project.Namespace, "/")
	vs.add("CI_PROJECT_ROOT_NAMESPACE", root)
	vs.add("CI_PROJECT_URL", projectURL)
	vs.add("CI_DEFAULT_BRANCH", repo.DefaultBranch)
	registry := c.registry
	if registry == "" && host != "" {
		registry = "registry." + host
	}
	if registry != "" {
		vs.add("CI_REGISTRY", registry)
		vs.add("CI_REGISTRY_IMAGE", registry+"/"+strings.ToLower(project.Path))
	}

	// Commit and ref.
	vs.add("CI_COMMIT_SHA", repo.SHA)
	vs.add("CI_COMMIT_SHORT_SHA", repo.ShortSHA)
	vs.add("CI_COMMIT_REF_NAME", ref)
	vs.add("CI_COMMIT_REF_SLUG", Slug(ref))
	switch {
	case tag:
		vs.add("CI_COMMIT_TAG", ref)
	case source != SourceMergeRequest:
		vs.add("CI_COMMIT_BRANCH", ref)
	}
	protected := !tag && ref == repo.DefaultBranch
	if c.protected != nil {
		protected = *c.protected
	}
	vs.add("CI_COMMIT_REF_PROTECTED", strconv.FormatBool(protected))
	vs.add("CI_COMMIT_MESSAGE", repo.Message)
	vs.add("CI_COMMIT_TITLE", repo.Title)
	vs.add("CI_COMMIT_DESCRIPTION", repo.Description)
	vs.add("CI_COMMIT_AUTHOR", repo.Author)
	before := gitrepo.ZeroSHA
	if source == SourcePush && !tag {
		before = repo.Before()
	}
	vs.add("CI_COMMIT_BEFORE_SHA", before)
	if !repo.Timestamp.IsZero() {
		vs.add("CI_COMMIT_TIMESTAMP", repo.Timestamp.UTC().Format(time.RFC3339))
	}
	if name, email, ok := splitAuthor(repo.Author); ok {
		vs.add("GITLAB_USER_NAME", name)
		vs.add("GITLAB_USER_EMAIL", email)
		// GitLab always sets the starting user's username; locally the
		// nearest thing is the author's email before the @, which is
		// what gitlab-ci-local sets too.
		login, _, _ := strings.Cut(email, "@")
		vs.add("GITLAB_USER_LOGIN", login)
	}

	// Pipeline.
	vs.add("CI_PIPELINE_SOURCE", source)
	vs.add("CI_PIPELINE_ID", strconv.Itoa(c.pipelineID))
	vs.add("CI_PIPELINE_IID", strconv.Itoa(c.pipelineIID))
	vs.add("CI_PIPELINE_URL", projectURL+"/-/pipelines/"+strconv.Itoa(c.pipelineID))
	if !c.createdAt.IsZero() {
		vs.add("CI_PIPELINE_CREATED_AT", c.createdAt.UTC().Format(time.RFC3339))
	}

	if mr != nil && source == SourceMergeRequest {
		mergeRequestVars(&vs, mr, project.Path, projectURL)
	}
	return vs.list
}

// mergeRequestVars adds CI_MERGE_REQUEST_* for a merge request pipeline.
func mergeRequestVars(vs *vars, mr *MergeRequest, projectPath, projectURL string) {
	iid := strconv.Itoa(mr.IID)
	srcPath, srcURL := mr.SourceProjectPath, mr.SourceProjectURL
	if srcPath == "" {
		srcPath, srcURL = projectPath, projectURL
	}
	event := mr.EventType
	if event == "" {
		event = "detached"
	}
	vs.add("CI_OPEN_MERGE_REQUESTS", projectPath+"!"+iid)
	vs.add("CI_MERGE_REQUEST_ID", strconv.Itoa(mr.ID))
	vs.add("CI_MERGE_REQUEST_IID", iid)
	vs.add("CI_MERGE_REQUEST_TITLE", mr.Title)
	vs.add("CI_MERGE_REQUEST_DESCRIPTION", mr.Description)
	vs.add("CI_MERGE_REQUEST_EVENT_TYPE", event)
	vs.add("CI_MERGE_REQUEST_DRAFT", strconv.FormatBool(mr.Draft))
	vs.add("CI_MERGE_REQUEST_APPROVED", strconv.FormatBool(mr.Approved))
	vs.add("CI_MERGE_REQUEST_PROJECT_PATH", projectPath)
	vs.add("CI_MERGE_REQUEST_PROJECT_URL", projectURL)
	vs.add("CI_MERGE_REQUEST_REF_PATH", "refs/merge-requests/"+iid+"/head")
	vs.add("CI_MERGE_REQUEST_SOURCE_BRANCH_NAME", mr.SourceBranch)
	vs.add("CI_MERGE_REQUEST_SOURCE_BRANCH_SHA", mr.SourceBranchSHA)
	vs.add("CI_MERGE_REQUEST_SOURCE_PROJECT_PATH", srcPath)
	vs.add("CI_MERGE_REQUEST_SOURCE_PROJECT_URL", srcURL)
	vs.add("CI_MERGE_REQUEST_TARGET_BRANCH_NAME", mr.TargetBranch)
	vs.add("CI_MERGE_REQUEST_TARGET_BRANCH_SHA", mr.TargetBranchSHA)
	vs.add("CI_MERGE_REQUEST_DIFF_BASE_SHA", mr.DiffBaseSHA)
	if len(mr.Labels) > 0 {
		vs.add("CI_MERGE_REQUEST_LABELS", strings.Join(mr.Labels, ","))
	}
	if len(mr.Assignees) > 0 {
		vs.add("CI_MERGE_REQUEST_ASSIGNEES", strings.Join(mr.Assignees, ","))
	}
}

// splitHostPort splits "host:port" and fills in the scheme's default port.
func splitHostPort(hostport, scheme string) (host, port string) {
	host = hostport
	if strings.HasPrefix(host, "[") { // [::1]:8080
		if end := strings.Index(host, "]"); end >= 0 {
			host, port = host[1:end], strings.TrimPrefix(host[end+1:], ":")
		}
	} else if h, p, ok := strings.Cut(host, ":"); ok {
		host, port = h, p
	}
	if port == "" {
		port = "443"
		if scheme == "http" {
			port = "80"
		}
	}
	return host, port
}

// splitAuthor splits "Name <email>".
func splitAuthor(author string) (name, email string, ok bool) {
	open := strings.LastIndex(author, "<")
	if open < 0 || !strings.HasSuffix(author, ">") {
		return "", "", false
	}
	return strings.TrimSpace(author[:open]), author[open+1 : len(author)-1], true
}

// vars builds a variable list.
type vars struct{ list []Variable }

func (v *vars) add(name, value string) {
	v.list = append(v.list, Variable{Name: name, Value: value, Raw: true})
}
