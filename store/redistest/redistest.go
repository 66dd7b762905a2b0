// Package redistest gives tests a Redis: a real redis-server started on a
// temporary unix socket when the binary is on PATH, in-process miniredis
// otherwise. Each call gets its own server, so tests never share state.
package redistest

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/alicebob/miniredis/v2"
	"github.com/redis/go-redis/v9"
)

// Server is a Redis a test can use, stop and start again.
type Server struct {
	// URL connects to it (unix:// for redis-server, redis:// for miniredis).
	URL  string
	Real bool
	t    testing.TB
	cmd  *exec.Cmd
	sock string
	dir  string
	mini *miniredis.Miniredis
}

// Start starts a Redis for the test and stops it at cleanup.
func Start(t testing.TB) *Server {
	t.Helper()
	s := &Server{t: t}
	if path, err := exec.LookPath("redis-server"); err == nil && os.Getenv("PASSBOT_TEST_MINIREDIS") == "" {
		// Unix socket paths are limited to ~100 bytes; t.TempDir can be longer.
		dir, err := os.MkdirTemp("", "passbot-redis-")
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { os.RemoveAll(dir) })
		s.Real, s.dir, s.sock = true, dir, filepath.Join(dir, "redis.sock")
		s.URL = "unix://" + s.sock
		s.startReal(path)
	} else {
		s.mini = miniredis.RunT(t)
		s.URL = "redis://" + s.mini.Addr()
	}
	t.Cleanup(s.Stop)
	return s
}

func (s *Server) startReal(path string) {
	s.t.Helper()
	s.cmd = exec.Command(path, "--port", "0", "--unixsocket", s.sock, "--save", "", "--appendonly", "yes", "--dir", s.dir)
	if err := s.cmd.Start(); err != nil {
		s.t.Fatalf("start redis-server: %v", err)
	}
	waitPing(s.t, &redis.Options{Network: "unix", Addr: s.sock})
}

// Client returns a new client for the server, closed at cleanup.
func (s *Server) Client() redis.UniversalClient {
	s.t.Helper()
	opts, err := redis.ParseURL(s.URL)
	if err != nil {
		s.t.Fatal(err)
	}
	// Tests stop the server on purpose; go-redis's defaults would spend
	// seconds on each command then (3 retries, 5 dials 100 ms apart each).
	// One quick retry still covers a connection the restart left dead.
	opts.MaxRetries, opts.MinRetryBackoff, opts.MaxRetryBackoff = 1, time.Millisecond, 5*time.Millisecond
	opts.DialerRetries, opts.DialerRetryTimeout = 1, time.Millisecond
	c := redis.NewClient(opts)
	s.t.Cleanup(func() { c.Close() })
	return c
}

// Stop shuts the server down as an operator's restart would (SIGTERM, so
// the append-only file is flushed); Restart brings it back with its data.
func (s *Server) Stop() {
	if s.mini != nil {
		s.mini.Close()
		return
	}
	if s.cmd != nil && s.cmd.Process != nil {
		shutdown(s.cmd, &redis.Options{Network: "unix", Addr: s.sock})
		s.cmd = nil
	}
}

// shutdown stops a redis-server as SIGTERM would (the append-only file
// flushed), but with the SHUTDOWN command: Redis serves a SIGTERM only in
// its next cron run, up to 100 ms later, which every test paid at cleanup.
// A server that does not take the command gets the signal.
func shutdown(cmd *exec.Cmd, opts *redis.Options) {
	opts.MaxRetries, opts.DialerRetries = -1, 1
	c := redis.NewClient(opts)
	err := c.Shutdown(context.Background()).Err()
	c.Close()
	if err != nil {
		cmd.Process.Signal(syscall.SIGTERM)
	}
	cmd.Wait()
}

// Restart starts a stopped server again on the same address.
func (s *Server) Restart() {
	s.t.Helper()
	if s.mini != nil {
		if err := s.mini.Restart(); err != nil {
			s.t.Fatal(err)
		}
		return
	}
	path, _ := exec.LookPath("redis-server")
	s.startReal(path)
}

// Contents returns every key and value in the server as text, so a test can
// assert that a secret is nowhere in Redis.
func Contents(ctx context.Context, c redis.UniversalClient) (string, error) {
	keys, err := c.Keys(ctx, "*").Result()
	if err != nil {
		return "", err
	}
	var b strings.Builder
	for _, k := range keys {
		typ, err := c.Type(ctx, k).Result()
		if err != nil {
			return "", err
		}
		var v any
		switch typ {
		case "string":
			v, err = c.Get(ctx, k).Result()
		case "hash":
			v, err = c.HGetAll(ctx, k).Result()
		case "zset":
			v, err = c.ZRangeWithScores(ctx, k, 0, -1).Result()
		case "set":
			v, err = c.SMembers(ctx, k).Result()
		case "list":
			v, err = c.LRange(ctx, k, 0, -1).Result()
		case "stream":
			v, err = c.XRange(ctx, k, "-", "+").Result()
		}
		if err != nil {
			return "", err
		}
		fmt.Fprintf(&b, "%s %s %v\n", k, typ, v)
	}
	return b.String(), nil
}
