// Package redistest gives tests a Redis: a real redis-server started on a
// temporary unix socket when the binary is on PATH, in-process miniredis
// otherwise. Each call gets its own server, so tests never share state.
package redistest

import (
	"context"
	"os"
	"os/exec"
	"path/filepath"
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
	s.cmd = exec.Command(path, "--port", "0", "--unixsocket", s.sock, "--save", "", "--appendonly", "no", "--dir", s.dir)
	if err := s.cmd.Start(); err != nil {
		s.t.Fatalf("start redis-server: %v", err)
	}
	// Wait for the socket by asking Redis, not by sleeping a guessed time.
	c := redis.NewClient(&redis.Options{Network: "unix", Addr: s.sock, MaxRetries: -1})
	defer c.Close()
	deadline := time.Now().Add(10 * time.Second)
	for c.Ping(context.Background()).Err() != nil {
		if time.Now().After(deadline) {
			s.t.Fatal("redis-server did not start within 10s")
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// Client returns a new client for the server, closed at cleanup.
func (s *Server) Client() redis.UniversalClient {
	s.t.Helper()
	opts, err := redis.ParseURL(s.URL)
	if err != nil {
		s.t.Fatal(err)
	}
	c := redis.NewClient(opts)
	s.t.Cleanup(func() { c.Close() })
	return c
}

// Stop stops the server (a Redis outage); Restart brings it back empty.
func (s *Server) Stop() {
	if s.mini != nil {
		s.mini.Close()
		return
	}
	if s.cmd != nil && s.cmd.Process != nil {
		s.cmd.Process.Kill()
		s.cmd.Wait()
		s.cmd = nil
	}
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
