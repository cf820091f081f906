package scheduler

import (
	"slices"
	"strings"

	"github.com/gantry-ci/gantry/internal/plan"
	"github.com/gantry-ci/gantry/internal/registryauth"
)

// Some variables are credentials whatever the user marked. GitLab masks
// CI_JOB_TOKEN, CI_REGISTRY_PASSWORD (the job token again) and
// CI_DEPLOY_PASSWORD as predefined masked variables; when a user sets them
// here (a variables file, --variable) gantry masks them the same. A
// DOCKER_AUTH_CONFIG is masked in GitLab only if its user marks it; gantry
// masks the passwords, tokens and base64 auths inside it anyway: they are
// registry credentials, and the JSON around them is not worth hiding.

// CredentialVariables are the variables whose whole value is a credential;
// DOCKER_AUTH_CONFIG and CI_REGISTRY_USER also count in CredentialSecrets.
var CredentialVariables = []string{"CI_JOB_TOKEN", registryauth.VarPassword, "CI_DEPLOY_PASSWORD"}

// minCredentialLen is GitLab's minimum length of a masked value. A shorter
// credential the user did not mark masked is left visible: masking "pw"
// in every line would garble the log more than it protects (a user who
// wants it masked marks it; the masker takes any length then).
const minCredentialLen = 8

// CredentialSecrets returns the values among vars (final values, later
// wins) that are credentials by name, for a masker, and the names of the
// variables whose credential is too short to mask that way. The scheduler
// masks them in every job's log; callers use it for credentials jobs get
// by other ways (gantry's environment, inherited by shell jobs).
func CredentialSecrets(vars []plan.Variable) (secrets, short []string) {
	values := map[string]string{}
	masked := map[string]bool{}
	for _, v := range vars {
		values[v.Name], masked[v.Name] = v.Value, v.Masked
	}
	seen := map[string]bool{}
	add := func(name string, vals ...string) {
		for _, s := range vals {
			switch {
			case s == "", seen[s], masked[name] && s == values[name]:
				// Masked already as the user asked, whatever its length.
			case len(s) < minCredentialLen:
				if !slices.Contains(short, name) {
					short = append(short, name)
				}
			default:
				seen[s] = true
				secrets = append(secrets, s)
			}
		}
	}
	for _, name := range CredentialVariables {
		add(name, values[name])
	}
	// Only the parts of DOCKER_AUTH_CONFIG: its user and password pairs'
	// base64 forms and tokens (registryauth.Credentials.Secrets).
	dac := registryauth.Credentials{DockerAuthConfig: values[registryauth.VarDockerAuthConfig]}
	add(registryauth.VarDockerAuthConfig, dac.Secrets()...)
	// CI_REGISTRY_USER:CI_REGISTRY_PASSWORD in base64, as an Authorization
	// header or a config file a script writes would show it.
	if values[registryauth.VarPassword] != "" {
		reg := registryauth.Credentials{Username: values[registryauth.VarUser], Password: values[registryauth.VarPassword]}
		add(registryauth.VarPassword, reg.Secrets()...)
	}
	return secrets, short
}

// shortCredentialNotice is the job log's line about credentials too short
// to mask unless marked, "" when there are none.
func shortCredentialNotice(names []string) string {
	if len(names) == 0 {
		return ""
	}
	return "WARNING: " + strings.Join(names, ", ") + ": shorter than 8 characters, not masked in this log (mark the variable masked to mask it anyway)"
}
