package bodyread

import (
	"errors"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/passbot/passbot/internal/slowupload"
)

// A body that stalls in the only slot is cut off when a newer request
// needs the slot, and the newer one is read at once: it neither waits for
// the stalled one's deadline nor is turned away.
func TestAStalledBodyIsCutOffForANewerOne(t *testing.T) {
	rs := New(1, 1<<10, time.Minute)
	stalled := make(chan error, 1)
	watch := slowupload.Watch(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, err := rs.Read(w, r)
		if host, _, _ := net.SplitHostPort(r.RemoteAddr); host == slowupload.From {
			stalled <- err
		}
		if err != nil {
			reason, status := Refusal(err)
			LeaveUnread(w)
			http.Error(w, reason, status)
			return
		}
		_, _ = w.Write(body)
	}), 1, 10)
	srv := httptest.NewServer(watch)
	t.Cleanup(srv.Close)
	slowupload.Flood(t, srv.Listener.Addr().String(), 1, slowupload.Upload{
		Head:     func() string { return "POST / HTTP/1.1\r\nHost: bot\r\n" },
		Announce: 100, Send: 10,
	})
	watch.Wait(t) // the stalled upload holds the slot, its 10 bytes read

	res, err := (&http.Client{Timeout: 10 * time.Second}).Post(srv.URL, "text/plain", strings.NewReader("genuine"))
	if err != nil {
		t.Fatal(err)
	}
	got, _ := io.ReadAll(res.Body)
	res.Body.Close()
	if res.StatusCode != http.StatusOK || string(got) != "genuine" {
		t.Errorf("the newer request: %s %q, want 200 with its body", res.Status, got)
	}
	select {
	case err := <-stalled:
		if !errors.Is(err, ErrCutOff) {
			t.Errorf("the stalled upload: %v, want cut off", err)
		}
		if reason, status := Refusal(err); reason != "cut_off" || status != http.StatusServiceUnavailable {
			t.Errorf("refused as %s %d, want cut_off 503", reason, status)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("the stalled upload was not cut off")
	}
}

func TestRefusals(t *testing.T) {
	for _, tc := range []struct {
		err    error
		reason string
		status int
	}{
		{ErrTooLarge, "too_large", http.StatusRequestEntityTooLarge},
		{ErrBusy, "busy", http.StatusServiceUnavailable},
		{ErrCutOff, "cut_off", http.StatusServiceUnavailable},
		{errors.Join(ErrUnread, io.ErrUnexpectedEOF), "unreadable", http.StatusBadRequest},
	} {
		if reason, status := Refusal(tc.err); reason != tc.reason || status != tc.status {
			t.Errorf("Refusal(%v) = %s %d, want %s %d", tc.err, reason, status, tc.reason, tc.status)
		}
	}
}
