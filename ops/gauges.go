package ops

import (
	"context"
	"time"

	"github.com/passbot/passbot/bot"
	"github.com/prometheus/client_golang/prometheus"
)

// Build is what `passbot --version` prints and passbot_build_info carries:
// the build stamps them with -ldflags (see the Dockerfile).
type Build struct {
	Version, Commit, Date, GoVersion string
}

// String is the --version line.
func (b Build) String() string {
	return "passbot " + b.Version + " (commit " + b.Commit + ", built " + b.Date + ", " + b.GoVersion + ")"
}

// SetBuild exposes b as passbot_build_info, a gauge of 1 whose labels are the
// build, so dashboards can show and join on the running version.
func (m *Metrics) SetBuild(b Build) {
	g := prometheus.NewGauge(prometheus.GaugeOpts{
		Name:        "passbot_build_info",
		Help:        "Always 1; the labels say which build is running.",
		ConstLabels: prometheus.Labels{"version": b.Version, "commit": b.Commit, "build_date": b.Date, "goversion": b.GoVersion},
	})
	g.Set(1)
	m.reg.MustRegister(g)
}

// backlogTimeout bounds the Redis reads of one scrape, well inside
// Prometheus's default scrape timeout of 10 s.
const backlogTimeout = 2 * time.Second

// WatchBacklog makes each scrape read the backlog with read and expose it
// as gauges. Every replica reports the same numbers: aggregate with max(),
// not sum(). A failed read counts as a Redis error and leaves the gauges
// out of that scrape rather than failing the whole scrape.
func (m *Metrics) WatchBacklog(read func(ctx context.Context, now time.Time) (bot.Backlog, error)) {
	m.reg.MustRegister(&backlogCollector{read: read, m: m})
}

var (
	followUpsDesc = prometheus.NewDesc("passbot_followups_queued",
		"Follow-ups scheduled (sign-in notices, polls, reminders, request escalations), due or not.", nil, nil)
	dueDesc = prometheus.NewDesc("passbot_followups_due",
		"Follow-ups whose time has come and that no replica has fired yet: should be near 0.", nil, nil)
	dueAgeDesc = prometheus.NewDesc("passbot_followups_oldest_due_age_seconds",
		"How long the longest-waiting due follow-up has been due; 0 when none is.", nil, nil)
	pendingDesc = prometheus.NewDesc("passbot_helpdesk_requests_pending",
		"Helpdesk approval requests waiting for a decision.", nil, nil)
	pendingAgeDesc = prometheus.NewDesc("passbot_helpdesk_request_oldest_age_seconds",
		"Age of the oldest helpdesk request waiting for a decision; 0 when none is.", nil, nil)
	redisUpDesc = prometheus.NewDesc("passbot_redis_up",
		"1 when this replica read the backlog from Redis during the scrape, else 0.", nil, nil)
)

type backlogCollector struct {
	read func(context.Context, time.Time) (bot.Backlog, error)
	m    *Metrics
}

func (c *backlogCollector) Describe(ch chan<- *prometheus.Desc) {
	for _, d := range []*prometheus.Desc{followUpsDesc, dueDesc, dueAgeDesc, pendingDesc, pendingAgeDesc, redisUpDesc} {
		ch <- d
	}
}

func (c *backlogCollector) Collect(ch chan<- prometheus.Metric) {
	ctx, cancel := context.WithTimeout(context.Background(), backlogTimeout)
	defer cancel()
	now := time.Now()
	b, err := c.read(ctx, now)
	gauge := func(d *prometheus.Desc, v float64) {
		ch <- prometheus.MustNewConstMetric(d, prometheus.GaugeValue, v)
	}
	if err != nil {
		c.m.StoreError()
		gauge(redisUpDesc, 0)
		return
	}
	gauge(redisUpDesc, 1)
	age := func(t time.Time) float64 {
		if t.IsZero() {
			return 0
		}
		return max(now.Sub(t), 0).Seconds()
	}
	gauge(followUpsDesc, float64(b.FollowUps))
	gauge(dueDesc, float64(b.DueFollowUps))
	gauge(dueAgeDesc, age(b.OldestDue))
	gauge(pendingDesc, float64(b.PendingRequests))
	gauge(pendingAgeDesc, age(b.OldestRequest))
}

// WatchReady exposes passbot_ready: 1 when ready (what /readyz checks)
// returns nil at scrape time, else 0, so Prometheus sees what the
// orchestrator's readiness probe sees.
func (m *Metrics) WatchReady(ready func(context.Context) error) {
	m.reg.MustRegister(prometheus.NewGaugeFunc(prometheus.GaugeOpts{
		Name: "passbot_ready",
		Help: "1 when this replica is ready to serve (what /readyz answers: Redis answers, and Entra ID gave the Graph app a token), else 0.",
	}, func() float64 {
		ctx, cancel := context.WithTimeout(context.Background(), backlogTimeout)
		defer cancel()
		if ready(ctx) != nil {
			return 0
		}
		return 1
	}))
}

// WatchChat exposes passbot_chat_connected{platform}: 1 while up reports
// nil (the adapter's gateway or socket is connected), else 0.
func (m *Metrics) WatchChat(platform string, up func() error) {
	m.reg.MustRegister(prometheus.NewGaugeFunc(prometheus.GaugeOpts{
		Name:        "passbot_chat_connected",
		Help:        "1 while this replica's connection to the chat platform is up, else 0.",
		ConstLabels: prometheus.Labels{"platform": platform},
	}, func() float64 {
		if up() != nil {
			return 0
		}
		return 1
	}))
}

// Circuit reports the Microsoft Graph circuit breaker opening (open) or
// closing; intune.Client calls it on each change.
func (m *Metrics) Circuit(open bool) {
	v := 0.0
	if open {
		v = 1
	}
	m.circuitOpen.Set(v)
}

// WriteWait records how long a Graph write waited for the shared write
// budget (the Redis token bucket).
func (m *Metrics) WriteWait(d time.Duration) { m.writeWait.Observe(d.Seconds()) }
