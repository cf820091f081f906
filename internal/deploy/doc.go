// Package deploy ships an image to an environment's hosts over SSH with
// docker compose and never leaves the environment broken: it locks the
// environment, runs the release commands in the new image before switching,
// gates the switch on health checks, rolls back to the previous release
// automatically, records every release on the host and notifies the team.
//
// gantry.yml declares the app, its image and its environments; package
// gantryfile reads it (its doc is the reference) and NewConfig takes the
// part a deploy needs. String values may hold $VARIABLES, expanded at
// deploy time as GitLab Runner expands job variables: first the release's
// own (GANTRY_APP, GANTRY_ENV, GANTRY_TAG, GANTRY_DIGEST, GANTRY_IMAGE,
// GANTRY_PREVIOUS, IMAGE, IMAGE_TAG, IMAGE_DIGEST), then the process
// environment (in a pipeline job: $CI_COMMIT_SHA and the rest).
//
// # The sequence
//
// Deploy resolves the tag to its digest, runs the pre_deploy hooks,
// connects to every host (known_hosts checked before anything runs), then
// in one round trip on the primary host locks the environment
// (<path>/.gantry/lock, created atomically with who, when, what and why),
// reads the serving release and the release log and uploads the files;
// uploads to the other hosts; pulls on every host; runs the release
// commands with `compose run --rm`, once, on the primary; stops the
// stop-first services and runs one `compose up -d` of the services on each
// host in turn, moving on from a host only once its own checks (via: ssh)
// pass, so that a bad release stops at the first host and the others keep
// serving (a host that lost the new image since the pull stops nothing and
// fails its step; one whose `up` fails starts its stop-first services again
// on the serving release at once, before the rollback); waits for every health check and the observation window; and
// records the release in <path>/.gantry/releases.jsonl (current.json
// names the serving one), releasing the lock and pruning the images of
// releases older than the last keep in the same round trip. A failure
// before the switch changes nothing; after it, the hosts the roll reached
// return to the previous release at once, through the same gate, and if
// that fails too the environment is reported degraded. The lock is
// released on every outcome, cancellation included; a
// release command canceled midway has its container stopped first.
//
// # Compose v1 and v2
//
// The host's `docker compose` (v2, a docker CLI plugin) is used when the
// docker CLI finds it, else docker-compose (v1, or v2 standalone). Nothing
// depends on how either names containers or prints ps: services are found
// by compose's labels. The project name is passed as both accept it (v2
// refuses what v1 quietly changed, see composeProject), and when the
// environment's variables set DOCKER_CONFIG, a plugin the docker CLI
// would no longer find through it is run by its path (see composeDetect).
package deploy
