package slack

import (
	"bufio"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"runtime"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

// refusals is a RefusalCounter that keeps its counts.
type refusals struct {
	mu sync.Mutex
	n  map[string]int
}

func (r *refusals) HTTPRefused(reason string) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.n == nil {
		r.n = map[string]int{}
	}
	r.n[reason]++
}

func (r *refusals) count(reason string) int {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.n[reason]
}

// tripwire is a request body that records whether anyone read it.
type tripwire struct{ read bool }

func (t *tripwire) Read(p []byte) (int, error) {
	t.read = true
	return 0, io.EOF
}

// A forged request is turned away on its headers: its body is never read,
// the refusal is counted under its reason, and nothing is logged at info.
func TestHTTPRefusesOnHeadersBeforeReadingTheBody(t *testing.T) {
	h := newHarness(t, ModeHTTP, "en-US")
	now := time.Now()
	ts := strconv.FormatInt(now.Unix(), 10)
	goodSig := sign(secret, ts, []byte("{}"))
	for _, tc := range []struct {
		name, sig, ts string
		length        int64
		want          int
		reason        string
	}{
		{name: "no signature", ts: ts, want: http.StatusUnauthorized, reason: "unsigned"},
		{name: "signature not v0 hex", sig: "v0=nothex", ts: ts, want: http.StatusUnauthorized, reason: "unsigned"},
		{name: "no timestamp", sig: goodSig, want: http.StatusUnauthorized, reason: "unsigned"},
		{name: "timestamp 6 minutes old", sig: goodSig, ts: strconv.FormatInt(now.Add(-6*time.Minute).Unix(), 10), want: http.StatusUnauthorized, reason: "stale"},
		{name: "timestamp 6 minutes ahead is not called too old", sig: goodSig, ts: strconv.FormatInt(now.Add(6*time.Minute).Unix(), 10), want: http.StatusUnauthorized, reason: "future"},
		{name: "body announced over the cap", sig: goodSig, ts: ts, length: 1 << 20, want: http.StatusRequestEntityTooLarge, reason: "too_large"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			counted := &refusals{}
			body := &tripwire{}
			r := httptest.NewRequest(http.MethodPost, "/slack/events", body)
			r.ContentLength = tc.length
			if tc.sig != "" {
				r.Header.Set("X-Slack-Signature", tc.sig)
			}
			if tc.ts != "" {
				r.Header.Set("X-Slack-Request-Timestamp", tc.ts)
			}
			rec := httptest.NewRecorder()
			h.a.HTTPHandler(counted).ServeHTTP(rec, r)
			if rec.Code != tc.want {
				t.Errorf("status %d, want %d", rec.Code, tc.want)
			}
			if body.read {
				t.Errorf("the body was read before the headers were checked")
			}
			if n := counted.count(tc.reason); n != 1 {
				t.Errorf("refusals counted as %q: %d, want 1 (%v)", tc.reason, n, counted.n)
			}
		})
	}
	if strings.Contains(h.logs.String(), "level=WARN") || strings.Contains(h.logs.String(), "too old") {
		t.Errorf("refusals were logged above debug:\n%s", h.logs.String())
	}
}

// Four hundred uploads with plausible signature headers that send all but
// their last byte and then stall: the bot must not hold their bodies. Each
// is 256 KiB less one byte, the most a body may be; the figures are printed.
func TestSlowUnsignedUploadsHoldLittleMemory(t *testing.T) {
	const (
		uploads = 400
		size    = 256<<10 - 1
		budget  = 40 << 20 // what the uploads may add to the heap
	)
	h := newHarness(t, ModeHTTP, "en-US")
	counted := &refusals{}
	// Each upload signals once: when the server has read all it sent, or
	// when the handler returned (refused it).
	progress := make(chan struct{}, uploads)
	inner := h.a.HTTPHandler(counted)
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		r.Body = &signalAt{ReadCloser: r.Body, at: size - 1, signal: progress}
		inner.ServeHTTP(w, r)
		r.Body.(*signalAt).once.Do(func() { progress <- struct{}{} })
	}))
	t.Cleanup(srv.Close)

	before := heapInUse()
	ts := strconv.FormatInt(time.Now().Unix(), 10)
	sig := "v0=" + strings.Repeat("ab", 32)
	chunk := strings.Repeat("x", size-1)
	conns := make([]net.Conn, 0, uploads)
	var wg sync.WaitGroup
	for range uploads {
		c, err := net.Dial("tcp", srv.Listener.Addr().String())
		if err != nil {
			t.Fatal(err)
		}
		conns = append(conns, c)
		wg.Go(func() {
			// Write errors are expected: a refused upload is cut off.
			w := bufio.NewWriter(c)
			fmt.Fprintf(w, "POST /slack/events HTTP/1.1\r\nHost: bot\r\nContent-Type: application/json\r\n"+
				"X-Slack-Request-Timestamp: %s\r\nX-Slack-Signature: %s\r\nContent-Length: %d\r\n\r\n%s", ts, sig, size, chunk)
			w.Flush()
		})
	}
	for range uploads {
		<-progress
	}
	during := heapInUse()
	wg.Wait()
	for _, c := range conns {
		c.Close()
	}
	grew := int64(during) - int64(before)
	t.Logf("%d stalled uploads of %d KiB: heap in use %.1f MiB before, %.1f MiB during (+%.1f MiB); refused busy %d",
		uploads, size>>10, mib(before), mib(during), float64(grew)/(1<<20), counted.count("busy"))
	if grew > budget {
		t.Errorf("stalled uploads grew the heap by %.1f MiB, budget %d MiB", float64(grew)/(1<<20), budget>>20)
	}
}

