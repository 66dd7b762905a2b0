// Package acceptance runs the built program as it is deployed: the crowd
// test's three passbot processes, killed one after the other while
// employees reset their passcodes. It is a package of its own so that go
// test runs it beside the main package's tests (which set the environment
// and cannot run in parallel) instead of after them; go test ./... starts
// packages in the order of their paths, and this one, the longest, sorts
// first after the main package.
package acceptance

import (
	"bytes"
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/passbot/passbot/adapters/device"
	"github.com/passbot/passbot/bot"
	"github.com/passbot/passbot/flows/reset"
	"github.com/passbot/passbot/internal/enginetest"
	"github.com/passbot/passbot/store"
	"github.com/passbot/passbot/store/redistest"
	"github.com/redis/go-redis/v9"
)

// The crowd: how many employees, how they arrive, how long a person waits
// for an answer before doing the step again, and how often a replica dies.
const (
	crowdSize      = 200
	crowdArrival   = 60 * time.Millisecond // one more employee starts every …
	crowdStepWait  = 3 * time.Second       // … and waits this long for an answer
	crowdGiveUp    = 45 * time.Second      // an employee without a passcode by then is a lost conversation
	crowdRecovery  = 5 * time.Second       // PASSBOT_RESULT_RECOVERY: a result lost in a crash is sent again after this
	crowdLease     = 10 * time.Second      // PASSBOT_FOLLOWUP_LEASE: a follow-up claimed by a replica that died fires after this
	crowdKillEvery = 1500 * time.Millisecond
	crowdReplicas  = 3
	crowdSecret    = "8f742231b10e8888abcd99yyyzzz85a5"
)

