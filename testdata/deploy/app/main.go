// Command app is the tiny service gantry's deploy tests ship: it serves
// /healthz and /readiness with its version, has a migrate command, and can
// be built to fail either (see build.sh).
package main

import (
	"encoding/json"
	"fmt"
	"net/http"
	"os"
	"os/signal"
	"strconv"
	"syscall"
	"time"
)

// Set at build time with -ldflags "-X main.version=... -X main.fail=...".
var (
	version = "dev"
	// fail is "", "health" (the /healthz endpoint answers 500) or
	// "migrate" (the migrate command exits 1).
	fail = ""
)

func main() {
	cmd := "serve"
	if len(os.Args) > 1 {
		cmd = os.Args[1]
	}
	switch cmd {
	case "serve":
		serve()
	case "migrate":
		migrate()
	case "worker", "beat":
		// Long-running processes standing for celery's; they stop on TERM.
		fmt.Printf("%s %s started\n", cmd, version)
		waitSignal()
	case "version":
		fmt.Println(version)
	default:
		fmt.Fprintf(os.Stderr, "usage: app serve|migrate|worker|beat|version\n")
		os.Exit(2)
	}
}

func waitSignal() {
	ch := make(chan os.Signal, 1)
	signal.Notify(ch, syscall.SIGTERM, syscall.SIGINT)
	<-ch
}

func migrate() {
	// MIGRATE_SLEEP makes a migration slow, for lock and cancel tests.
	if s, err := strconv.Atoi(os.Getenv("MIGRATE_SLEEP")); err == nil && s > 0 {
		fmt.Printf("migrating slowly (%ds)\n", s)
		time.Sleep(time.Duration(s) * time.Second)
	}
	if fail == "migrate" {
		fmt.Fprintf(os.Stderr, "migration 0042_%s failed: column already exists\n", version)
		os.Exit(1)
	}
	fmt.Printf("migrated to %s\n", version)
}

func serve() {
	port := os.Getenv("PORT")
	if port == "" {
		port = "8080"
	}
	secret := os.Getenv("SECRET_KEY")
	reply := func(w http.ResponseWriter, code int, v map[string]any) {
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(code)
		v["version"] = version
		json.NewEncoder(w).Encode(v)
	}
	http.HandleFunc("/healthz", func(w http.ResponseWriter, r *http.Request) {
		switch {
		case fail == "health":
			reply(w, 500, map[string]any{"status": "error", "error": "database unreachable"})
		case secret == "":
			// The env file did not reach the container.
			reply(w, 500, map[string]any{"status": "error", "error": "SECRET_KEY is not set"})
		default:
			reply(w, 200, map[string]any{"status": "ok"})
		}
	})
	http.HandleFunc("/readiness", func(w http.ResponseWriter, r *http.Request) {
		reply(w, 200, map[string]any{"ready": true})
	})
	http.HandleFunc("/", func(w http.ResponseWriter, r *http.Request) {
		fmt.Fprintf(w, "app %s\n", version)
	})
	fmt.Printf("app %s listening on :%s\n", version, port)
	srv := &http.Server{Addr: ":" + port, ReadHeaderTimeout: 5 * time.Second}
	go func() {
		waitSignal()
		srv.Close()
	}()
	if err := srv.ListenAndServe(); err != http.ErrServerClosed {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
}
