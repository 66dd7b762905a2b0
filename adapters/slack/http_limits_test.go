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