// TestCrowdOverThreeReplicasKilledAtRandom runs three passbot processes on
// one Redis in Slack HTTP mode behind a round-robin, while 200 employees
// reset their passcode and one replica after the other is killed with
// SIGKILL and started again. A request that finds its replica dead goes to
// the next one, as Slack redelivers (an event keeps its event_id); an
// answer that never comes is asked for again, as a person would. In the end
// no confirmation reset a device twice, every reset's passcode reached its
// owner, every reset has its audit records and its reminder, and no
// passcode is in Redis or in a log.
func TestCrowdOverThreeReplicasKilledAtRandom(t *testing.T) {
	if testing.Short() {
		t.Skip("starts three passbot processes and kills them for about half a minute")
	}
	began := time.Now()
	bin := buildPassbot(t)
	rds := redistest.Start(t)
	slack := newCrowdSlack(t)
	env := []string{
		"PASSBOT_REDIS_URL=" + rds.URL,
		"PASSBOT_PLATFORMS=slack",
		"PASSBOT_SLACK_MODE=http",
		"PASSBOT_SLACK_BOT_TOKEN=xoxb-crowd",
		"PASSBOT_SLACK_SIGNING_SECRET=" + crowdSecret,
		"PASSBOT_SLACK_API_URL=" + slack.srv.URL + "/api/",
		"PASSBOT_DEMO_FLEET=" + writeCrowdFleet(t),
		"PASSBOT_APPROVALS=false",
		// The demo sign-in provider keeps its authorization codes in the
		// memory of the replica that issued them: a sign-in begun on one
		// replica cannot end on another, so with several replicas only
		// Entra ID (or no sign-in) works. This test is about the rest of
		// the conversation.
		"PASSBOT_VERIFY=off",
		"PASSBOT_LIMIT_PER_USER=100",
		"PASSBOT_LIMIT_PER_DEVICE=100",
		"PASSBOT_SWEEP_SPEC=@every 1s",
		"PASSBOT_RESULT_RECOVERY=" + crowdRecovery.String(),
		"PASSBOT_FOLLOWUP_LEASE=" + crowdLease.String(),
		// Reminders stay queued, so the test can count them.
		"PASSBOT_REMINDER_AFTER=1h",
	}
	replicas := make([]*replica, crowdReplicas)
	for i := range replicas {
		replicas[i] = &replica{bin: bin, addr: enginetest.FreeAddr(t), env: env, logs: &enginetest.SyncBuffer{}}
		if err := replicas[i].start(); err != nil {
			t.Fatal(err)
		}
	}
	t.Cleanup(func() {
		for _, r := range replicas {
			r.stop()
		}
	})

	done := make(chan struct{})
	killed := chaos(t, replicas, done)
	var stats crowdStats
	rt := &router{replicas: replicas, client: &http.Client{Timeout: 5 * time.Second}}
	results := make([]outcome, crowdSize+1)
	var wg sync.WaitGroup
	arrive := time.NewTicker(crowdArrival)
	for n := 1; n <= crowdSize; n++ {
		<-arrive.C
		wg.Go(func() {
			e := &employee{n: n, slack: slack, rt: rt, stats: &stats}
			results[n] = e.resetPasscode()
		})
	}
	arrive.Stop()
	wg.Wait()
	close(done)
	kills := <-killed
	client := rds.Client()
	settleResults(t, slack, client, results)
	for _, r := range replicas {
		r.stop()
	}

	tr := readTrail(t, client)
	f := tally(t, slack, results, tr)
	t.Logf("crowd of %d employees over %d replicas, one killed with SIGKILL every %v: %d replicas killed",
		crowdSize, crowdReplicas, crowdKillEvery, kills)
	t.Logf("requests: %d events and %d clicks sent, %d sent again because their replica was down (an event redelivered, a button clicked again); employees repeated %d steps (%d messages typed again, %d buttons clicked again; %d clicks answered \"no longer works\")",
		stats.messages.Load(), stats.clicks.Load(), stats.retried.Load(), stats.repeatedMessages.Load()+stats.repeatedClicks.Load(), stats.repeatedMessages.Load(), stats.repeatedClicks.Load(), slack.staleAnswers())
	t.Logf("confirmations (distinct \"Yes, reset\" buttons clicked) %d; passcodes delivered %d, results lost with their replica and read back later %d; audit records: reset %d (%d devices reset more than once), reset_started %d; follow-ups pending %d: reminders %d",
		f.confirmations, f.delivered, f.recovered, f.resets, f.resetAgain, f.started, tr.pending, f.reminders)
	t.Logf("Slack API calls: chat.postMessage %d, chat.update %d, users.info %d, auth.test %d",
		slack.count("chat.postMessage"), slack.count("chat.update"), slack.count("users.info"), slack.count("auth.test"))
	t.Logf("double resets %d, lost conversations %d, lost follow-ups %d, missing audit records %d; wall time %v",
		len(f.doubles), f.lost, len(f.lostFollowUps), len(f.missingAudit), time.Since(began).Round(100*time.Millisecond))
	for _, err := range stats.errors {
		t.Error(err)
	}
	if len(f.doubles) != 0 {
		t.Errorf("double resets: %v", f.doubles)
	}
	if f.lost != 0 {
		t.Errorf("lost conversations (a reset whose passcode never arrived, or no passcode at all): %v", f.lostEmployees)
	}
	if len(f.lostFollowUps) != 0 {
		t.Errorf("lost follow-ups: %v", f.lostFollowUps)
	}
	if len(f.missingAudit) != 0 {
		t.Errorf("missing audit records: %v", f.missingAudit)
	}

	contents, err := redistest.Contents(context.Background(), client)
	if err != nil {
		t.Fatal(err)
	}
	for n := 1; n <= crowdSize; n++ {
		for _, code := range results[n].codes {
			if strings.Contains(contents, code) {
				t.Errorf("%s's temporary passcode is in Redis", employeeUPN(n))
			}
			for i, r := range replicas {
				if strings.Contains(r.logs.String(), code) {
					t.Errorf("%s's temporary passcode is in the log of replica %d", employeeUPN(n), i+1)
				}
			}
		}
	}
}

// chaos kills one replica after the other with SIGKILL, every
// crowdKillEvery, and starts it again on its address, until done is
// closed. It then sends how many it killed.
func chaos(t *testing.T, replicas []*replica, done <-chan struct{}) <-chan int {
	killed := make(chan int, 1)
	go func() {
		// A ticker drives the chaos; nothing waits on it.
		tick := time.NewTicker(crowdKillEvery)
		defer tick.Stop()
		k := 0
		defer func() { killed <- k }()
		for {
			select {
			case <-done:
				return
			case <-tick.C:
			}
			r := replicas[k%len(replicas)]
			r.kill()
			k++
			if err := r.start(); err != nil {
				t.Error(err)
				return
			}
		}
	}()
	return killed
}

// trail is what Redis holds at the end, per device.
type trail struct {
	resets, started  map[string]int // audit records "reset" and "reset_started"
	reminders, polls map[string]int // follow-ups queued
	pending          int64
}

