package main

import (
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"regexp"
	"slices"
	"strings"
	"testing"

	"github.com/passbot/passbot/adapters/intune/graphtest"
	"github.com/passbot/passbot/ops"
)

// The operator's files name metrics by hand; a typo would leave a panel
// empty or an alert that never fires. Every passbot_* name in them must be
// a series the real program exposes on /metrics once it has done some work.
var operatorFiles = []string{"deploy/grafana/passbot.json", "deploy/prometheus/alerts.yaml"}

func TestDashboardAndAlertsUseRealMetrics(t *testing.T) {
	fake, id := meganGraph(t)
	fake.OnReset(id, graphtest.Done("5093-1846"))
	c := startGraphChat(t, fake, megan)
	c.resetAndroid6()
	c.waitFor("was sent.")
	c.sweepAfter(pollEvery) // the poll: Graph read, follow-up lag

	srv := httptest.NewServer(ops.NewServer("127.0.0.1:0", c.app.metrics, c.app.ready, nil).Handler())
	defer srv.Close()
	resp, err := http.Get(srv.URL + "/metrics")
	if err != nil {
		t.Fatal(err)
	}
	body, err := io.ReadAll(resp.Body)
	resp.Body.Close()
	if err != nil || resp.StatusCode != http.StatusOK {
		t.Fatalf("/metrics: %d %v", resp.StatusCode, err)
	}
	exposed := map[string]bool{}
	for line := range strings.Lines(string(body)) {
		if line == "" || line[0] == '#' {
			continue
		}
		exposed[strings.TrimRight(strings.FieldsFunc(line, func(r rune) bool { return r == '{' || r == ' ' })[0], "\n")] = true
	}
	names := regexp.MustCompile(`\bpassbot_[a-z0-9_]*[a-z0-9]`)
	for _, f := range operatorFiles {
		text, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		used := names.FindAllString(string(text), -1)
		if len(used) == 0 {
			t.Errorf("%s names no passbot metric", f)
		}
		slices.Sort(used)
		for _, n := range slices.Compact(used) {
			if !exposed[n] {
				t.Errorf("%s uses %s, which /metrics does not expose", f, n)
			}
		}
	}
	if t.Failed() {
		t.Logf("/metrics:\n%s", body)
	}
}
