package store_test

import (
	"bytes"
	"context"
	"encoding/json"
	"log/slog"
	"strings"
	"testing"
	"time"

	"github.com/passbot/passbot/store"
)

func TestRedisLogIsJSONAndHoldsBackRepeats(t *testing.T) {
	var buf bytes.Buffer
	now := time.Date(2026, 11, 30, 9, 0, 0, 0, time.UTC)
	l := store.NewRedisLog(slog.New(slog.NewJSONHandler(&buf, nil)))
	l.Now = func() time.Time { return now }
	ctx := context.Background()
	dial := "redis: %s:%d: connection pool: failed to dial after %d attempts: %v"
	for range 10 { // five seconds of an outage, twice a second
		l.Printf(ctx, dial, "pool.go", 42, 5, "connection refused")
		now = now.Add(500 * time.Millisecond)
	}
	l.Printf(ctx, "redis: sentinel: new master=%q", "mymaster")
	now = now.Add(time.Minute)
	l.Printf(ctx, dial, "pool.go", 42, 5, "connection refused")

	var lines []map[string]any
	for _, s := range strings.Split(strings.TrimSpace(buf.String()), "\n") {
		var m map[string]any
		if err := json.Unmarshal([]byte(s), &m); err != nil {
			t.Fatalf("not JSON: %q", s)
		}
		lines = append(lines, m)
	}
	if len(lines) != 3 {
		t.Fatalf("%d lines, want 3 (first dial failure, sentinel, dial failure a minute on):\n%s", len(lines), buf.String())
	}
	if lines[0]["level"] != "WARN" || lines[0]["msg"] != "redis client" {
		t.Errorf("first line %v", lines[0])
	}
	if lines[1]["repeated"] != nil || lines[2]["repeated"] != 9.0 {
		t.Errorf("repeated counts %v and %v, want none and 9", lines[1]["repeated"], lines[2]["repeated"])
	}
}