func readTrail(t *testing.T, client redis.UniversalClient) trail {
	t.Helper()
	ctx := context.Background()
	st := store.New(client)
	tr := trail{resets: map[string]int{}, started: map[string]int{}, reminders: map[string]int{}, polls: map[string]int{}}
	var audit bytes.Buffer
	if err := st.ExportAudit(ctx, &audit, store.AuditCursor{}); err != nil {
		t.Fatal(err)
	}
	dec := json.NewDecoder(&audit)
	for dec.More() {
		var r bot.AuditRecord
		if err := dec.Decode(&r); err != nil {
			t.Fatal(err)
		}
		switch r.Action {
		case bot.OpReset.String():
			tr.resets[r.Device]++
		case "reset_started":
			tr.started[r.Device]++
		}
	}
	var err error
	if tr.pending, err = st.Pending(ctx); err != nil {
		t.Fatal(err)
	}
	// The store lists no follow-ups (the sweep only claims those due), so
	// read its hash of them.
	raw, err := client.HVals(ctx, "passbot:{fu}:data").Result()
	if err != nil {
		t.Fatal(err)
	}
	for _, v := range raw {
		var f bot.FollowUp
		if err := json.Unmarshal([]byte(v), &f); err != nil {
			t.Fatal(err)
		}
		switch f.Kind {
		case reset.FollowReminder:
			tr.reminders[f.Device.ID]++
		case reset.FollowPoll:
			tr.polls[f.Device.ID]++
		}
	}
	return tr
}

// figures are the crowd test's results: totals, and the devices or
// employees behind each failure.
type figures struct {
	confirmations, delivered, recovered, resets, started, reminders, resetAgain int
	lost                                                                        int // resets whose result never arrived, plus employees without any
	doubles, lostEmployees, lostFollowUps, missingAudit                         []string
}

// crowdSettle bounds the wait for results still on their way once the chaos
// stops: a result whose answer died with its replica is read back after
// crowdRecovery by a sweep, and if the replica whose sweep claimed it died
// too, only after that claim's lease.
const crowdSettle = crowdLease + crowdRecovery + 10*time.Second

// settleResults waits, with every replica up and left alone, until each
// reset in the audit trail has its result in its owner's DM (or
// crowdSettle passes), then takes the DMs as they are into results.
func settleResults(t *testing.T, slack *crowdSlack, client redis.UniversalClient, results []outcome) {
	t.Helper()
	deadline := time.Now().Add(crowdSettle)
	for {
		tr := readTrail(t, client)
		waiting := 0
		for n := 1; n <= crowdSize; n++ {
			s := slack.look(employeeDM(n))
			results[n].codes, results[n].recovered = s.codes, s.recovered
			if len(s.codes)+s.recovered < tr.resets[deviceOf(n)] {
				waiting++
			}
		}
		if waiting == 0 || time.Now().After(deadline) {
			return
		}
		// Redis and the replicas' sweeps change on their own clocks: poll.
		time.Sleep(250 * time.Millisecond)
	}
}

// tally compares what the employees saw with the trail in Redis, and logs
// the DM of every employee behind a failure.
func tally(t *testing.T, slack *crowdSlack, results []outcome, tr trail) figures {
	t.Helper()
	var f figures
	for n := 1; n <= crowdSize; n++ {
		dev, res := deviceOf(n), results[n]
		resets, started := tr.resets[dev], tr.started[dev]
		f.resets += resets
		f.started += started
		f.reminders += tr.reminders[dev]
		f.delivered += len(res.codes)
		f.recovered += res.recovered
		f.confirmations += res.confirmations
		if resets > 1 {
			f.resetAgain++
		}
		// Exactly once per confirmation: a device may be reset again only
		// when its owner confirmed again (a new "Yes, reset" button).
		if resets > res.confirmations {
			f.doubles = append(f.doubles, dev)
			t.Logf("%s: %d reset records for %d confirmations; %s's DM:\n%s", dev, resets, res.confirmations, employeeUPN(n), slack.transcript(employeeDM(n)))
		}
		// A lost conversation: the employee never got a result, or a reset
		// ran whose result never reached them (they had to start over, and
		// their device was reset once more).
		answered := len(res.codes) + res.recovered
		if answered == 0 || resets > answered {
			f.lost += max(1, resets-answered)
			f.lostEmployees = append(f.lostEmployees, employeeUPN(n))
			t.Logf("%s: %d reset records, %d reset_started, %d passcodes received; %s's DM:\n%s", dev, resets, started, len(res.codes), employeeUPN(n), slack.transcript(employeeDM(n)))
		}
		// Every reset recorded has its reminder; a reset started whose
		// result was never recorded has the poll that finds it out.
		if tr.reminders[dev] < resets || started > resets && tr.polls[dev] == 0 {
			f.lostFollowUps = append(f.lostFollowUps, dev)
		}
		// Every passcode shown has its reset record, and every reset record
		// its reset_started before it.
		if resets < len(res.codes) || started < resets {
			f.missingAudit = append(f.missingAudit, dev)
		}
	}
	return f
}

