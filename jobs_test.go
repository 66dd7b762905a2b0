package main

import (
	"bytes"
	"context"
	"errors"
	"log/slog"
	"strings"
	"testing"
	"time"

	"github.com/passbot/passbot/internal/enginetest"
	"github.com/passbot/passbot/ops"
)

// With Redis down the sweep fails every second on every replica: the log
// says so once, the job backs off, and the log says when it works again.
func TestFailingJobLogsItsOutageOnceAndBacksOff(t *testing.T) {
	var logs bytes.Buffer
	clock := enginetest.NewClock()
	o := &jobOutage{name: "follow-up sweep", log: ops.NewLogger(&logs, slog.LevelInfo), now: clock.Now}
	down := errors.New("dial tcp 10.0.0.5:6379: connect: connection refused")
	runs := 0
	result := down
	job := func(context.Context) error { runs++; return result }
	// Ten minutes of ticks, one a second, Redis down throughout.
	for range 600 {
		o.run(context.Background(), job)
		clock.Advance(time.Second)
	}
	if n := strings.Count(logs.String(), "\n"); n != 1 || !strings.Contains(logs.String(), `"level":"ERROR","msg":"follow-up sweep fails`) {
		t.Errorf("%d log lines for a 10-minute outage, want 1 error:\n%s", n, logs.String())
	}
	// 1+2+4+…+32+60+60… seconds apart: 6 runs in the first 63 s, then
	// one a minute.
	if runs < 14 || runs > 16 {
		t.Errorf("%d runs in 10 minutes of outage, want about 15 (backing off to one a minute)", runs)
	}
	result = nil
	for range 61 { // the backoff ends within a minute
		o.run(context.Background(), job)
		clock.Advance(time.Second)
	}
	if !strings.Contains(logs.String(), `"level":"INFO","msg":"follow-up sweep works again"`) || strings.Count(logs.String(), "\n") != 2 {
		t.Errorf("recovery not logged once:\n%s", logs.String())
	}
	before := runs
	o.run(context.Background(), job)
	if runs != before+1 {
		t.Error("a job that works again is backed off")
	}
}
