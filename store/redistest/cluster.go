package redistest

import (
	"context"
	"fmt"
	"math/rand/v2"
	"net"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"
)

// StartCluster starts a Redis Cluster of n primaries (no replicas) on
// loopback and returns its URL (redis-cluster://host:port,…) and its
// nodes' addresses. It needs redis-server and redis-cli on PATH: without
// them the test skips, or fails under CI (CI=true), which installs them.
func StartCluster(t testing.TB, n int) (url string, addrs []string) {
	t.Helper()
	addrs, cli := clusterNodes(t, n)
	create := exec.Command(cli, append(append([]string{"--cluster", "create"}, addrs...), "--cluster-replicas", "0", "--cluster-yes")...)
	if out, err := create.CombinedOutput(); err != nil {
		t.Fatalf("redis-cli --cluster create: %v\n%s", err, out)
	}
	waitClusterOK(t, addrs)
	return "redis-cluster://" + strings.Join(addrs, ","), addrs
}

// StartSharded starts a Redis that answers a plain client like a proxy in
// front of several shards (Redis Enterprise, Azure Managed Redis with the
// Enterprise clustering policy): every single-key command works, a script
// whose keys span hash slots is refused with CROSSSLOT. It is one
// cluster-enabled redis-server holding every slot; its URL is redis://.
// It skips or fails as StartCluster does.
func StartSharded(t testing.TB) (url string) {
	t.Helper()
	addrs, _ := clusterNodes(t, 1)
	c := redis.NewClient(&redis.Options{Addr: addrs[0]})
	defer c.Close()
	if err := c.ClusterAddSlotsRange(context.Background(), 0, 16383).Err(); err != nil {
		t.Fatalf("assign the slots: %v", err)
	}
	waitClusterOK(t, addrs)
	return "redis://" + addrs[0]
}

// clusterNodes starts n cluster-enabled redis-servers on loopback, holding
// no slots yet, and returns their addresses and redis-cli's path.
func clusterNodes(t testing.TB, n int) (addrs []string, cli string) {
	t.Helper()
	if testing.Short() {
		t.Skip("starts a Redis Cluster (-short skips it)")
	}
	server, err1 := exec.LookPath("redis-server")
	cli, err2 := exec.LookPath("redis-cli")
	if err1 != nil || err2 != nil {
		if os.Getenv("CI") != "" {
			t.Fatal("redis-server and redis-cli are needed for the cluster test")
		}
		t.Skip("no redis-server or redis-cli on PATH")
	}
	dir := t.TempDir()
	for i := range n {
		port := clusterPort(t)
		addr := net.JoinHostPort("127.0.0.1", strconv.Itoa(port))
		cmd := exec.Command(server, "--port", strconv.Itoa(port), "--bind", "127.0.0.1", "--cluster-enabled", "yes",
			"--cluster-config-file", fmt.Sprintf("nodes-%d.conf", i), "--dir", dir, "--save", "", "--appendonly", "no")
		if err := cmd.Start(); err != nil {
			t.Fatalf("start cluster node: %v", err)
		}
		t.Cleanup(func() { shutdown(cmd, &redis.Options{Addr: addr}) })
		waitPing(t, &redis.Options{Addr: addr})
		addrs = append(addrs, addr)
	}
	return addrs, cli
}

// waitClusterOK waits until each node says the cluster is ok: the nodes
// agree on the slots asynchronously.
func waitClusterOK(t testing.TB, addrs []string) {
	t.Helper()
	for _, addr := range addrs {
		c := redis.NewClient(&redis.Options{Addr: addr})
		deadline := time.Now().Add(20 * time.Second)
		for {
			info, err := c.ClusterInfo(context.Background()).Result()
			if err == nil && strings.Contains(info, "cluster_state:ok") {
				break
			}
			if time.Now().After(deadline) {
				t.Fatalf("cluster node %s not ok within 20s: %s %v", addr, info, err)
			}
			time.Sleep(20 * time.Millisecond)
		}
		c.Close()
	}
}

// clusterPort finds a port that is free together with its cluster bus port
// (port + 10000).
func clusterPort(t testing.TB) int {
	t.Helper()
	for range 100 {
		port := 20000 + rand.IntN(20000)
		a, err := net.Listen("tcp", net.JoinHostPort("127.0.0.1", strconv.Itoa(port)))
		if err != nil {
			continue
		}
		b, err := net.Listen("tcp", net.JoinHostPort("127.0.0.1", strconv.Itoa(port+10000)))
		a.Close()
		if err != nil {
			continue
		}
		b.Close()
		return port
	}
	t.Fatal("no free port pair for a cluster node")
	return 0
}