// crowdStats counts what the employees did.
type crowdStats struct {
	messages, clicks                 atomic.Int64
	repeatedMessages, repeatedClicks atomic.Int64
	// retried counts requests sent again because their replica was down.
	retried atomic.Int64

	mu     sync.Mutex
	errors []error // answers no replica should give
}

func (s *crowdStats) unexpected(err error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.errors = append(s.errors, err)
}

// employee is one person of the crowd, resetting the passcode of their
// only device through their DM with the bot.
type employee struct {
	n     int
	slack *crowdSlack
	rt    *router
	stats *crowdStats
	sent  int // events and clicks so far: makes their IDs unique
}

// steps are the buttons that lead to a reset, the last step first: a
// person presses the furthest one they are offered. "Continue" is the
// banner's button (the sign-in is off), and resumes a confirmation that
// "reset my passcode" interrupted.
var steps = []string{"Yes, reset", "Continue", "Reset Passcode"}

// outcome is how an employee's reset went.
type outcome struct {
	codes         []string // the temporary passcodes that reached them
	recovered     int      // results read back later, without their passcode
	confirmations int      // distinct "Yes, reset" buttons they clicked
}

// resetPasscode goes through the conversation until the temporary
// passcode arrives. Where an answer does not come within crowdStepWait the
// step is done again: the same button clicked again, or "reset my
// passcode" typed again.
func (e *employee) resetPasscode() outcome {
	dm := employeeDM(e.n)
	giveUp := time.Now().Add(crowdGiveUp)
	clicked := map[string]int{} // message ts and version → clicks on it
	confirmed := map[string]bool{}
	typed := 0
	for time.Now().Before(giveUp) {
		s := e.slack.look(dm)
		if len(s.codes)+s.recovered > 0 {
			break
		}
		b, ok := e.next(s.last)
		key := ""
		if ok {
			key = s.last.ts + "#" + strconv.Itoa(s.last.seq)
		}
		// A button that answered nothing twice is dead (its click was taken
		// by a replica that died): type instead.
		if ok && clicked[key] < 2 {
			if clicked[key]++; clicked[key] > 1 {
				e.stats.repeatedClicks.Add(1)
			}
			e.click(s.last, b)
		} else {
			if typed++; typed > 1 {
				e.stats.repeatedMessages.Add(1)
			}
			e.message("reset my passcode")
		}
		// After "Yes, reset" the answer is the passcode: "Resetting…" on the
		// way is no answer yet.
		final := ok && b.Text.Text == steps[0]
		if final {
			confirmed[b.Value] = true
		}
		// After "Yes, reset" a person waits a little longer: a result lost
		// with its replica comes back after crowdRecovery.
		wait := crowdStepWait
		if final {
			wait += crowdRecovery + 2*time.Second
		}
		enginetest.Await(wait, func() (bool, <-chan struct{}) {
			now := e.slack.look(dm)
			return len(now.codes)+now.recovered > 0 || !final && now.seq > s.seq, now.changed
		})
	}
	last := e.slack.look(dm)
	return outcome{codes: last.codes, recovered: last.recovered, confirmations: len(confirmed)}
}

// next picks the button to press on m.
func (e *employee) next(m *shownMsg) (crowdButton, bool) {
	if m == nil {
		return crowdButton{}, false
	}
	for _, label := range steps {
		for _, b := range m.buttons {
			if b.Text.Text == label {
				return b, true
			}
		}
	}
	for _, b := range m.buttons {
		if strings.HasPrefix(b.Text.Text, crowdDeviceName(e.n)) {
			return b, true
		}
	}
	return crowdButton{}, false
}

