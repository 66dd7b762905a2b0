package store_test

// Fault tests with a TCP proxy in front of Redis that can stall a
// connection, as a stalled Redis or network does: the client times out while Redis has
// done the work, and go-redis sends the commands again.

import (
	"context"
	"errors"
	"io"
	"net"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/passbot/passbot/bot"
	"github.com/passbot/passbot/internal/enginetest"
	"github.com/passbot/passbot/store"
	"github.com/passbot/passbot/store/redistest"
	"github.com/redis/go-redis/v9"
)

// stallProxy forwards 127.0.0.1 connections to a Redis. Armed, it stalls
// the next connection that gets a reply: Redis ran the commands, and their
// answers, and all after them on that connection, never come.
type stallProxy struct {
	t       *testing.T
	ln      net.Listener
	network string
	addr    string
	armed   atomic.Bool
	stalls  atomic.Int32 // connections stalled so far
	wg      sync.WaitGroup
	mu      sync.Mutex
	conns   []net.Conn
}

func newStallProxy(t *testing.T, srv *redistest.Server) *stallProxy {
	t.Helper()
	network, addr := "tcp", strings.TrimPrefix(srv.URL, "redis://")
	if path, ok := strings.CutPrefix(srv.URL, "unix://"); ok {
		network, addr = "unix", path
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	p := &stallProxy{t: t, ln: ln, network: network, addr: addr}
	p.wg.Go(p.accept)
	t.Cleanup(p.close)
	return p
}

// client connects through the proxy, with a short read timeout so a
// stalled reply times out fast, and go-redis's usual retries. It is
// connected already (pipelines have a pool of their own), so the next reply
// is a command's, not a new connection's handshake.
func (p *stallProxy) client() redis.UniversalClient {
	c := redis.NewClient(&redis.Options{Addr: p.ln.Addr().String(), ReadTimeout: 300 * time.Millisecond, MaxRetries: 3})
	p.t.Cleanup(func() { c.Close() })
	if _, err := c.Pipelined(context.Background(), func(pl redis.Pipeliner) error { return pl.Ping(context.Background()).Err() }); err != nil {
		p.t.Fatal(err)
	}
	return c
}

// stallNext makes the proxy stall the connection of the next reply.
func (p *stallProxy) stallNext() { p.armed.Store(true) }

func (p *stallProxy) accept() {
	for {
		in, err := p.ln.Accept()
		if err != nil {
			return
		}
		out, err := net.Dial(p.network, p.addr)
		if err != nil {
			in.Close()
			continue
		}
		p.mu.Lock()
		p.conns = append(p.conns, in, out)
		p.mu.Unlock()
		p.wg.Go(func() { io.Copy(out, in); out.Close() })
		p.wg.Go(func() { p.replies(in, out); in.Close() })
	}
}

// replies copies Redis's replies to the client until the connection is
// stalled.
func (p *stallProxy) replies(client, redisConn net.Conn) {
	buf := make([]byte, 64<<10)
	stalled := false
	for {
		n, err := redisConn.Read(buf)
		if err != nil {
			return
		}
		if !stalled && p.armed.CompareAndSwap(true, false) {
			stalled = true
			p.stalls.Add(1)
		}
		if stalled {
			continue
		}
		if _, err := client.Write(buf[:n]); err != nil {
			return
		}
	}
}

func (p *stallProxy) close() {
	p.ln.Close()
	p.mu.Lock()
	for _, c := range p.conns {
		c.Close()
	}
	p.mu.Unlock()
	p.wg.Wait()
}

// A click whose Begin reply is lost to a stall is retried by go-redis; the
// retry finds the marks its own first attempt set and must go on, not take
// itself for a redelivery and leave the click unanswered.
func TestStalledReplyOfBeginDoesNotSwallowTheClick(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct{ name, label, want string }{
		{"message", "", "Which device"},
		{"click", "Continue", "with you?"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r := newFaultRig(t)
			proxy := newStallProxy(t, r.env.Redis)
			e, _ := r.newEngine(enginetest.WithConfig(func(c *bot.Config) { c.Store = store.New(proxy.client()) }))
			ev := r.event(bot.Message, "reset my passcode")
			if tc.label != "" {
				replies := r.converse(e, 2)
				ev = r.event(bot.Press, enginetest.Button(t, replies, tc.label))
			}
			proxy.stallNext()
			goth, err := e.Handle(context.Background(), ev, &enginetest.Recorder{})
			got := goth.Replies
			if proxy.stalls.Load() != 1 {
				t.Fatalf("the proxy stalled %d connections, want 1", proxy.stalls.Load())
			}
			if err != nil || !strings.Contains(enginetest.Text(got), tc.want) {
				t.Fatalf("after a stalled reply: %q, %v; want %q", enginetest.Text(got), err, tc.want)
			}
			// The platform's own redelivery is still one.
			if again := enginetest.Handle(t, e, ev); len(again) != 0 {
				t.Errorf("a redelivery was answered %q", enginetest.Text(again))
			}
		})
	}
}

