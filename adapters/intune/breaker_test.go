package intune

import (
	"context"
	"errors"
	"slices"
	"strings"
	"testing"
	"testing/synctest"
	"time"

	"github.com/passbot/passbot/adapters/intune/graphtest"
	"github.com/passbot/passbot/bot"
	"github.com/passbot/passbot/internal/enginetest"
)

// TestCircuitBreaker runs each case in a synctest bubble: gobreaker cools
// down on the wall clock, which the bubble fakes, so advance moves time at
// once instead of waiting. The fake Graph starts outside the bubble and the
// client calls it in process, without a socket.
func TestCircuitBreaker(t *testing.T) {
	t.Parallel()
	key := "GET /deviceManagement/managedDevices/" + workDevice
	const cooldown = time.Minute
	var obs *callLog
	setup := func(t *testing.T, f *graphtest.Server) (*Client, *enginetest.SyncBuffer) {
		cfg := fakeConfig(f)
		cfg.MaxAttempts = 1
		obs = &callLog{}
		return newClientVia(t, f.InProcessClient(), cfg, newFakeClock(), WithBreaker(2, cooldown), WithObserver(obs))
	}
	advance := time.Sleep
	bubble := func(name string, test func(t *testing.T, f *graphtest.Server)) {
		t.Run(name, func(t *testing.T) {
			f := newFakeGraph(t)
			synctest.Test(t, func(t *testing.T) { test(t, f) })
		})
	}
	call := func(t *testing.T, c *Client) error {
		t.Helper()
		_, err := c.ResetStatus(t.Context(), workDevice, time.Time{})
		return err
	}
	requests := func(f *graphtest.Server) int { return len(f.Requests()) }

	bubble("opens after consecutive outages, half-opens after the cool-down", func(t *testing.T, f *graphtest.Server) {
		c, logs := setup(t, f)
		f.Queue(key, canned{Status: 503}, canned{Status: 504})
		for range 2 {
			if err := call(t, c); bot.ErrorCode(err) != ErrCodeUnavailable || errors.Is(err, ErrCircuitOpen) {
				t.Fatalf("outage: err %v", err)
			}
		}
		err := call(t, c)
		if bot.ErrorCode(err) != ErrCodeUnavailable || !errors.Is(err, ErrCircuitOpen) {
			t.Fatalf("open circuit: err %v, want unavailable wrapping ErrCircuitOpen", err)
		}
		if n := requests(f); n != 2 {
			t.Fatalf("%d requests, want 2: an open circuit calls nobody", n)
		}
		if !strings.Contains(logs.String(), "circuit open") {
			t.Error("opening was not logged")
		}
		if want := []bool{true}; !slices.Equal(obs.circuit, want) {
			t.Errorf("observer told open=%v, want %v", obs.circuit, want)
		}

		advance(59 * time.Second)
		if err := call(t, c); !errors.Is(err, ErrCircuitOpen) {
			t.Fatalf("still cooling down: err %v", err)
		}

		advance(time.Second + time.Millisecond) // past the cool-down
		f.Queue(key, canned{Status: 503})
		if err := call(t, c); bot.ErrorCode(err) != ErrCodeUnavailable || errors.Is(err, ErrCircuitOpen) {
			t.Fatalf("failed probe: err %v, want the 503 itself", err)
		}
		if err := call(t, c); !errors.Is(err, ErrCircuitOpen) {
			t.Fatalf("after a failed probe: err %v, want open again", err)
		}
		if n := requests(f); n != 3 {
			t.Fatalf("%d requests, want 3 (one probe)", n)
		}

		advance(cooldown + time.Millisecond)
		if err := call(t, c); err != nil {
			t.Fatalf("good probe: %v", err)
		}
		if err := call(t, c); err != nil {
			t.Fatalf("closed again: %v", err)
		}
		if n := requests(f); n != 5 {
			t.Fatalf("%d requests, want 5", n)
		}
		if !strings.Contains(logs.String(), "circuit closed") {
			t.Error("closing was not logged")
		}
		// Opened, re-opened by the failed probe, closed.
		if want := []bool{true, true, false}; !slices.Equal(obs.circuit, want) {
			t.Errorf("observer told open=%v, want %v", obs.circuit, want)
		}
	})

	bubble("success resets the count", func(t *testing.T, f *graphtest.Server) {
		c, _ := setup(t, f)
		f.Queue(key, canned{Status: 503})
		call(t, c)
		if err := call(t, c); err != nil {
			t.Fatal(err)
		}
		f.Queue(key, canned{Status: 503})
		call(t, c)
		if err := call(t, c); err != nil {
			t.Fatalf("two outages with a success between opened the circuit: %v", err)
		}
	})

	bubble("client errors do not open it", func(t *testing.T, f *graphtest.Server) {
		c, _ := setup(t, f)
		for range 3 {
			if _, err := c.ResetStatus(t.Context(), "00000000-gone", time.Time{}); bot.ErrorCode(err) != ErrCodeNotFound {
				t.Fatalf("err %v, want not found", err)
			}
		}
		f.Queue("POST /deviceManagement/managedDevices/"+androidDevice+"/resetPasscode",
			canned{Status: 403, Fixture: "error_403.json"}, canned{Status: 403, Fixture: "error_403.json"})
		for range 2 {
			if _, err := c.ResetPasscode(t.Context(), androidDevice); bot.ErrorCode(err) != ErrCodeForbidden {
				t.Fatalf("err %v, want forbidden", err)
			}
		}
		if err := call(t, c); err != nil {
			t.Fatalf("circuit opened on client errors: %v", err)
		}
	})

	bubble("one probe at a time, and a cancelled probe lets the next call probe", func(t *testing.T, f *graphtest.Server) {
		c, _ := setup(t, f)
		f.Queue(key, canned{Status: 503}, canned{Status: 503})
		call(t, c)
		call(t, c)
		advance(cooldown + time.Millisecond)

		arrived := make(chan struct{})
		f.Queue(key, canned{Hang: true, Arrived: arrived})
		ctx, cancel := context.WithCancel(t.Context())
		done := make(chan error)
		go func() {
			_, err := c.ResetStatus(ctx, workDevice, time.Time{})
			done <- err
		}()
		<-arrived
		if err := call(t, c); !errors.Is(err, ErrCircuitOpen) {
			t.Fatalf("second call during the probe: err %v, want open", err)
		}
		cancel()
		if err := <-done; bot.ErrorCode(err) != ErrCodeUnavailable {
			t.Fatalf("cancelled probe: err %v", err)
		}
		if err := call(t, c); err != nil {
			t.Fatalf("next probe: %v", err)
		}
	})
}
