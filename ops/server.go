package ops

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"slices"
	"sync"
	"sync/atomic"
	"time"
)

// maxHeaderBytes bounds a request's headers; Slack's are well under 8 KiB,
// a browser's on the sign-in pages too.
const maxHeaderBytes = 32 << 10

// Server is an HTTP server with its own http.ServeMux: the operations server
// (PASSBOT_OPS_ADDR: /healthz, /readyz, /metrics), or the public one
// (PASSBOT_HTTP_ADDR: Slack's /slack/... endpoints and the sign-in pages),
// kept apart so that what faces browsers and the internet never exposes the
// operations endpoints.
type Server struct {
	// ReadyTimeout bounds one readiness check. Default 2 seconds.
	ReadyTimeout time.Duration
	// ShutdownTimeout bounds the wait for in-flight requests when Run's
	// context ends. Default 10 seconds.
	ShutdownTimeout time.Duration

	srv      *http.Server
	ready    func(context.Context) error
	draining atomic.Bool

	mu sync.Mutex
	ln net.Listener
}

// NewServer returns a server for addr (host:port; port 0 picks a free one)
// that serves:
//
//   - GET /healthz: 200 while the process is up;
//   - GET /readyz: 200 when ready returns nil, else 503 with the reason
//     (ready may be nil: always ready); 503 also once Drain was called;
//   - GET /metrics: metrics in the Prometheus format (when metrics is set);
//   - every pattern of extra, as http.ServeMux patterns.
//
// Like http.ServeMux, it panics if an extra pattern conflicts with another.
func NewServer(addr string, metrics *Metrics, ready func(ctx context.Context) error, extra map[string]http.Handler) *Server {
	s := &Server{ready: ready, ReadyTimeout: 2 * time.Second, ShutdownTimeout: 10 * time.Second}
	mux := http.NewServeMux()
	mux.HandleFunc("GET /healthz", func(w http.ResponseWriter, _ *http.Request) {
		_, _ = io.WriteString(w, "ok\n") // a client that left cannot be told
	})
	mux.HandleFunc("GET /readyz", s.serveReady)
	if metrics != nil {
		mux.Handle("GET /metrics", metrics.Handler())
	}
	for pattern, h := range extra {
		mux.Handle(pattern, h)
	}
	// The public server faces the internet: a connection that sends
	// slowly or sends much must not hold memory or a goroutine for long.
	// Slack and the sign-in pages get requests of a few kilobytes at once.
	s.srv = &http.Server{
		Addr:              addr,
		Handler:           mux,
		ReadHeaderTimeout: 5 * time.Second,
		ReadTimeout:       15 * time.Second,
		WriteTimeout:      30 * time.Second,
		IdleTimeout:       time.Minute,
		MaxHeaderBytes:    maxHeaderBytes,
	}
	return s
}

// NewPublicServer returns a server for addr that serves h and nothing else.
// Every answer starts with the headers of the sign-in pages, so those that
// h does not write itself (a 404 or 405 of its ServeMux, a JSON answer)
// are never cached, framed or run either; a page sets its own CSP over them.
func NewPublicServer(addr string, h http.Handler) *Server {
	s := NewServer(addr, nil, nil, nil)
	s.srv.Handler = http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		for k, v := range publicHeaders {
			w.Header()[k] = slices.Clone(v)
		}
		h.ServeHTTP(w, r)
	})
	return s
}

// publicHeaders lock down every answer of the public server.
var publicHeaders = http.Header{
	"Content-Security-Policy": {"default-src 'none'; frame-ancestors 'none'; base-uri 'none'; form-action 'none'"},
	"Cache-Control":           {"no-store"},
	"X-Content-Type-Options":  {"nosniff"},
	"X-Frame-Options":         {"DENY"},
	"Referrer-Policy":         {"no-referrer"},
}

func (s *Server) serveReady(w http.ResponseWriter, r *http.Request) {
	w.Header().Set("Content-Type", "text/plain; charset=utf-8")
	w.Header().Set("Cache-Control", "no-store")
	if s.draining.Load() {
		w.WriteHeader(http.StatusServiceUnavailable)
		_, _ = io.WriteString(w, "not ready: shutting down\n")
		return
	}
	if s.ready != nil {
		if err := s.check(r.Context()); err != nil {
			w.WriteHeader(http.StatusServiceUnavailable)
			fmt.Fprintf(w, "not ready: %v\n", err)
			return
		}
	}
	_, _ = io.WriteString(w, "ready\n")
}

