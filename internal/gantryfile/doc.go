// Package gantryfile reads gantry.yml, the project file at the repository
// root beside .gitlab-ci.yml: what gantry deploy ships and where (app,
// image, keep, ssh, notify, hooks, environments) and the coverage gate of
// gantry run (coverage). Load and Parse return one typed File, every error
// an *Error with file:line:col and a hint; nothing else in gantry reads the
// file's YAML.
//
// Each command reads its own sections. A file may hold only coverage:
// (a project that does not deploy with gantry); one that declares any of
// the deploy sections must declare app, image and environments. String
// values of the deploy sections may hold $VARIABLES, expanded at deploy
// time (see package deploy).
//
// # Reference
//
//	app: gardel                               # required
//	image: registry.example.com/gardel-backend # required: the repository, no tag
//	keep: 5                                   # releases whose images stay on the hosts
//	ssh:
//	  known_hosts: ~/.ssh/known_hosts         # strict: unknown or changed keys are refused
//	  identity: ~/.ssh/deploy_ed25519         # after ssh-agent
//	notify:                                   # on success, failure and rollback; retried, never blocking
//	  slack: https://hooks.slack.com/services/...
//	  teams: https://example.webhook.office.com/...
//	  webhook: https://ops.example.com/gantry  # the release as JSON
//	  email: {server: smtp.example.com:587, from: gantry@example.com, to: [ops@example.com],
//	          username: gantry, password: $SMTP_PASSWORD}
//	  on: [failure, rollback]                 # default: all three
//	hooks:
//	  pre_deploy: [./scripts/check-migrations.sh]  # local; a failure stops the deploy first
//	  post_deploy: [./scripts/smoke.sh]            # after the health gate; a failure rolls back
//	environments:
//	  production:
//	    hosts: [deploy@app1.example.com, deploy@app2.example.com:2222]  # the first is primary
//	    path: /srv/gardel                     # on the hosts (default /srv/$GANTRY_APP)
//	    project: gardel                       # compose project (default app-env)
//	    compose: docker-compose.prod.yml      # uploaded; may use ${IMAGE} (pinned by digest) or ${IMAGE_TAG}
//	    env_file: .env.prod                   # uploaded with mode 0600, never printed;
//	                                          # {from: $CI_FILE_VAR, as: .env.prod} names it on the host
//	    variables: {WEB_PORT: "8000"}         # for ${NAME} in the compose files
//	    protected: true                       # gantry deploy needs --approve
//	    services: [web, worker, {name: beat, strategy: stop-first}]
//	    release:                              # once, on the primary, in the new image, before the switch
//	      service: web
//	      commands:
//	        - python manage.py migrate --noinput
//	        - python manage.py collectstatic --noinput
//	    health:
//	      - url: https://gardel.example.com/healthz
//	        status: 200                       # default
//	        json: {field: version, equals: $GANTRY_TAG}
//	        interval: 1s                      # between tries
//	        timeout: 5s                       # per request
//	        deadline: 60s                     # to become healthy after the switch
//	      - url: http://127.0.0.1:8000/readiness
//	        body: ready                       # substring of the body
//	        host: gardel.example.com          # Host header
//	        via: ssh                          # from each host, for its loopback
//	    observe: {samples: 10, interval: 2s, max_failures: 1}
//	coverage:                                 # gantry run fails a job below these
//	  minimum: 80                             # % of the lines of the job's Cobertura report
//	  paths:                                  # doublestar globs over the report's file names
//	    "catalog/services/**": 95             # the files matching, taken together
//	  jobs: [test]                            # default: every job with a coverage_report
package gantryfile
