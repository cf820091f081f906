package gitlabci

// Keyword tables, after GitLab's CI/CD YAML syntax reference and its
// editor schema (app/assets/javascripts/editor/schema/ci.json).

// jobKeywords are the keys a job may have.
var jobKeywords = []string{
	"after_script", "allow_failure", "artifacts", "before_script", "cache",
	"coverage", "dast_configuration", "dependencies", "environment", "except",
	"extends", "hooks", "id_tokens", "identity", "image", "inherit", "inputs",
	"interruptible", "manual_confirmation", "needs", "only", "pages", "parallel",
	"publish", "release", "resource_group", "retry", "rules", "run", "script",
	"secrets", "services", "stage", "start_in", "tags", "timeout", "trigger",
	"variables", "when",
}

// defaultKeywords are the keys of default:.
var defaultKeywords = []string{
	"after_script", "artifacts", "before_script", "cache", "hooks", "id_tokens",
	"identity", "image", "interruptible", "retry", "services", "tags", "timeout",
}

// inheritableDefaults are the values inherit:default may list.
var inheritableDefaults = []string{
	"after_script", "artifacts", "before_script", "cache", "image",
	"interruptible", "retry", "services", "tags", "timeout",
}

// globalKeywords are the top-level keys that are not jobs. The deprecated
// globals (image, services, cache, before_script, after_script) act as
// default: entries.
var globalKeywords = []string{
	"after_script", "before_script", "cache", "default", "image", "include",
	"services", "spec", "stages", "variables", "workflow",
}

// deprecatedGlobals are the top-level keys GitLab still reads as default:.
var deprecatedGlobals = []string{"image", "services", "cache", "before_script", "after_script"}

// retryReasons are the values of retry:when.
var retryReasons = []string{
	"always", "unknown_failure", "script_failure", "api_failure",
	"stuck_or_timeout_failure", "runner_system_failure", "runner_unsupported",
	"stale_schedule", "job_execution_timeout", "archived_failure",
	"unmet_prerequisites", "scheduler_failure", "data_integrity_failure",
	"runner_provisioning_timeout",
}

// jobWhens are the values of a job's (and a job rule's) when:.
var jobWhens = []string{"on_success", "on_failure", "always", "manual", "delayed", "never"}

// artifactReports are the artifacts:reports kinds GitLab knows. Those with
// a stringReport entry take one path only; the others a path or a list.
var artifactReports = []string{
	"accessibility", "annotations", "api_fuzzing", "browser_performance",
	"coverage_fuzzing", "codequality", "container_scanning", "coverage_report",
	"cyclonedx", "dast", "dependency_scanning", "dotenv", "junit",
	"license_management", "license_scanning", "load_performance", "lsif",
	"metrics", "repository_xray", "requirements", "requirements_v2", "sast",
	"secret_detection", "terraform",
}

var stringReport = map[string]bool{"accessibility": true, "annotations": true, "browser_performance": true}