// waitPing waits until a server answers, asking it rather than sleeping a
// guessed time.
func waitPing(t testing.TB, opts *redis.Options) {
	t.Helper()
	// One dial per ping: go-redis would otherwise redial a server not yet
	// listening 5 times, 100 ms apart, before the loop could ask again.
	opts.MaxRetries, opts.DialerRetries = -1, 1
	c := redis.NewClient(opts)
	defer c.Close()
	deadline := time.Now().Add(10 * time.Second)
	for c.Ping(context.Background()).Err() != nil {
		if time.Now().After(deadline) {
			t.Fatalf("redis-server at %s did not start within 10s", opts.Addr)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// Sentinel is a primary, its replica and one Sentinel watching them, on
// loopback.
type Sentinel struct {
	// URL connects through the Sentinel (redis-sentinel://…/mymaster).
	URL string
	// Primary and Replica are the data nodes' addresses; Sentinel the
	// Sentinel's.
	Primary, Replica, Sentinel string
	primary                    *exec.Cmd
}

// StartSentinel starts a primary, a replica of it and a Sentinel that
// fails over within about a second of the primary's death. Like
// StartCluster it skips without redis-server, or fails under CI.
func StartSentinel(t testing.TB) *Sentinel {
	t.Helper()
	if testing.Short() {
		t.Skip("starts Redis with a replica and a Sentinel, and waits out a failover (-short skips it)")
	}
	server, err := exec.LookPath("redis-server")
	if err != nil {
		if os.Getenv("CI") != "" {
			t.Fatal("redis-server is needed for the Sentinel test")
		}
		t.Skip("no redis-server on PATH")
	}
	dir := t.TempDir()
	addr := func(port int) string { return net.JoinHostPort("127.0.0.1", strconv.Itoa(port)) }
	start := func(port int, args ...string) *exec.Cmd {
		cmd := exec.Command(server, args...)
		if err := cmd.Start(); err != nil {
			t.Fatalf("start %v: %v", args, err)
		}
		t.Cleanup(func() { shutdown(cmd, &redis.Options{Addr: addr(port)}) })
		return cmd
	}
	p, r, s := clusterPort(t), clusterPort(t), clusterPort(t)
	sn := &Sentinel{Primary: addr(p), Replica: addr(r), Sentinel: addr(s), URL: "redis-sentinel://" + addr(s) + "/mymaster"}
	// Without disk persistence the primary syncs its replica diskless, and
	// by default first waits 5 s (repl-diskless-sync-delay) for more
	// replicas to join the transfer: there is only one here.
	sn.primary = start(p, "--port", strconv.Itoa(p), "--bind", "127.0.0.1", "--dir", dir, "--dbfilename", "p.rdb", "--save", "", "--appendonly", "no",
		"--repl-diskless-sync-delay", "0")
	waitPing(t, &redis.Options{Addr: sn.Primary})
	start(r, "--port", strconv.Itoa(r), "--bind", "127.0.0.1", "--dir", dir, "--dbfilename", "r.rdb", "--save", "", "--appendonly", "no",
		"--replicaof", "127.0.0.1", strconv.Itoa(p))
	waitPing(t, &redis.Options{Addr: sn.Replica})
	conf := fmt.Sprintf("port %d\nbind 127.0.0.1\ndir %s\nsentinel monitor mymaster 127.0.0.1 %d 1\n"+
		"sentinel down-after-milliseconds mymaster 500\nsentinel failover-timeout mymaster 3000\n", s, dir, p)
	path := dir + "/sentinel.conf"
	if err := os.WriteFile(path, []byte(conf), 0o600); err != nil {
		t.Fatal(err)
	}
	start(s, path, "--sentinel")
	waitPing(t, &redis.Options{Addr: sn.Sentinel})
	// The replica must be in sync, and known to the Sentinel, before a
	// failover can promote it.
	sn.waitFor(t, "the replica to sync and be seen", func(c *redis.SentinelClient) bool {
		replicas, err := c.Replicas(context.Background(), "mymaster").Result()
		return err == nil && len(replicas) == 1 && fmt.Sprint(replicas[0]["flags"]) == "slave"
	})
	return sn
}

// KillPrimary kills the primary (SIGKILL: no goodbye to anyone).
func (s *Sentinel) KillPrimary(t testing.TB) {
	t.Helper()
	s.primary.Process.Kill()
	s.primary.Wait()
}

// WaitFailover waits until the Sentinel names the replica as the primary.
func (s *Sentinel) WaitFailover(t testing.TB) {
	t.Helper()
	s.waitFor(t, "the failover", func(c *redis.SentinelClient) bool {
		a, err := c.GetMasterAddrByName(context.Background(), "mymaster").Result()
		return err == nil && net.JoinHostPort(a[0], a[1]) == s.Replica
	})
}

// waitFor polls the Sentinel: its state changes on its own schedule.
func (s *Sentinel) waitFor(t testing.TB, what string, ok func(*redis.SentinelClient) bool) {
	t.Helper()
	c := redis.NewSentinelClient(&redis.Options{Addr: s.Sentinel})
	defer c.Close()
	deadline := time.Now().Add(30 * time.Second)
	for !ok(c) {
		if time.Now().After(deadline) {
			t.Fatalf("Sentinel: no %s within 30s", what)
		}
		time.Sleep(50 * time.Millisecond)
	}
}