// signalAt sends on signal once its reader has read at bytes.
type signalAt struct {
	io.ReadCloser
	at     int
	n      int
	signal chan<- struct{}
	once   sync.Once
}

func (s *signalAt) Read(p []byte) (int, error) {
	n, err := s.ReadCloser.Read(p)
	s.n += n
	if s.n >= s.at {
		s.once.Do(func() { s.signal <- struct{}{} })
	}
	return n, err
}

func heapInUse() uint64 {
	runtime.GC()
	var m runtime.MemStats
	runtime.ReadMemStats(&m)
	return m.HeapInuse
}

func mib(b uint64) float64 { return float64(b) / (1 << 20) }

// Slow uploads with forged signature headers, from another address and
// renewed as soon as they are cut off, must not keep Slack out: every
// genuine signed request is acknowledged within Slack's 3 seconds. The
// figures are printed.
func TestGenuineRequestsAckedUnderSlowForgedUploads(t *testing.T) {
	for _, uploads := range []int{40, 400} {
		t.Run(strconv.Itoa(uploads)+" uploads", func(t *testing.T) {
			h := newHarness(t, ModeHTTP, "en-US")
			counted := &refusals{}
			inner := h.a.HTTPHandler(counted)
			// ready is closed once as many forged uploads as there are
			// began to have their body read (each then held a slot, or
			// took one from another upload) or were refused without.
			ready := make(chan struct{})
			var settled atomic.Int64
			srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				if !strings.HasPrefix(r.RemoteAddr, attacker+":") {
					inner.ServeHTTP(w, r)
					return
				}
				body := &firstRead{ReadCloser: r.Body, fn: func() {
					if settled.Add(1) == int64(uploads) {
						close(ready)
					}
				}}
				r.Body = body
				inner.ServeHTTP(w, r)
				body.once.Do(body.fn)
			}))
			t.Cleanup(srv.Close)
			stop := floodWithSlowUploads(t, srv.Listener.Addr().String(), uploads)
			t.Cleanup(stop)
			select {
			case <-ready:
			case <-time.After(time.Minute):
				t.Fatalf("the %d uploads did not all reach the handler within a minute", uploads)
			}

			const genuine = 24
			client := &http.Client{Timeout: 3 * time.Second}
			var slowest time.Duration
			acked := 0
			for i := range genuine {
				body := fmt.Appendf(nil, `{"type":"url_verification","challenge":"c%d"}`, i)
				ts := strconv.FormatInt(time.Now().Unix(), 10)
				req, _ := http.NewRequest(http.MethodPost, srv.URL+"/slack/events", strings.NewReader(string(body)))
				req.Header.Set("X-Slack-Request-Timestamp", ts)
				req.Header.Set("X-Slack-Signature", sign(secret, ts, body))
				begin := time.Now()
				res, err := client.Do(req)
				took := time.Since(begin)
				slowest = max(slowest, took)
				if err != nil {
					t.Errorf("genuine request %d: %v after %v", i, err, took)
					continue
				}
				res.Body.Close()
				if res.StatusCode != http.StatusOK {
					t.Errorf("genuine request %d: %s after %v", i, res.Status, took)
					continue
				}
				acked++
			}
			stop()
			t.Logf("%d slow forged uploads from %s: %d of %d genuine requests acked, slowest in %v; uploads cut off %d, refused busy %d",
				uploads, attacker, acked, genuine, slowest.Round(time.Millisecond), counted.count("cut_off"), counted.count("busy"))
		})
	}
}

// attacker is the loopback address the forged uploads come from.
const attacker = "127.0.0.2"

// floodWithSlowUploads keeps n uploads going to addr from attacker, each
// with a current timestamp and a forged signature, announcing the largest
// body allowed and sending 1 KiB of it; one cut off is started again at
// once. stop ends them and waits; it may be called again.
func floodWithSlowUploads(t *testing.T, addr string, n int) (stop func()) {
	t.Helper()
	dialer := &net.Dialer{LocalAddr: &net.TCPAddr{IP: net.ParseIP(attacker)}}
	done := make(chan struct{})
	var mu sync.Mutex
	open := map[net.Conn]bool{}
	var wg sync.WaitGroup
	for range n {
		wg.Go(func() {
			for {
				c, err := dialer.Dial("tcp", addr)
				if err != nil {
					return // stopped, or no address left: the rest keep going
				}
				mu.Lock()
				select {
				case <-done:
					mu.Unlock()
					c.Close()
					return
				default:
				}
				open[c] = true
				mu.Unlock()
				fmt.Fprintf(c, "POST /slack/events HTTP/1.1\r\nHost: bot\r\nContent-Type: application/json\r\n"+
					"X-Slack-Request-Timestamp: %d\r\nX-Slack-Signature: v0=%s\r\nContent-Length: %d\r\n\r\n%s",
					time.Now().Unix(), strings.Repeat("ab", 32), maxBody, strings.Repeat("x", 1<<10))
				_, _ = io.Copy(io.Discard, c) // until the server answers and closes
				mu.Lock()
				delete(open, c)
				mu.Unlock()
				c.Close()
			}
		})
	}
	var once sync.Once
	return func() {
		once.Do(func() {
			mu.Lock()
			close(done)
			for c := range open {
				c.Close()
			}
			mu.Unlock()
			wg.Wait()
		})
	}
}

// firstRead calls fn on its reader's first Read.
type firstRead struct {
	io.ReadCloser
	once sync.Once
	fn   func()
}

func (f *firstRead) Read(p []byte) (int, error) {
	f.once.Do(f.fn)
	return f.ReadCloser.Read(p)
}
