package store_test

// Live topologies started by the test from the redis-server binary: a Redis
// Cluster of three primaries, and a primary with a replica watched by
// Sentinel. Skipped when only miniredis is available.

import (
	"bytes"
	"context"
	"fmt"
	"log/slog"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/passbot/passbot/bot"
	"github.com/passbot/passbot/internal/enginetest"
	"github.com/passbot/passbot/store"
	"github.com/redis/go-redis/v9"
)

// redisServer returns the redis-server binary, or skips the test.
func redisServer(t *testing.T) string {
	t.Helper()
	if testing.Short() {
		t.Skip("starts several Redis processes: not with -short")
	}
	path, err := exec.LookPath("redis-server")
	if err != nil || os.Getenv("PASSBOT_TEST_MINIREDIS") != "" {
		t.Skip("needs redis-server on PATH")
	}
	return path
}

// freePort returns a free loopback port whose cluster bus port (+10000) is
// free too.
func freePort(t *testing.T) int {
	t.Helper()
	for range 100 {
		ln, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			t.Fatal(err)
		}
		port := ln.Addr().(*net.TCPAddr).Port
		ln.Close()
		if port+10000 > 65535 {
			continue
		}
		bus, err := net.Listen("tcp", "127.0.0.1:"+strconv.Itoa(port+10000))
		if err != nil {
			continue
		}
		bus.Close()
		return port
	}
	t.Fatal("no free port pair")
	return 0
}

// liveNode is one redis-server (or sentinel) process of a test.
type liveNode struct {
	port int
	cmd  *exec.Cmd
}

// startNode starts redis-server on port with args and waits until it
// answers; the test's cleanup kills it.
func startNode(t *testing.T, bin string, port int, args ...string) *liveNode {
	t.Helper()
	dir := t.TempDir()
	all := append([]string{"--port", strconv.Itoa(port), "--bind", "127.0.0.1", "--dir", dir, "--save", "", "--appendonly", "no"}, args...)
	return startProcess(t, port, exec.Command(bin, all...))
}

// startProcess starts cmd, a Redis or a Sentinel listening on port, and
// waits until it answers; the test's cleanup kills it.
func startProcess(t *testing.T, port int, cmd *exec.Cmd) *liveNode {
	t.Helper()
	n := &liveNode{port: port, cmd: cmd}
	if err := n.cmd.Start(); err != nil {
		t.Fatalf("start redis-server: %v", err)
	}
	t.Cleanup(n.kill)
	c := redis.NewClient(&redis.Options{Addr: n.addr(), MaxRetries: -1})
	defer c.Close()
	awaitTrue(t, "redis-server on "+n.addr()+" answers", func() bool { return c.Ping(context.Background()).Err() == nil })
	return n
}

func (n *liveNode) addr() string { return "127.0.0.1:" + strconv.Itoa(n.port) }

// kill stops the process at once, as a crash would.
func (n *liveNode) kill() {
	if n.cmd.Process != nil {
		n.cmd.Process.Kill()
		n.cmd.Wait()
	}
}

