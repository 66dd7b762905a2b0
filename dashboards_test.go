package main

import (
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
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

// Every dashboard query is valid PromQL: promtool checks them as recording
// rules, with Grafana's $__rate_interval as 5m. CI installs promtool.
func TestDashboardQueriesParse(t *testing.T) {
	promtool, err := exec.LookPath("promtool")
	if err != nil {
		if os.Getenv("CI") != "" {
			t.Fatal("promtool is not installed (.ci/run installs it)")
		}
		t.Skip("promtool not installed (apt-get install prometheus)")
	}
	data, err := os.ReadFile("deploy/grafana/passbot.json")
	if err != nil {
		t.Fatal(err)
	}
	var dash struct {
		Panels []struct {
			Title   string
			Targets []struct{ Expr string }
		}
	}
	if err := json.Unmarshal(data, &dash); err != nil {
		t.Fatalf("the dashboard is not JSON: %v", err)
	}
	var rules strings.Builder
	rules.WriteString("groups:\n  - name: dashboard\n    rules:\n")
	n := 0
	for _, p := range dash.Panels {
		for _, target := range p.Targets {
			expr, err := json.Marshal(strings.ReplaceAll(target.Expr, "$__rate_interval", "5m"))
			if err != nil {
				t.Fatal(err)
			}
			fmt.Fprintf(&rules, "      - record: dashboard:query%d\n        expr: %s\n", n, expr) // JSON strings are YAML strings
			n++
		}
	}
	if n == 0 {
		t.Fatal("the dashboard has no queries")
	}
	file := filepath.Join(t.TempDir(), "dashboard-queries.yaml")
	if err := os.WriteFile(file, []byte(rules.String()), 0o600); err != nil {
		t.Fatal(err)
	}
	if out, err := exec.Command(promtool, "check", "rules", file).CombinedOutput(); err != nil {
		t.Errorf("promtool check rules on the dashboard's %d queries: %v\n%s", n, err, out)
	}
}

// A panel's title says what it groups by, and Grafana's import asks for
// the Prometheus data source (an __inputs entry every query points to).
func TestDashboardTitlesAndDataSource(t *testing.T) {
	data, err := os.ReadFile("deploy/grafana/passbot.json")
	if err != nil {
		t.Fatal(err)
	}
	var dash struct {
		Inputs []struct{ Name, Type, PluginID string } `json:"__inputs"`
		Panels []struct {
			Title      string
			Datasource *struct{ Type, UID string }
			Targets    []struct{ Expr string }
		}
	}
	if err := json.Unmarshal(data, &dash); err != nil {
		t.Fatal(err)
	}
	if len(dash.Inputs) != 1 || dash.Inputs[0].Type != "datasource" || dash.Inputs[0].PluginID != "prometheus" {
		t.Fatalf("__inputs = %+v, want one Prometheus data source for Grafana's import to ask for", dash.Inputs)
	}
	input := "${" + dash.Inputs[0].Name + "}"
	// How a title names a label.
	labels := map[string]string{"platform": "platform", "outcome": "outcome", "device kind": "device_kind",
		"operation": "op", "kind": "kind", "status": "status"}
	grouping := regexp.MustCompile(`\bby \(([^)]*)\)`)
	for _, p := range dash.Panels {
		if len(p.Targets) == 0 {
			continue
		}
		if p.Datasource == nil || p.Datasource.UID != input {
			t.Errorf("panel %q: data source %+v, want uid %s", p.Title, p.Datasource, input)
		}
		_, by, ok := strings.Cut(p.Title, " by ")
		if !ok {
			continue
		}
		by, _, _ = strings.Cut(by, " (")
		for _, name := range strings.Split(by, " and ") {
			label, known := labels[name]
			if !known {
				t.Errorf("panel %q groups by %q, a label this test does not know", p.Title, name)
				continue
			}
			for _, target := range p.Targets {
				m := grouping.FindStringSubmatch(target.Expr)
				if m == nil || !slices.Contains(strings.Split(strings.ReplaceAll(m[1], " ", ""), ","), label) {
					t.Errorf("panel %q says by %s, but %q does not group by %s", p.Title, name, target.Expr, label)
				}
			}
		}
	}
}