// message sends a message.im event, as the Events API does. Where its
// replica is down, Slack delivers the same event (same event_id) to the
// next one, saying it is a retry.
func (e *employee) message(text string) {
	e.sent++
	e.stats.messages.Add(1)
	p := e.slack.fixture("events_api_message_im")
	ts := fmt.Sprintf("1800000000.%03d%03d", e.n, e.sent)
	ev := p["event"].(map[string]any)
	ev["user"], ev["channel"], ev["text"], ev["ts"], ev["event_ts"] = employeeID(e.n), employeeDM(e.n), text, ts, ts
	p["authorizations"].([]any)[0].(map[string]any)["user_id"] = employeeID(e.n)
	p["event_id"] = fmt.Sprintf("Ev0EMP%04d%03d", e.n, e.sent)
	p["event_time"] = time.Now().Unix()
	body, _ := json.Marshal(p)
	for retry := range maxTries {
		if e.rt.post("/slack/events", "application/json", body, retry, e.stats) {
			return
		}
	}
}

// click clicks button b of message m. Slack does not redeliver a click
// that found its replica down: the person clicks again, which is a new
// interaction (a new action_ts).
func (e *employee) click(m *shownMsg, b crowdButton) {
	e.stats.clicks.Add(1)
	for range maxTries {
		e.sent++
		p := e.slack.fixture("interaction_block_actions")
		p["user"].(map[string]any)["id"] = employeeID(e.n)
		container := p["container"].(map[string]any)
		container["message_ts"], container["channel_id"] = m.ts, employeeDM(e.n)
		p["channel"].(map[string]any)["id"] = employeeDM(e.n)
		p["message"].(map[string]any)["ts"] = m.ts
		p["response_url"] = fmt.Sprintf("%s/response/%04d-%03d", e.slack.srv.URL, e.n, e.sent)
		act := p["actions"].([]any)[0].(map[string]any)
		act["action_id"], act["value"], act["block_id"] = b.ActionID, b.Value, "passbot_actions"
		act["text"].(map[string]any)["text"] = b.Text.Text
		act["action_ts"] = fmt.Sprintf("1800000100.%03d%03d", e.n, e.sent)
		js, _ := json.Marshal(p)
		if e.rt.post("/slack/interactions", "application/x-www-form-urlencoded", []byte("payload="+url.QueryEscape(string(js))), 0, e.stats) {
			return
		}
	}
}

// maxTries bounds the deliveries of one event or click: with one replica
// down at a time, the second try reaches a live one.
const maxTries = 2 * crowdReplicas

// router spreads requests over the replicas round-robin, so a request
// after one that found its replica down goes to the next replica.
type router struct {
	replicas []*replica
	client   *http.Client
	next     atomic.Uint64
}

// post signs body and posts it to the next replica; retry > 0 marks an
// event's redelivery. It reports whether the replica took the request; a
// connection error or a 503 (shutting down) is counted as a retry, any
// other answer as unexpected.
func (rt *router) post(path, contentType string, body []byte, retry int, stats *crowdStats) bool {
	r := rt.replicas[rt.next.Add(1)%uint64(len(rt.replicas))]
	req, err := http.NewRequest(http.MethodPost, "http://"+r.addr+path, bytes.NewReader(body))
	if err != nil {
		stats.unexpected(err)
		return false
	}
	ts := strconv.FormatInt(time.Now().Unix(), 10)
	req.Header.Set("Content-Type", contentType)
	req.Header.Set("X-Slack-Request-Timestamp", ts)
	req.Header.Set("X-Slack-Signature", slackSignature(ts, body))
	if retry > 0 {
		req.Header.Set("X-Slack-Retry-Num", strconv.Itoa(retry))
		req.Header.Set("X-Slack-Retry-Reason", "http_error")
	}
	resp, err := rt.client.Do(req)
	if err != nil {
		stats.retried.Add(1)
		return false
	}
	_, _ = io.Copy(io.Discard, resp.Body)
	resp.Body.Close()
	switch resp.StatusCode {
	case http.StatusOK:
		return true
	case http.StatusServiceUnavailable:
		stats.retried.Add(1)
	default:
		stats.unexpected(fmt.Errorf("POST %s: %s", path, resp.Status))
	}
	return false
}

// slackSignature is Slack's v0 request signature.
func slackSignature(ts string, body []byte) string {
	mac := hmac.New(sha256.New, []byte(crowdSecret))
	fmt.Fprintf(mac, "v0:%s:", ts)
	mac.Write(body)
	return "v0=" + hex.EncodeToString(mac.Sum(nil))
}

