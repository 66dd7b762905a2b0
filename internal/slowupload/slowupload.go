// Package slowupload is hostile traffic for tests of the public endpoints:
// uploads from another loopback address that announce a body, send part of
// it and stall, and a handler wrapper that tells when the server has taken
// each of them in.
package slowupload

import (
	"fmt"
	"io"
	"net"
	"net/http"
	"runtime"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

// From is the loopback address the uploads come from, apart from the
// genuine requests of a test (127.0.0.1).
const From = "127.0.0.2"

// Upload is what each upload sends.
type Upload struct {
	// Head is the request line and the headers, without Content-Length
	// and the blank line; it is called for every connection (a fresh
	// timestamp).
	Head func() string
	// Announce is the Content-Length; Send how much of it is sent.
	Announce, Send int
	// Renew starts an upload again as soon as the server answers or
	// closes it, until stop.
	Renew bool
}

// Flood keeps n uploads going to addr from From. stop ends them and waits;
// it is also called at the test's end.
func Flood(t testing.TB, addr string, n int, u Upload) (stop func()) {
	t.Helper()
	dialer := &net.Dialer{LocalAddr: &net.TCPAddr{IP: net.ParseIP(From)}}
	body := []byte(strings.Repeat("x", u.Send))
	done := make(chan struct{})
	var mu sync.Mutex
	open := map[net.Conn]bool{}
	var wg sync.WaitGroup
	for range n {
		wg.Go(func() {
			for {
				c, err := dialer.Dial("tcp", addr)
				if err != nil {
					return // stopped, or out of ports: the others keep going
				}
				mu.Lock()
				select {
				case <-done:
					mu.Unlock()
					_ = c.Close()
					return
				default:
				}
				open[c] = true
				mu.Unlock()
				// Write errors are expected: a refused upload is cut off.
				// The body is written from one shared slice, so that the
				// uploads add nothing to the heap of the test's process.
				if _, err := fmt.Fprintf(c, "%sContent-Length: %d\r\n\r\n", u.Head(), u.Announce); err == nil {
					_, _ = c.Write(body)
				}
				awaitClose(c)
				mu.Lock()
				delete(open, c)
				mu.Unlock()
				_ = c.Close()
				if !u.Renew {
					return
				}
			}
		})
	}
	var once sync.Once
	stop = func() {
		once.Do(func() {
			mu.Lock()
			close(done)
			for c := range open {
				_ = c.Close()
			}
			mu.Unlock()
			wg.Wait()
		})
	}
	t.Cleanup(stop)
	return stop
}

// awaitClose reads c until the server closes it, a byte at a time: the
// answers are short, and io.Copy would hold 32 KiB for every upload in the
// heap being measured.
func awaitClose(c net.Conn) {
	var b [1]byte
	for {
		if _, err := c.Read(b[:]); err != nil {
			return
		}
	}
}

// Watch wraps h: Taken is closed once n requests from From were taken in,
// each when the handler has read at bytes of its body or returned,
// whichever comes first.
func Watch(h http.Handler, n int64, at int) *Watcher {
	return &Watcher{h: h, n: n, at: at, Taken: make(chan struct{})}
}

// Watcher is a handler wrapped by Watch.
type Watcher struct {
	h     http.Handler
	n     int64
	at    int
	taken atomic.Int64
	// Taken is closed once n uploads were taken in.
	Taken chan struct{}
}

func (wa *Watcher) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if host, _, _ := net.SplitHostPort(r.RemoteAddr); host != From {
		wa.h.ServeHTTP(w, r)
		return
	}
	body := &watched{ReadCloser: r.Body, at: wa.at, taken: wa.took}
	r.Body = body
	wa.h.ServeHTTP(w, r)
	body.once.Do(wa.took)
}

// Wait waits until the uploads were taken in, a minute at most.
func (wa *Watcher) Wait(t testing.TB) {
	t.Helper()
	select {
	case <-wa.Taken:
	case <-time.After(time.Minute):
		t.Fatalf("%d of %d uploads taken in within a minute", wa.taken.Load(), wa.n)
	}
}

func (wa *Watcher) took() {
	if wa.taken.Add(1) == wa.n {
		close(wa.Taken)
	}
}

// watched calls taken once its reader has read at bytes.
type watched struct {
	io.ReadCloser
	at, n int
	taken func()
	once  sync.Once
}

func (b *watched) Read(p []byte) (int, error) {
	n, err := b.ReadCloser.Read(p)
	if b.n += n; b.n >= b.at {
		b.once.Do(b.taken)
	}
	return n, err
}

// Refusals is a RefusalCounter (Slack's, Teams') that keeps its counts.
type Refusals struct {
	mu sync.Mutex
	n  map[string]int
}

// HTTPRefused counts a refusal for reason.
func (r *Refusals) HTTPRefused(reason string) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.n == nil {
		r.n = map[string]int{}
	}
	r.n[reason]++
}

// Count is the refusals counted for reason.
func (r *Refusals) Count(reason string) int {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.n[reason]
}

// String lists the counts.
func (r *Refusals) String() string {
	r.mu.Lock()
	defer r.mu.Unlock()
	return fmt.Sprint(r.n)
}

// HeapInUse is the heap in use after a collection.
func HeapInUse() uint64 {
	runtime.GC()
	var m runtime.MemStats
	runtime.ReadMemStats(&m)
	return m.HeapInuse
}