// A save whose reply is lost to a stall is re-sent by go-redis: the re-send
// finds its own write and reports success, not a concurrent change.
func TestStalledReplyOfASaveIsNotAConflict(t *testing.T) {
	t.Parallel()
	srv := redistest.Start(t)
	proxy := newStallProxy(t, srv)
	s := store.New(proxy.client())
	conv := &bot.Conversation{ID: "C1", Owner: enginetest.Adele, Step: "card"}
	if err := s.Save(context.Background(), conv); err != nil {
		t.Fatal(err)
	}
	conv.Step = "confirm"
	proxy.stallNext()
	if err := s.Commit(context.Background(), conv, nil, nil); err != nil || conv.Version != 2 {
		t.Fatalf("save after a stalled reply: %v, version %d; want saved as version 2", err, conv.Version)
	}
	if proxy.stalls.Load() != 1 {
		t.Fatalf("the proxy stalled %d connections, want 1", proxy.stalls.Load())
	}
	b, err := store.New(srv.Client()).Begin(context.Background(), enginetest.Adele, "", "")
	if err != nil || b.Conv == nil || b.Conv.Version != 2 || b.Conv.Step != "confirm" {
		t.Fatalf("stored: %+v, %v", b.Conv, err)
	}
	// A concurrent save from the version before still loses.
	stale := &bot.Conversation{ID: "C1", Owner: enginetest.Adele, Version: 1, Step: "other"}
	if err := s.Save(context.Background(), stale); !errors.Is(err, bot.ErrConflict) {
		t.Errorf("a save from version 1 after version 2: %v, want ErrConflict", err)
	}
}

// A reset's count whose reply is lost to a stall is re-sent by go-redis:
// the re-send finds its attempt counted, so the try counts once, its start
// is recorded once, and it goes on.
func TestStalledReplyOfACountCountsOnce(t *testing.T) {
	t.Parallel()
	srv := redistest.Start(t)
	proxy := newStallProxy(t, srv)
	s := store.New(proxy.client())
	ctx, now, day := context.Background(), time.Date(2026, 11, 25, 9, 0, 0, 0, time.UTC), 24*time.Hour
	q := bot.Quota{Window: day, Now: now, Limits: map[string]int{"user:a": 2, "device:d": 5}}
	rec := bot.AuditRecord{Time: now, Actor: enginetest.Adele.Key(), Action: "reset_started", Device: "d", Outcome: "started"}
	proxy.stallNext()
	if ok, _, err := s.CommitCounted(ctx, q, nil, []bot.AuditRecord{rec}); !ok || err != nil {
		t.Fatalf("count after a stalled reply: %v, %v; want counted", ok, err)
	}
	if proxy.stalls.Load() != 1 {
		t.Fatalf("the proxy stalled %d connections, want 1", proxy.stalls.Load())
	}
	direct := store.New(srv.Client())
	if audit, err := direct.RecentAudit(ctx, enginetest.Adele.Key(), 10); len(audit) != 1 || err != nil {
		t.Errorf("audit trail %+v, %v; want one reset_started", audit, err)
	}
	if ok, _, err := direct.Check(ctx, day, now, map[string]int{"user:a": 2}); !ok || err != nil {
		t.Errorf("after one try the user has %v room (%v), want one more try", ok, err)
	}
}
