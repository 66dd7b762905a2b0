package store_test

import (
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/passbot/passbot/store"
	"github.com/passbot/passbot/store/redistest"
	"github.com/redis/go-redis/v9"
)

func TestParseURL(t *testing.T) {
	t.Parallel()
	type want struct {
		client       string // which client redis.NewUniversalClient picks
		addrs        []string
		db           int
		user, pass   string
		master       string
		sentinelPw   string
		sentinelUser string
		tls          bool
		serverName   string
		readOnly     bool
		randomly     bool
		dial         time.Duration
		poolSize     int
	}
	cases := []struct {
		name string
		url  string
		want want
	}{
		{"one server with a database", "redis://redis.internal:6380/2",
			want{client: "single", addrs: []string{"redis.internal:6380"}, db: 2}},
		{"one server, default port and a password", "redis://:s3cret@redis.internal",
			want{client: "single", addrs: []string{"redis.internal:6379"}, pass: "s3cret"}},
		{"one server with an ACL user and options", "redis://passbot:pw@10.0.0.5:6379/0?dial_timeout=3s&pool_size=20",
			want{client: "single", addrs: []string{"10.0.0.5:6379"}, user: "passbot", pass: "pw", dial: 3 * time.Second, poolSize: 20}},
		{"one server over TLS", "rediss://cache.example.com:6380",
			want{client: "single", addrs: []string{"cache.example.com:6380"}, tls: true, serverName: "cache.example.com"}},
		{"a unix socket", "unix:///run/redis/redis.sock?db=3",
			want{client: "single", addrs: []string{"/run/redis/redis.sock"}, db: 3}},
		{"Sentinel, as in the docs", "redis-sentinel://:pw@host1:26379,host2:26379/mymaster?db=0",
			want{client: "sentinel", addrs: []string{"host1:26379", "host2:26379"}, master: "mymaster", pass: "pw"}},
		{"Sentinel with default ports, a database in the path and a Sentinel password", "redis-sentinel://s1,s2,s3/passbot/4?sentinel_password=sp&dial_timeout=2s",
			want{client: "sentinel", addrs: []string{"s1:26379", "s2:26379", "s3:26379"}, master: "passbot", db: 4, sentinelPw: "sp", dial: 2 * time.Second}},
		{"Sentinel with the database as a query", "redis-sentinel://s1:5000/passbot?db=7",
			want{client: "sentinel", addrs: []string{"s1:5000"}, master: "passbot", db: 7}},
		{"Sentinel with the servers' and the Sentinels' credentials apart, escaped", "redis-sentinel://app:p%40ss%26w@s1/m?sentinel_username=su&sentinel_password=s%3Dp",
			want{client: "sentinel", addrs: []string{"s1:26379"}, master: "m", user: "app", pass: "p@ss&w", sentinelUser: "su", sentinelPw: "s=p"}},
		{"Sentinel over TLS names each host from its address", "rediss-sentinel://s1,s2/m",
			want{client: "sentinel", addrs: []string{"s1:26379", "s2:26379"}, master: "m", tls: true}},
		{"Cluster", "redis-cluster://host1:6379,host2:6379",
			want{client: "cluster", addrs: []string{"host1:6379", "host2:6379"}}},
		{"Cluster from one seed node, with options", "redis-cluster://:pw@seed:7000/?read_only=true&route_randomly=1&pool_size=5",
			want{client: "cluster", addrs: []string{"seed:7000"}, pass: "pw", readOnly: true, randomly: true, poolSize: 5}},
		{"Cluster with IPv6 nodes", "redis-cluster://[::1]:7000,[fd00::2]",
			want{client: "cluster", addrs: []string{"[::1]:7000", "[fd00::2]:6379"}}},
		{"Cluster over TLS", "rediss-cluster://n1:7000,n2:7000",
			want{client: "cluster", addrs: []string{"n1:7000", "n2:7000"}, tls: true}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			o, err := store.ParseURL(tc.url)
			if err != nil {
				t.Fatalf("ParseURL(%q): %v", tc.url, err)
			}
			w := tc.want
			if !slices.Equal(o.Addrs, w.addrs) {
				t.Errorf("Addrs %q, want %q", o.Addrs, w.addrs)
			}
			if o.DB != w.db || o.Username != w.user || o.Password != w.pass || o.MasterName != w.master || o.SentinelUsername != w.sentinelUser || o.SentinelPassword != w.sentinelPw {
				t.Errorf("DB %d user %q password %q master %q sentinel user %q password %q, want %d %q %q %q %q %q",
					o.DB, o.Username, o.Password, o.MasterName, o.SentinelUsername, o.SentinelPassword, w.db, w.user, w.pass, w.master, w.sentinelUser, w.sentinelPw)
			}
			if (o.TLSConfig != nil) != w.tls {
				t.Errorf("TLS %v, want %v", o.TLSConfig != nil, w.tls)
			} else if w.tls && o.TLSConfig.ServerName != w.serverName {
				t.Errorf("TLS server name %q, want %q", o.TLSConfig.ServerName, w.serverName)
			}
			if o.ReadOnly != w.readOnly || o.RouteRandomly != w.randomly || o.DialTimeout != w.dial || o.PoolSize != w.poolSize {
				t.Errorf("ReadOnly %v RouteRandomly %v DialTimeout %v PoolSize %d, want %v %v %v %d",
					o.ReadOnly, o.RouteRandomly, o.DialTimeout, o.PoolSize, w.readOnly, w.randomly, w.dial, w.poolSize)
			}
			// Creating a client does not dial, so this runs with no Redis.
			c := redis.NewUniversalClient(o)
			defer c.Close()
			if got := clientKind(c); got != w.client {
				t.Errorf("NewUniversalClient made a %s client, want %s", got, w.client)
			}
		})
	}
}

