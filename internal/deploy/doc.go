// Package deploy ships an image to an environment's hosts over SSH with
// docker compose and never leaves the environment broken: it locks the
// environment, runs the release commands in the new image before switching,
// gates the switch on health checks, rolls back to the previous release
// automatically, records every release on the host and notifies the team.
//
// # gantry.yml
//
// At the repository root; Load and Parse read it, every error with
// file:line:col and a hint. String values may hold $VARIABLES, expanded
// at deploy time as GitLab Runner expands job variables: first the
// release's own (GANTRY_APP, GANTRY_ENV, GANTRY_TAG, GANTRY_DIGEST,
// GANTRY_IMAGE, GANTRY_PREVIOUS, IMAGE, IMAGE_TAG, IMAGE_DIGEST), then the
// process environment (in a pipeline job: $CI_COMMIT_SHA and the rest).
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
//	    env_file: .env.prod                   # uploaded with mode 0600, never printed
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
//
// # The sequence
//
// Deploy resolves the tag to its digest, runs the pre_deploy hooks,
// connects to every host (known_hosts checked before anything runs), then
// in one round trip on the primary host locks the environment
// (<path>/.gantry/lock, created atomically with who, when, what and why),
// reads the serving release and the release log and uploads the files;
// uploads to the other hosts; pulls on every host; runs the release
// commands with `compose run --rm`; stops the stop-first services and runs
// one `compose up -d` of the services on each host in turn; waits for the
// health checks and the observation window; and records the release in
// <path>/.gantry/releases.jsonl (current.json names the serving one),
// releasing the lock and pruning the images of releases older than the
// last keep in the same round trip. A failure before the switch changes
// nothing; after it, the previous release is rolled back to through the
// same gate, and if that fails too the environment is reported degraded.
// The lock is released on every outcome, cancellation included.
package deploy
