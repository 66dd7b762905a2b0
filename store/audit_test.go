package store_test

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/passbot/passbot/bot"
	"github.com/passbot/passbot/store"
	"github.com/passbot/passbot/store/redistest"
)

// A log shipper forwards the audit trail incrementally: each export
// starts after the ID the previous one ended with, or at a time, and every
// line carries its entry ID.
func TestAuditExportSince(t *testing.T) {
	ctx := context.Background()
	s := store.New(redistest.Start(t).Client())
	day := time.Date(2026, 12, 1, 9, 0, 0, 0, time.UTC)
	for i, action := range []string{"request", "approve", "reset"} {
		if err := s.Audit(ctx, bot.AuditRecord{Time: day.Add(time.Duration(i) * time.Hour), Actor: "slack:U1", Action: action, Outcome: "ok"}); err != nil {
			t.Fatal(err)
		}
	}
	export := func(since string) ([]map[string]any, error) {
		t.Helper()
		c, err := store.ParseAuditCursor(since)
		if err != nil {
			t.Fatal(err)
		}
		var buf bytes.Buffer
		err = s.ExportAudit(ctx, &buf, c)
		var lines []map[string]any
		for l := range strings.Lines(buf.String()) {
			var m map[string]any
			if err := json.Unmarshal([]byte(l), &m); err != nil {
				t.Fatalf("not a JSON line: %q", l)
			}
			lines = append(lines, m)
		}
		return lines, err
	}
	all, err := export("")
	if err != nil || len(all) != 3 || all[0]["action"] != "request" || all[0]["id"] == "" {
		t.Fatalf("whole export: %v %v", all, err)
	}
	after, err := export(all[0]["id"].(string))
	if err != nil || len(after) != 2 || after[0]["action"] != "approve" {
		t.Errorf("export after the first ID: %v %v", after, err)
	}
	if none, err := export(all[2]["id"].(string)); err != nil || len(none) != 0 {
		t.Errorf("export after the last ID: %v %v", none, err)
	}

	// --since a time: the stream's IDs are the milliseconds they were
	// written at, not the record's time; everything written from then on.
	if all, err := export(time.Now().Add(-time.Minute).Format(time.RFC3339)); err != nil || len(all) != 3 {
		t.Errorf("export since a minute ago: %d lines, %v", len(all), err)
	}
	if none, err := export(time.Now().Add(time.Minute).Format(time.RFC3339)); err != nil || len(none) != 0 {
		t.Errorf("export since a minute from now: %v %v", none, err)
	}

	// An ID older than the oldest entry kept: the lines come, and the
	// error says some may be missing.
	if lines, err := export("1-0"); !errors.Is(err, store.ErrAuditTrimmed) || len(lines) != 3 {
		t.Errorf("export after a trimmed ID: %d lines, %v; want all and ErrAuditTrimmed", len(lines), err)
	}

	for _, bad := range []string{"yesterday", "1733650000000", "2026-12-01"} {
		if _, err := store.ParseAuditCursor(bad); err == nil {
			t.Errorf("--since %q accepted", bad)
		}
	}
}