// replica is one passbot process, started again on the same address after
// each kill. logs collects the stderr of all its lives.
type replica struct {
	bin    string
	addr   string
	env    []string
	logs   *enginetest.SyncBuffer
	cmd    *exec.Cmd
	exited chan struct{} // closed when the current process has exited
}

// start starts the process and waits until it listens. It runs on the
// chaos goroutine too, so it returns its failure rather than ending the
// test.
func (r *replica) start() error {
	cmd := exec.Command(r.bin)
	cmd.Env = append(environWithout("PASSBOT_"), append(r.env, "PASSBOT_HTTP_ADDR="+r.addr)...)
	ready := make(chan struct{})
	cmd.Stderr = &readyWriter{w: r.logs, ready: ready, line: []byte(`"serving the public endpoints"`)}
	if err := cmd.Start(); err != nil {
		return fmt.Errorf("start passbot: %w", err)
	}
	exited := make(chan struct{})
	go func() {
		_ = cmd.Wait()
		close(exited)
	}()
	r.cmd, r.exited = cmd, exited
	select {
	case <-ready:
		return nil
	case <-exited:
		return fmt.Errorf("passbot on %s exited at start:\n%s", r.addr, r.logs.String())
	case <-time.After(30 * time.Second):
		return fmt.Errorf("passbot on %s did not listen within 30s", r.addr)
	}
}

// kill ends the process with SIGKILL: no shutdown, no drain.
func (r *replica) kill() {
	if r.cmd == nil {
		return
	}
	_ = r.cmd.Process.Signal(syscall.SIGKILL)
	<-r.exited
	r.cmd = nil
}

// stop ends the process as an orchestrator would (SIGTERM, then SIGKILL
// after a grace period).
func (r *replica) stop() {
	if r.cmd == nil {
		return
	}
	_ = r.cmd.Process.Signal(syscall.SIGTERM)
	select {
	case <-r.exited:
		r.cmd = nil
	case <-time.After(20 * time.Second):
		r.kill()
	}
}

// readyWriter passes a process's stderr on and closes ready at the first
// write that holds line (slog writes each record in one call).
type readyWriter struct {
	w     io.Writer
	ready chan struct{}
	line  []byte
	once  sync.Once
}

func (rw *readyWriter) Write(p []byte) (int, error) {
	if bytes.Contains(p, rw.line) {
		rw.once.Do(func() { close(rw.ready) })
	}
	return rw.w.Write(p)
}

// environWithout is the test's environment without the variables that
// start with prefix, so a developer's own settings do not leak in.
func environWithout(prefix string) []string {
	var env []string
	for _, kv := range os.Environ() {
		if !strings.HasPrefix(kv, prefix) {
			env = append(env, kv)
		}
	}
	return env
}

// buildPassbot builds the program once for the test.
func buildPassbot(t *testing.T) string {
	t.Helper()
	bin := filepath.Join(t.TempDir(), "passbot")
	out, err := exec.Command("go", "build", "-o", bin, "..").CombinedOutput()
	if err != nil {
		t.Fatalf("go build: %v\n%s", err, out)
	}
	return bin
}

func crowdDeviceName(n int) string { return fmt.Sprintf("Galaxy S7 of user%03d", n) }

// writeCrowdFleet writes the demo fleet of the crowd: each employee owns
// one personal Android 6.0.1 phone (device administrator, self-service
// reset with a temporary passcode) that checked in an hour ago.
func writeCrowdFleet(t *testing.T) string {
	t.Helper()
	synced := time.Now().Add(-time.Hour).UTC().Format(time.RFC3339)
	encrypted := true
	var fleet struct {
		Value []device.Managed `json:"value"`
	}
	for n := 1; n <= crowdSize; n++ {
		fleet.Value = append(fleet.Value, device.Managed{
			ID: deviceOf(n), Name: crowdDeviceName(n), OperatingSystem: "Android", OSVersion: "6.0.1",
			DeviceType: "android", OwnerType: "personal", EnrollmentType: "userEnrollment", ManagementAgent: "mdm",
			Model: "SM-G930F", Manufacturer: "samsung", UPN: employeeUPN(n), UserID: fmt.Sprintf("00000000-0000-4000-8000-%012d", n),
			UserDisplayName: employeeName(n), LastSyncDateTime: synced, IsEncrypted: &encrypted,
		})
	}
	data, err := json.Marshal(fleet)
	if err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(t.TempDir(), "fleet.json")
	if err := os.WriteFile(path, data, 0o600); err != nil {
		t.Fatal(err)
	}
	return path
}
