package teams

import (
	"crypto/rand"
	"crypto/rsa"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/passbot/passbot/internal/enginetest"
	"github.com/passbot/passbot/internal/slowupload"
)

// A request without a good token is refused on its headers: its body is
// never read.
func TestARequestWithoutAGoodTokenIsRefusedUnread(t *testing.T) {
	t.Parallel()
	hs := newHarness(t, &enginetest.Scripted{}, nil)
	other, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		t.Fatal(err)
	}
	for name, header := range map[string]string{
		"no token":     "",
		"forged token": "Bearer " + hs.bf.Sign(hs.bf.Claims(hs.bf.ServiceURL), other),
	} {
		t.Run(name, func(t *testing.T) {
			counted := &slowupload.Refusals{}
			body := &tripwire{}
			r := httptest.NewRequest(http.MethodPost, "/api/messages", body)
			r.Header.Set("Authorization", header)
			rec := httptest.NewRecorder()
			hs.adapter.endpoint(counted).ServeHTTP(rec, r)
			if rec.Code != http.StatusUnauthorized || counted.Count("unauthorized") != 1 {
				t.Errorf("status %d, refusals %v; want 401, one unauthorized", rec.Code, counted)
			}
			if body.read {
				t.Error("the body was read before the token was checked")
			}
		})
	}
}

// tripwire is a request body that records whether anyone read it.
type tripwire struct{ read bool }

func (t *tripwire) Read([]byte) (int, error) {
	t.read = true
	return 0, fmt.Errorf("tripwire")
}

// Four hundred uploads with a forged token that send all but the last
// byte of the largest body allowed and stall: passbot holds none of their
// bodies, and the heap stays within a few MB. The figures are printed.
func TestSlowUnsignedUploadsHoldLittleMemory(t *testing.T) {
	const (
		uploads = 400
		size    = maxBody - 1
		// budget is what the uploads may add to the heap: the server's own
		// buffers of each connection (bufio reader and writer, 4 KiB each,
		// the request and its token), held until it closes it, come to 5
		// to 8 MiB under the race detector; the bodies to none of it.
		budget = 12 << 20
	)
	hs := newHarness(t, &enginetest.Scripted{}, nil)
	other, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		t.Fatal(err)
	}
	forged := hs.bf.Sign(hs.bf.Claims(hs.bf.ServiceURL), other)
	counted := &slowupload.Refusals{}
	watch := slowupload.Watch(hs.adapter.endpoint(counted), uploads, size-1)
	srv := httptest.NewServer(watch)
	t.Cleanup(srv.Close)

	before := slowupload.HeapInUse()
	stop := slowupload.Flood(t, srv.Listener.Addr().String(), uploads, slowupload.Upload{
		Head: func() string {
			return "POST /api/messages HTTP/1.1\r\nHost: bot\r\nContent-Type: application/json\r\nAuthorization: Bearer " + forged + "\r\n"
		},
		Announce: size, Send: size - 1,
	})
	watch.Wait(t)
	during := slowupload.HeapInUse()
	stop()
	grew := int64(during) - int64(before)
	t.Logf("%d stalled uploads of %d KiB with a forged token: heap in use %.1f MiB before, %.1f MiB during (%+.1f MiB); refused %v",
		uploads, size>>10, float64(before)/(1<<20), float64(during)/(1<<20), float64(grew)/(1<<20), counted)
	if grew > budget {
		t.Errorf("stalled uploads grew the heap by %.1f MiB, budget %d MiB", float64(grew)/(1<<20), budget>>20)
	}
	if n := counted.Count("unauthorized"); n != uploads {
		t.Errorf("%d uploads refused as unauthorized, want %d", n, uploads)
	}
	if strings.Contains(hs.logs.String(), `"level":"WARN"`) {
		t.Errorf("refusals were logged above debug:\n%s", hs.logs.String())
	}
}
