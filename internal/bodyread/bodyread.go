// Package bodyread reads the bodies of webhook requests (Slack's, the Bot
// Connector's) before anything in them is believed: a bounded number at
// once, each within a deadline and a size, so that anyone able to open a
// connection can make passbot hold only a bounded amount of memory.
//
// A full set of slots is no reason to turn a request away. The platforms
// send a body at once, with its headers, and it is read in well under a
// millisecond (from the buffer the headers were read into); a body still
// being read when the slots are all taken is most likely one sent slowly
// on purpose. So a request that finds every slot taken cuts off the body
// that has been reading longest and takes its slot at once: stalled
// uploads, however many and from wherever, neither hold a genuine request
// back nor make it wait in line behind them.
package bodyread

import (
	"context"
	"errors"
	"io"
	"net/http"
	"slices"
	"sync"
	"time"
)

// slotWait bounds how long a request waits when the slots are all taken
// and as many readers cut off have not let go yet (a flood of requests
// faster than the readers are scheduled).
const slotWait = time.Second

// Why a body was not read.
var (
	// ErrTooLarge: the body is, or was announced, over the size limit.
	ErrTooLarge = errors.New("bodyread: body too large")
	// ErrBusy: no slot came free within slotWait, or the request ended
	// while waiting.
	ErrBusy = errors.New("bodyread: too many bodies being read")
	// ErrCutOff: a newer request took the slot of this one, which had
	// been reading longest.
	ErrCutOff = errors.New("bodyread: cut off for a newer request")
	// ErrUnread: the body did not arrive within the deadline, or the
	// connection broke.
	ErrUnread = errors.New("bodyread: body not read")
)

// Readers reads request bodies: at most slots at once, and at most as many
// again that were cut off and are letting go, so at most 2*slots*maxBody
// bytes of them are held.
type Readers struct {
	maxBody  int64
	readTime time.Duration
	slots    int

	mu      sync.Mutex
	holders []*reading    // holding a slot, oldest first
	leaving int           // cut off, not returned yet
	left    chan struct{} // closed and replaced when one returns
}

// reading is one body being read.
type reading struct {
	cut    func()
	cutOff bool // guarded by Readers.mu
}

// New returns Readers that read at most slots bodies at once, each of at
// most maxBody bytes within readTime.
func New(slots int, maxBody int64, readTime time.Duration) *Readers {
	return &Readers{maxBody: maxBody, readTime: readTime, slots: slots, left: make(chan struct{})}
}

// Read reads r's body. The connection's read deadline is moved to bound the
// read; a ResponseWriter without a connection (a test's recorder) leaves
// the server's ReadTimeout as the bound, and cannot be cut off.
func (rs *Readers) Read(w http.ResponseWriter, r *http.Request) ([]byte, error) {
	if r.ContentLength > rs.maxBody {
		return nil, ErrTooLarge
	}
	rc := http.NewResponseController(w)
	// Set before the slot is taken, so that a cut made as soon as it is
	// taken is not undone.
	_ = rc.SetReadDeadline(time.Now().Add(rs.readTime))
	me := &reading{cut: func() { _ = rc.SetReadDeadline(time.Unix(1, 0)) }}
	if err := rs.acquire(r.Context(), me); err != nil {
		return nil, err
	}
	body, err := io.ReadAll(http.MaxBytesReader(w, r.Body, rs.maxBody))
	cutOff := rs.release(me)
	switch {
	case err == nil:
		// Even if cut off as it finished: the body is whole. (Its
		// request's context may end, the server seeing the cut as a
		// broken connection; being the oldest reader for the instant
		// between its last byte and release is rare.)
		return body, nil
	case cutOff:
		return nil, ErrCutOff
	}
	if _, ok := errors.AsType[*http.MaxBytesError](err); ok {
		return nil, ErrTooLarge
	}
	return nil, errors.Join(ErrUnread, err)
}

// acquire gives me a slot: a free one, else the one of the oldest reader,
// which it cuts off.
func (rs *Readers) acquire(ctx context.Context, me *reading) error {
	var timeout <-chan time.Time
	for {
		rs.mu.Lock()
		switch {
		case len(rs.holders) < rs.slots:
			rs.holders = append(rs.holders, me)
			rs.mu.Unlock()
			return nil
		case rs.leaving < rs.slots:
			old := rs.holders[0]
			old.cutOff = true
			old.cut()
			rs.leaving++
			rs.holders = append(rs.holders[1:], me)
			rs.mu.Unlock()
			return nil
		}
		left := rs.left
		rs.mu.Unlock()
		if timeout == nil {
			t := time.NewTimer(slotWait)
			defer t.Stop()
			timeout = t.C
		}
		select {
		case <-left:
		case <-timeout:
			return ErrBusy
		case <-ctx.Done():
			return ErrBusy
		}
	}
}

// release gives me's slot back, or lets go of it when it was cut off, and
// reports which.
func (rs *Readers) release(me *reading) (cutOff bool) {
	rs.mu.Lock()
	defer rs.mu.Unlock()
	if me.cutOff {
		rs.leaving--
		close(rs.left)
		rs.left = make(chan struct{})
		return true
	}
	rs.holders = slices.DeleteFunc(rs.holders, func(r *reading) bool { return r == me })
	return false
}

// Refusal is how to answer a request whose body Read did not read: the
// reason, for passbot_http_refused_total, and the HTTP status. Cut off and
// busy are 503s, which Slack and the Bot Connector retry.
func Refusal(err error) (reason string, status int) {
	switch {
	case errors.Is(err, ErrTooLarge):
		return "too_large", http.StatusRequestEntityTooLarge
	case errors.Is(err, ErrBusy):
		return "busy", http.StatusServiceUnavailable
	case errors.Is(err, ErrCutOff):
		return "cut_off", http.StatusServiceUnavailable
	}
	return "unreadable", http.StatusBadRequest
}

// LeaveUnread prepares the answer to a request whose body is not wanted (a
// refusal): the connection is closed after the answer, and what is left of
// the body is not read. Without it the server reads up to 256 KiB of the
// rest, as slowly as it is sent, to keep the connection, even when the
// answer says Connection: close.
func LeaveUnread(w http.ResponseWriter) {
	w.Header().Set("Connection", "close")
	_ = http.NewResponseController(w).SetReadDeadline(time.Unix(1, 0))
}
