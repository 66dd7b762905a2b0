package store

import (
	"errors"
	"fmt"
	"net"
	"net/url"
	"strconv"
	"strings"

	"github.com/redis/go-redis/v9"
)

// ParseURL turns PASSBOT_REDIS_URL into options for redis.NewUniversalClient,
// which then picks a single-server, Sentinel or Cluster client:
//
//	redis://[[user]:password@]host[:6379][/db][?options]       one server
//	rediss://…                                                 the same over TLS
//	unix://[[user]:password@]/path/to/redis.sock[?db=N]        one server on a unix socket
//	redis-sentinel://[[user]:password@]h1:26379,h2:26379/master[/db][?options]
//	redis-cluster://[[user]:password@]h1:6379,h2:6379[?options]
//
// rediss-sentinel:// and rediss-cluster:// use TLS. For Sentinel the
// user and password are the Redis servers'; sentinel_username and
// sentinel_password authenticate to the Sentinels themselves. Cluster also
// takes read_only, route_by_latency, route_randomly and max_redirects; every
// scheme takes go-redis's connection options (dial_timeout, read_timeout,
// pool_size, max_retries, client_name, protocol, …, see redis.ParseURL).
// Unknown options are errors, so a typo does not pass silently. Errors never
// repeat the URL, which may hold a password.
func ParseURL(rawURL string) (*redis.UniversalOptions, error) {
	scheme, rest, ok := strings.Cut(rawURL, "://")
	if !ok {
		return nil, errors.New("store: redis URL: want scheme://…, e.g. redis://host:6379")
	}
	switch scheme {
	case "redis", "rediss", "unix":
		o, err := redis.ParseURL(rawURL)
		if err != nil {
			return nil, urlError(err)
		}
		if o.Network == "unix" && !strings.HasPrefix(o.Addr, "/") {
			return nil, errors.New("store: redis URL: unix socket path must be absolute")
		}
		return universal(o), nil
	case "redis-sentinel", "rediss-sentinel":
		return parseMulti(scheme, rest, true)
	case "redis-cluster", "rediss-cluster":
		return parseMulti(scheme, rest, false)
	}
	return nil, fmt.Errorf("store: redis URL: unknown scheme %q (want redis, rediss, unix, redis-sentinel, rediss-sentinel, redis-cluster or rediss-cluster)", scheme)
}

// parseMulti parses the URLs with a comma-separated host list. The host list
// is not a valid URL host, so it is cut out first; the rest is parsed as a
// single-server URL, which gives the shared options the same meaning and
// checks as redis.ParseURL.
func parseMulti(scheme, rest string, sentinel bool) (*redis.UniversalOptions, error) {
	authority, tail := rest, ""
	if i := strings.IndexAny(rest, "/?"); i >= 0 {
		authority, tail = rest[:i], rest[i:]
	}
	userinfo, hostlist := "", authority
	if i := strings.LastIndex(authority, "@"); i >= 0 {
		userinfo, hostlist = authority[:i+1], authority[i+1:]
	}
	defaultPort := "6379"
	if sentinel {
		defaultPort = "26379"
	}
	var addrs []string
	for h := range strings.SplitSeq(hostlist, ",") {
		addr, err := hostPort(h, defaultPort)
		if err != nil {
			return nil, err
		}
		addrs = append(addrs, addr)
	}

	tls := strings.HasPrefix(scheme, "rediss")
	single := "redis://"
	if tls {
		single = "rediss://"
	}
	u, err := url.Parse(single + userinfo + "localhost" + tail)
	if err != nil {
		return nil, urlError(err)
	}
	q, err := url.ParseQuery(u.RawQuery)
	if err != nil {
		return nil, fmt.Errorf("store: redis URL: query: %w", err)
	}
	take := func(name string) string {
		v := q.Get(name)
		q.Del(name)
		return v
	}
	var master string
	var sentinelUser, sentinelPass string
	var readOnly, byLatency, randomly bool
	var maxRedirects int
	if sentinel {
		path := strings.Trim(u.Path, "/")
		name, db, _ := strings.Cut(path, "/")
		if name == "" {
			return nil, errors.New("store: redis URL: Sentinel URL needs the master name as its path, e.g. redis-sentinel://host:26379/mymaster")
		}
		master, u.Path = name, "/"+db
		sentinelUser, sentinelPass = take("sentinel_username"), take("sentinel_password")
	} else {
		if p := strings.Trim(u.Path, "/"); p != "" && p != "0" {
			return nil, errors.New("store: redis URL: Redis Cluster has only database 0")
		}
		if db := q.Get("db"); db != "" && db != "0" {
			return nil, errors.New("store: redis URL: Redis Cluster has only database 0")
		}
		u.Path = ""
		for name, dst := range map[string]*bool{"read_only": &readOnly, "route_by_latency": &byLatency, "route_randomly": &randomly} {
			if v := take(name); v != "" {
				b, err := strconv.ParseBool(v)
				if err != nil {
					return nil, fmt.Errorf("store: redis URL: %s: want true or false, got %q", name, v)
				}
				*dst = b
			}
		}
		if v := take("max_redirects"); v != "" {
			if maxRedirects, err = strconv.Atoi(v); err != nil {
				return nil, fmt.Errorf("store: redis URL: max_redirects: want a number, got %q", v)
			}
		}
	}
	u.RawQuery = q.Encode()
	o, err := redis.ParseURL(u.String())
	if err != nil {
		return nil, urlError(err)
	}
	uo := universal(o)
	uo.Addrs = addrs
	if uo.TLSConfig != nil {
		// Several hosts: let crypto/tls take each one's name from its address.
		uo.TLSConfig.ServerName = ""
	}
	if sentinel {
		uo.MasterName = master
		uo.SentinelUsername, uo.SentinelPassword = sentinelUser, sentinelPass
	} else {
		uo.IsClusterMode = true // a single seed address is still a cluster
		uo.ReadOnly, uo.RouteByLatency, uo.RouteRandomly = readOnly, byLatency, randomly
		uo.MaxRedirects = maxRedirects
	}
	return uo, nil
}