// check runs the readiness check within ReadyTimeout, also when the check
// does not honour its context (a Redis client blocked on a stalled
// connection waits for its own read timeout): the answer is then a timeout.
func (s *Server) check(ctx context.Context) error {
	ctx, cancel := context.WithTimeout(ctx, s.ReadyTimeout)
	defer cancel()
	done := make(chan error, 1) // the check may finish after we answered
	go func() { done <- s.ready(ctx) }()
	select {
	case err := <-done:
		return err
	case <-ctx.Done():
		return fmt.Errorf("check took over %v: %w", s.ReadyTimeout, ctx.Err())
	}
}

// Handler returns the server's routes, for tests with httptest.
func (s *Server) Handler() http.Handler { return s.srv.Handler }

// RegisterOnShutdown registers f to run when shutdown begins, after the
// listener is closed: close long-lived connections there.
func (s *Server) RegisterOnShutdown(f func()) { s.srv.RegisterOnShutdown(f) }

// Drain turns /readyz red for good, so load balancers and orchestrators stop
// sending work while in-flight events finish. Call it first on SIGTERM.
func (s *Server) Drain() { s.draining.Store(true) }

// Listen binds the address, so a taken port fails start-up before anything
// else starts. Run calls it when it was not called.
func (s *Server) Listen() error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.ln != nil {
		return nil
	}
	ln, err := net.Listen("tcp", s.srv.Addr)
	if err != nil {
		return fmt.Errorf("ops: listen on %s: %w", s.srv.Addr, err)
	}
	s.ln = ln
	return nil
}

// Addr is the address the server listens on (with the real port when the
// configured one was 0), or nil before Listen.
func (s *Server) Addr() net.Addr {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.ln == nil {
		return nil
	}
	return s.ln.Addr()
}

// Run serves until ctx ends, then shuts down gracefully: it stops accepting
// connections and waits up to ShutdownTimeout for in-flight requests. It
// returns nil after a clean shutdown.
func (s *Server) Run(ctx context.Context) error {
	if err := s.Listen(); err != nil {
		return err
	}
	s.mu.Lock()
	ln := s.ln
	s.mu.Unlock()
	errc := make(chan error, 1)
	go func() { errc <- s.srv.Serve(ln) }()
	select {
	case err := <-errc:
		return fmt.Errorf("ops: serve: %w", err)
	case <-ctx.Done():
	}
	s.Drain()
	sctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), s.ShutdownTimeout)
	defer cancel()
	err := s.srv.Shutdown(sctx)
	if serr := <-errc; !errors.Is(serr, http.ErrServerClosed) {
		err = errors.Join(err, serr)
	}
	if err != nil {
		return fmt.Errorf("ops: shutdown: %w", err)
	}
	return nil
}

// Probe asks a passbot's /healthz (or any URL) and returns nil on a 200. It
// is what `passbot healthcheck` runs for a container HEALTHCHECK, since the
// distroless image has no curl or wget.
func Probe(ctx context.Context, url string) error {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
	if err != nil {
		return fmt.Errorf("ops: probe: %w", err)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return fmt.Errorf("ops: probe: %w", err)
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(io.LimitReader(resp.Body, 512))
	if resp.StatusCode != http.StatusOK {
		return fmt.Errorf("ops: probe %s: %s: %s", url, resp.Status, body)
	}
	return nil
}

// HealthURL is the /healthz URL of a server listening on addr, as seen from
// the same host: an empty or wildcard host (":8080", "0.0.0.0:8080",
// "[::]:8080") becomes the loopback address.
func HealthURL(addr string) string {
	host, port, err := net.SplitHostPort(addr)
	if err != nil {
		host, port = addr, "80"
	}
	switch host {
	case "", "0.0.0.0", "::":
		host = "127.0.0.1"
	}
	return "http://" + net.JoinHostPort(host, port) + "/healthz"
}
