package docker

import (
	"context"
	"os"
	"path/filepath"
	"testing"

	cerrdefs "github.com/containerd/errdefs"

	"github.com/gantry-ci/gantry/internal/executor"
	"github.com/gantry-ci/gantry/internal/testenv"
)

// checkPy is the guide's kind of integration test: a table in PostgreSQL
// and a key in Redis, both reached by their service aliases.
const checkPy = `import os, psycopg2, redis
c = psycopg2.connect(host="postgres", user=os.environ["POSTGRES_USER"],
                     password=os.environ["POSTGRES_PASSWORD"], dbname=os.environ["POSTGRES_DB"])
cur = c.cursor()
cur.execute("CREATE TABLE t (x int)")
cur.execute("INSERT INTO t VALUES (42)")
cur.execute("SELECT x FROM t")
print("postgres says", cur.fetchone()[0])
r = redis.Redis(host="redis")
r.set("greeting", "hello")
print("redis says", r.get("greeting").decode())
`

func TestPythonWithPostgresAndRedis(t *testing.T) {
	py := testenv.Image(t, "python")
	testenv.Image(t, "postgres") // also tagged postgres:16
	testenv.Image(t, "redis")    // also tagged redis:7
	b := newBackend(t, Config{})
	job, log := newJob(t, b, py)
	// Job variables reach the services, as in GitLab.
	job.Env = append(job.Env, vars("POSTGRES_USER", "app", "POSTGRES_PASSWORD", "s3cret", "POSTGRES_DB", "app_test")...)
	job.Services = []executor.Service{{Image: executor.Image{Name: "postgres:16"}}, {Image: executor.Image{Name: "redis:7"}}}
	if err := os.WriteFile(filepath.Join(job.Workspace, "check.py"), []byte(checkPy), 0o644); err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	s, err := b.Prepare(ctx, job)
	if err != nil {
		t.Fatalf("Prepare: %v\nlog:\n%s", err, log.String())
	}
	// postgres declares a VOLUME: its anonymous volume must go with it.
	var volumes []string
	for _, svc := range s.(*session).services {
		info, err := b.cli.ContainerInspect(ctx, svc.id)
		if err != nil {
			t.Fatal(err)
		}
		for _, m := range info.Mounts {
			if m.Type == "volume" {
				volumes = append(volumes, m.Name)
			}
		}
	}
	if len(volumes) == 0 {
		t.Error("postgres service has no volume; the test image should declare one")
	}
	var out syncBuffer
	code, err := s.Run(ctx, step(s.Paths(), nil, "python check.py"), &out)
	if err != nil || code != 0 {
		t.Errorf("Run = %d, %v\n%s\nlog:\n%s", code, err, out.String(), log.String())
	}
	mustContain(t, "output", out.String(), "postgres says 42", "redis says hello")
	if err := s.Cleanup(ctx); err != nil {
		t.Errorf("Cleanup: %v", err)
	}
	for _, v := range volumes {
		if _, err := b.cli.VolumeInspect(ctx, v); !cerrdefs.IsNotFound(err) {
			t.Errorf("volume %s left behind (inspect: %v)", v, err)
		}
	}
}