// awaitTrue asks ok until it holds, for up to 30 seconds: a cluster forming
// or a failover has no event to wait on.
func awaitTrue(t *testing.T, what string, ok func() bool) {
	t.Helper()
	deadline := time.Now().Add(30 * time.Second)
	for !ok() {
		if time.Now().After(deadline) {
			t.Fatalf("gave up waiting until %s", what)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// liveRig runs a whole engine over the store at url.
type liveRig struct {
	t    *testing.T
	env  *enginetest.Env
	e    *bot.Engine
	st   *store.Redis
	sent *enginetest.Recorder
	seq  int
}

func newLiveRig(t *testing.T, url string) *liveRig {
	t.Helper()
	st, closeStore, err := store.Open(context.Background(), url, slog.New(slog.DiscardHandler))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(closeStore)
	env := enginetest.New(t)
	e := *env.Engine
	sent := &enginetest.Recorder{}
	e.Store, e.Notifiers = st, map[bot.Platform]bot.Notifier{bot.Slack: sent}
	return &liveRig{t: t, env: env, e: &e, st: st, sent: sent}
}

func (r *liveRig) send(u bot.User, kind bot.EventKind, textOrAction string) []bot.Reply {
	r.t.Helper()
	r.seq++
	ev := bot.Event{Kind: kind, User: u, DeliveryID: fmt.Sprint("live-", r.seq)}
	if kind == bot.Press {
		ev.Action = textOrAction
	} else {
		ev.Text = textOrAction
	}
	return enginetest.Handle(r.t, r.e, ev)
}

func (r *liveRig) click(u bot.User, replies []bot.Reply, label string) []bot.Reply {
	r.t.Helper()
	return r.send(u, bot.Press, enginetest.Button(r.t, replies, label))
}

// selfService runs Adele's reset of her Galaxy S7 to its passcode.
func (r *liveRig) selfService() {
	r.t.Helper()
	replies := r.send(enginetest.Adele, bot.Message, "reset my passcode")
	for _, label := range enginetest.ResetClicks {
		replies = r.click(enginetest.Adele, replies, label)
	}
	if !strings.Contains(enginetest.Text(replies), "Your temporary passcode") {
		r.t.Fatalf("self-service reset ended with %q", enginetest.Text(replies))
	}
}

// approved runs Adele's request for her company tablet, Hank's approval
// and the reset it allows.
func (r *liveRig) approved() {
	r.t.Helper()
	adele, hank := enginetest.Adele, bot.User{Platform: bot.Slack, ID: "U9", Name: "Hank Helpdesk", Approver: true}
	replies := r.send(adele, bot.Message, "reset my passcode")
	replies = r.click(adele, replies, "Contoso Galaxy Tab (Android)")
	replies = r.click(adele, replies, "Ask the helpdesk")
	r.send(adele, bot.Message, "Forgot the PIN after my holiday")
	var card []bot.Reply
	for _, x := range r.sent.Sent() {
		if x.Audience == bot.ToHelpdesk && strings.Contains(x.Text, "Forgot the PIN") {
			card = []bot.Reply{x}
		}
	}
	if card == nil {
		r.t.Fatalf("no approval card in %q", enginetest.Text(r.sent.Sent()))
	}
	r.click(hank, card, "Approve")
	var banner []bot.Reply
	for _, x := range r.sent.Sent() {
		if x.To.ID == adele.ID && strings.Contains(x.Text, "Reset the passcode of Contoso Galaxy Tab?") {
			banner = []bot.Reply{x}
		}
	}
	replies = r.click(adele, r.click(adele, banner, "Sign out"), "Yes, reset")
	if !strings.Contains(enginetest.Text(replies), "Your temporary passcode") {
		r.t.Fatalf("approved reset ended with %q", enginetest.Text(replies))
	}
}

// wantReminders sweeps two hours on and wants n reminders sent.
func (r *liveRig) wantReminders(n int) {
	r.t.Helper()
	before := len(r.sent.Sent())
	r.env.Clock.Advance(2 * time.Hour)
	if _, err := r.e.Sweep(context.Background()); err != nil {
		r.t.Fatal(err)
	}
	if got := strings.Count(enginetest.Text(r.sent.Sent()[before:]), "Reminder:"); got != n {
		r.t.Errorf("%d reminders two hours on, want %d", got, n)
	}
}

// audit returns the exported audit trail as action:outcome words.
func (r *liveRig) audit() string {
	r.t.Helper()
	var b bytes.Buffer
	if err := r.st.ExportAudit(context.Background(), &b); err != nil {
		r.t.Fatal(err)
	}
	return b.String()
}

func TestOnRedisCluster(t *testing.T) {
	bin := redisServer(t)
	var nodes []*liveNode
	var addrs []string
	for range 3 {
		port := freePort(t)
		dir := t.TempDir()
		nodes = append(nodes, startNode(t, bin, port, "--cluster-enabled", "yes",
			"--cluster-config-file", filepath.Join(dir, "nodes.conf"), "--cluster-node-timeout", "2000"))
		addrs = append(addrs, nodes[len(nodes)-1].addr())
	}
	ctx := context.Background()
	clients := make([]*redis.Client, len(nodes))
	for i, n := range nodes {
		clients[i] = redis.NewClient(&redis.Options{Addr: n.addr()})
		t.Cleanup(func() { clients[i].Close() })
	}
	for i, slots := range [][2]int{{0, 5460}, {5461, 10922}, {10923, 16383}} {
		if err := clients[i].ClusterAddSlotsRange(ctx, slots[0], slots[1]).Err(); err != nil {
			t.Fatal(err)
		}
	}
	for _, n := range nodes[1:] {
		if err := clients[0].ClusterMeet(ctx, "127.0.0.1", strconv.Itoa(n.port)).Err(); err != nil {
			t.Fatal(err)
		}
	}
	for _, c := range clients {
		awaitTrue(t, "the cluster is formed", func() bool {
			info, err := c.ClusterInfo(ctx).Result()
			return err == nil && strings.Contains(info, "cluster_state:ok") && strings.Contains(info, "cluster_known_nodes:3")
		})
	}

	r := newLiveRig(t, "redis-cluster://"+strings.Join(addrs, ","))
	r.selfService()
	r.approved()
	if n := r.env.Devices.Resets(); n != 2 {
		t.Fatalf("%d resets, want 2", n)
	}
	r.wantReminders(2)
	for _, want := range []string{`"action":"reset_started"`, `"action":"reset"`, `"action":"request"`, `"action":"approve"`} {
		if got := r.audit(); !strings.Contains(got, want) {
			t.Errorf("audit export lacks %s:\n%s", want, got)
		}
	}
	used := 0
	for _, c := range clients {
		if n, _ := c.DBSize(ctx).Result(); n > 0 {
			used++
		}
	}
	if used < 2 {
		t.Errorf("keys on %d of 3 primaries; want them spread over slots", used)
	}
}

// A primary with a replica, watched by a Sentinel. The primary dies in the
// middle of Adele's second reset: after the failover her conversation, the
// first reset's reminder and the audit trail are there, and the click that
// was in flight is answered once, by one reset.
func TestOnRedisSentinelFailover(t *testing.T) {
	bin := redisServer(t)
	ctx := context.Background()
	primary := startNode(t, bin, freePort(t))
	replica := startNode(t, bin, freePort(t), "--replicaof", "127.0.0.1", strconv.Itoa(primary.port))
	sport := freePort(t)
	conf := filepath.Join(t.TempDir(), "sentinel.conf")
	err := os.WriteFile(conf, fmt.Appendf(nil, "port %d\nbind 127.0.0.1\nsentinel monitor passbot 127.0.0.1 %d 1\n"+
		"sentinel down-after-milliseconds passbot 500\nsentinel failover-timeout passbot 5000\n", sport, primary.port), 0o600)
	if err != nil {
		t.Fatal(err)
	}
	sentinel := redis.NewSentinelClient(&redis.Options{Addr: startProcess(t, sport, exec.Command(bin, conf, "--sentinel")).addr()})
	t.Cleanup(func() { sentinel.Close() })
	master := func() string {
		a, err := sentinel.GetMasterAddrByName(ctx, "passbot").Result()
		if err != nil || len(a) != 2 {
			return ""
		}
		return a[0] + ":" + a[1]
	}
	awaitTrue(t, "the sentinel knows the replica", func() bool {
		rs, err := sentinel.Replicas(ctx, "passbot").Result()
		return err == nil && len(rs) == 1 && master() == primary.addr()
	})

	r := newLiveRig(t, fmt.Sprintf("redis-sentinel://127.0.0.1:%d/passbot", sport))
	r.selfService()
	replies := r.send(enginetest.Adele, bot.Message, "reset my passcode")
	for _, label := range enginetest.ResetClicks[:3] {
		replies = r.click(enginetest.Adele, replies, label)
	}
	yes := bot.Event{Kind: bot.Press, User: enginetest.Adele, DeliveryID: "in-flight", Action: enginetest.Button(t, replies, "Yes, reset")}
	// What was written is on the replica before the primary dies: Redis
	// replicates asynchronously, and this test is about the failover.
	pc := redis.NewClient(&redis.Options{Addr: primary.addr()})
	if n, err := pc.Do(ctx, "WAIT", 1, 5000).Int(); err != nil || n != 1 {
		t.Fatalf("WAIT for the replica: %d, %v", n, err)
	}
	pc.Close()
	primary.kill()

	var answers []string
	for attempt := 0; len(answers) == 0; attempt++ {
		if attempt == 20 {
			t.Fatal("the click was never answered after the failover")
		}
		actx, cancel := context.WithTimeout(ctx, 2*time.Second)
		got, err := r.e.Handle(actx, yes)
		cancel()
		if text := enginetest.Text(got); strings.Contains(text, "Your temporary passcode") {
			answers = append(answers, text)
		}
		if err != nil {
			// The platform redelivers (same delivery ID) until it is taken.
			awaitTrue(t, "the replica is promoted", func() bool { return master() == replica.addr() })
		}
	}
	// Whether go-redis rode through the failover or the click was
	// redelivered, it was served by the promoted replica.
	awaitTrue(t, "the replica is promoted", func() bool { return master() == replica.addr() })
	if again, err := r.e.Handle(ctx, yes); len(again) != 0 || err != nil {
		t.Errorf("a redelivery after the answer: %q, %v", enginetest.Text(again), err)
	}
	if n := r.env.Devices.Resets(); n != 2 {
		t.Errorf("%d resets in all, want 2: the in-flight click ran once", n)
	}
	r.wantReminders(2)
	if got := strings.Count(r.audit(), `"action":"reset_started"`); got != 2 {
		t.Errorf("%d reset_started records after the failover, want 2", got)
	}
}