// hostPort checks one entry of a host list and adds the default port.
func hostPort(h, defaultPort string) (string, error) {
	if h == "" {
		return "", errors.New("store: redis URL: empty host in the host list")
	}
	host, port := h, defaultPort
	switch {
	case strings.HasPrefix(h, "[") && strings.HasSuffix(h, "]"):
		host = h[1 : len(h)-1]
	case strings.HasPrefix(h, "[") || strings.Count(h, ":") == 1:
		var err error
		if host, port, err = net.SplitHostPort(h); err != nil {
			return "", fmt.Errorf("store: redis URL: host %q: %w", h, err)
		}
	case strings.Contains(h, ":"):
		return "", fmt.Errorf("store: redis URL: host %q: put IPv6 addresses in brackets", h)
	}
	if n, err := strconv.Atoi(port); err != nil || n < 1 || n > 65535 {
		return "", fmt.Errorf("store: redis URL: host %q: bad port", h)
	}
	if host == "" || strings.ContainsAny(host, "/?#@[] ") {
		return "", fmt.Errorf("store: redis URL: bad host %q", h)
	}
	return net.JoinHostPort(host, port), nil
}

// urlError drops the URL from url.Parse's errors: it may hold a password.
func urlError(err error) error {
	if ue, ok := errors.AsType[*url.Error](err); ok {
		err = ue.Err
	}
	return fmt.Errorf("store: redis URL: %w", err)
}

// universal copies a single-server client's options into UniversalOptions.
func universal(o *redis.Options) *redis.UniversalOptions {
	return &redis.UniversalOptions{
		Addrs:                   []string{o.Addr},
		ClientName:              o.ClientName,
		DB:                      o.DB,
		Protocol:                o.Protocol,
		Username:                o.Username,
		Password:                o.Password,
		MaxRetries:              o.MaxRetries,
		MinRetryBackoff:         o.MinRetryBackoff,
		MaxRetryBackoff:         o.MaxRetryBackoff,
		DialTimeout:             o.DialTimeout,
		ReadTimeout:             o.ReadTimeout,
		WriteTimeout:            o.WriteTimeout,
		PoolFIFO:                o.PoolFIFO,
		PoolSize:                o.PoolSize,
		PoolTimeout:             o.PoolTimeout,
		MinIdleConns:            o.MinIdleConns,
		MaxIdleConns:            o.MaxIdleConns,
		MaxActiveConns:          o.MaxActiveConns,
		MaxConcurrentDials:      o.MaxConcurrentDials,
		PipelinePoolSize:        o.PipelinePoolSize,
		PipelineReadBufferSize:  o.PipelineReadBufferSize,
		PipelineWriteBufferSize: o.PipelineWriteBufferSize,
		ConnMaxIdleTime:         o.ConnMaxIdleTime,
		ConnMaxLifetime:         o.ConnMaxLifetime,
		ConnMaxLifetimeJitter:   o.ConnMaxLifetimeJitter,
		TLSConfig:               o.TLSConfig,
	}
}