func clientKind(c redis.UniversalClient) string {
	switch c := c.(type) {
	case *redis.ClusterClient:
		return "cluster"
	case *redis.Client:
		if c.Options().Addr == "FailoverClient" {
			return "sentinel"
		}
		return "single"
	}
	return "other"
}

func TestParseURLRejects(t *testing.T) {
	t.Parallel()
	cases := []struct{ name, url, msg string }{
		{"no scheme", "localhost:6379", "scheme"},
		{"an unknown scheme", "http://localhost", "unknown scheme"},
		{"a Sentinel URL without a master name", "redis-sentinel://s1,s2", "master name"},
		{"a Sentinel URL with a bad database", "redis-sentinel://s1/m/x", "database"},
		{"a database on Cluster", "redis-cluster://h1,h2/2", "only database 0"},
		{"a database query on Cluster", "redis-cluster://h1,h2?db=1", "only database 0"},
		{"an empty host in the list", "redis-cluster://h1,,h2", "empty host"},
		{"a bad port", "redis-cluster://h1:http", "bad port"},
		{"an unbracketed IPv6 address", "redis-cluster://::1:7000", "brackets"},
		{"a typo in an option", "redis-sentinel://s1/m?dial_timout=1s", "unexpected option"},
		{"a bad boolean", "redis-cluster://h1?read_only=maybe", "read_only"},
		{"a Sentinel option the universal client lacks", "redis-sentinel://s1/m?replica_only=true", "ReplicaOnly"},
		{"a relative unix socket", "unix://", "unix socket path"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			_, err := store.ParseURL(tc.url)
			if err == nil || !strings.Contains(err.Error(), tc.msg) {
				t.Errorf("ParseURL(%q) = %v, want an error about %q", tc.url, err, tc.msg)
			}
		})
	}
}

// The URL is configuration that may hold a password; errors end up in logs.
func TestParseURLErrorsDoNotRepeatThePassword(t *testing.T) {
	t.Parallel()
	for _, u := range []string{
		"redis://:hunter2@host:notaport",
		"redis://:hunter2@host/%zz",
		"redis-sentinel://:hunter2@s1/m?db=%zz",
		"redis-cluster://:hunter2@h1,h2/%zz",
		"redis-cluster://:hunter2@h1,h2?bogus=1",
	} {
		_, err := store.ParseURL(u)
		if err == nil {
			t.Errorf("ParseURL(%q) accepted a bad URL", u)
			continue
		}
		if strings.Contains(err.Error(), "hunter2") {
			t.Errorf("ParseURL error repeats the password: %v", err)
		}
	}
}

func TestParseURLConnects(t *testing.T) {
	t.Parallel()
	srv := redistest.Start(t)
	o, err := store.ParseURL(srv.URL)
	if err != nil {
		t.Fatal(err)
	}
	c := redis.NewUniversalClient(o)
	defer c.Close()
	if err := c.Ping(t.Context()).Err(); err != nil {
		t.Fatalf("ping %s: %v", srv.URL, err)
	}
}
