package slack

import (
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/passbot/passbot/internal/slowupload"
)

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
			counted := &slowupload.Refusals{}
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
			if n := counted.Count(tc.reason); n != 1 {
				t.Errorf("refusals counted as %q: %d, want 1 (%v)", tc.reason, n, counted)
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
	counted := &slowupload.Refusals{}
	watch := slowupload.Watch(h.a.HTTPHandler(counted), uploads, size-1)
	srv := httptest.NewServer(watch)
	t.Cleanup(srv.Close)

	before := slowupload.HeapInUse()
	stop := slowupload.Flood(t, srv.Listener.Addr().String(), uploads, forged(size, size-1, false))
	watch.Wait(t)
	during := slowupload.HeapInUse()
	stop()
	grew := int64(during) - int64(before)
	t.Logf("%d stalled uploads of %d KiB: heap in use %.1f MiB before, %.1f MiB during (+%.1f MiB); cut off %d, refused busy %d",
		uploads, size>>10, mib(before), mib(during), float64(grew)/(1<<20), counted.Count("cut_off"), counted.Count("busy"))
	if grew > budget {
		t.Errorf("stalled uploads grew the heap by %.1f MiB, budget %d MiB", float64(grew)/(1<<20), budget>>20)
	}
}

// forged is an upload to /slack/events with a current timestamp and a
// signature of the right form that nobody made.
func forged(announce, send int, renew bool) slowupload.Upload {
	return slowupload.Upload{
		Head: func() string {
			return fmt.Sprintf("POST /slack/events HTTP/1.1\r\nHost: bot\r\nContent-Type: application/json\r\n"+
				"X-Slack-Request-Timestamp: %d\r\nX-Slack-Signature: v0=%s\r\n", time.Now().Unix(), strings.Repeat("ab", 32))
		},
		Announce: announce, Send: send, Renew: renew,
	}
}

func mib(b uint64) float64 { return float64(b) / (1 << 20) }

// Slow uploads with forged signature headers, from another address and
// renewed as soon as they are cut off, must not keep Slack out: every
// genuine signed request is acknowledged within Slack's 3 seconds. The
// figures are printed.
func TestGenuineRequestsAckedUnderSlowForgedUploads(t *testing.T) {
	acked, genuine, slowest, counted := underSlowForgedUploads(t, 40)
	if acked != genuine {
		t.Errorf("40 slow forged uploads from %s: %d of %d genuine requests acked", slowupload.From, acked, genuine)
	}
	t.Logf("40 slow forged uploads from %s: %d of %d genuine requests acked, slowest in %v; uploads cut off %d, refused busy %d",
		slowupload.From, acked, genuine, slowest.Round(time.Millisecond), counted.Count("cut_off"), counted.Count("busy"))
}

// BenchmarkGenuineRequestsUnderSlowForgedUploads measures the same under
// 400 uploads (issue 22's figure): the share of genuine requests acked and
// the slowest ack. A measurement, not a gate: on a loaded machine the
// flood's own scheduling decides the tail.
func BenchmarkGenuineRequestsUnderSlowForgedUploads(b *testing.B) {
	for range b.N {
		acked, genuine, slowest, _ := underSlowForgedUploads(b, 400)
		b.ReportMetric(100*float64(acked)/float64(genuine), "%acked")
		b.ReportMetric(float64(slowest.Milliseconds()), "ms-slowest")
	}
}

// underSlowForgedUploads floods the HTTP mode with uploads slow forged
// uploads from another loopback address and sends genuine signed requests
// meanwhile: how many were acked within Slack's 3 s, and the slowest.
func underSlowForgedUploads(t testing.TB, uploads int) (acked, genuine int, slowest time.Duration, counted *slowupload.Refusals) {
	h := newHarness(t, ModeHTTP, "en-US")
	counted = &slowupload.Refusals{}
	// Taken in: the body began to be read (the upload held a slot, or
	// took one from another) or the upload was refused.
	watch := slowupload.Watch(h.a.HTTPHandler(counted), int64(uploads), 1)
	srv := httptest.NewServer(watch)
	t.Cleanup(srv.Close)
	stop := slowupload.Flood(t, srv.Listener.Addr().String(), uploads, forged(maxBody, 1<<10, true))
	defer stop()
	watch.Wait(t)

	genuine = 24
	client := &http.Client{Timeout: 3 * time.Second}
	for i := range genuine {
		body := fmt.Appendf(nil, `{"type":"url_verification","challenge":"c%d"}`, i)
		ts := strconv.FormatInt(time.Now().Unix(), 10)
		req, _ := http.NewRequest(http.MethodPost, srv.URL+"/slack/events", strings.NewReader(string(body)))
		req.Header.Set("X-Slack-Request-Timestamp", ts)
		req.Header.Set("X-Slack-Signature", sign(secret, ts, body))
		begin := time.Now()
		res, err := client.Do(req)
		slowest = max(slowest, time.Since(begin))
		if err != nil {
			continue
		}
		res.Body.Close()
		if res.StatusCode == http.StatusOK {
			acked++
		}
	}
	return acked, genuine, slowest, counted
}
