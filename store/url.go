package store

import (
	"errors"
	"fmt"
	"net"
	"net/url"
	"reflect"
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
// sentinel_password authenticate to the Sentinels themselves. The options
// are go-redis's: redis.ParseURL's for one server, redis.ParseClusterURL's
// for Cluster (read_only, route_randomly, max_redirects, …) and
// redis.ParseFailoverURL's for Sentinel. Unknown options are errors, so a
// typo does not pass silently. Errors never repeat the URL, which may hold a
// password.
func ParseURL(rawURL string) (*redis.UniversalOptions, error) {
	scheme, rest, ok := strings.Cut(rawURL, "://")
	if !ok {
		return nil, errors.New("store: redis URL: want scheme://…, e.g. redis://host:6379")
	}
	var parsed any
	var err error
	switch scheme {
	case "redis", "rediss", "unix":
		o, perr := redis.ParseURL(rawURL)
		if perr == nil && o.Network == "unix" && !strings.HasPrefix(o.Addr, "/") {
			return nil, errors.New("store: redis URL: unix socket path must be absolute")
		}
		parsed, err = o, perr
	case "redis-sentinel", "rediss-sentinel", "redis-cluster", "rediss-cluster":
		parsed, err = parseMulti(scheme, rest)
	default:
		return nil, fmt.Errorf("store: redis URL: unknown scheme %q (want redis, rediss, unix, redis-sentinel, rediss-sentinel, redis-cluster or rediss-cluster)", scheme)
	}
	if err != nil {
		return nil, urlError(err)
	}
	return universal(parsed)
}

// parseMulti rewrites the URLs with a comma-separated host list into the
// form go-redis parses (the first host as the URL's, the others as addr=
// options) and parses that. go-redis's forms are not passbot's because
// passbot's came first and are in every deployment's configuration: the
// host list reads as one, and for Sentinel the URL's user is the Redis
// servers' as in the other schemes, where go-redis takes it for the
// Sentinels'.
func parseMulti(scheme, rest string) (any, error) {
	sentinel := strings.HasSuffix(scheme, "-sentinel")
	authority, tail := rest, ""
	if i := strings.IndexAny(rest, "/?"); i >= 0 {
		authority, tail = rest[:i], rest[i:]
	}
	userinfo, hostlist := "", authority
	if i := strings.LastIndex(authority, "@"); i >= 0 {
		userinfo, hostlist = authority[:i+1], authority[i+1:]
	}
	// go-redis's default port is 6379 for Sentinels too, and it reads an
	// unbracketed IPv6 address as host and port: so each host is checked
	// and given its port here.
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

	base := "redis://"
	if strings.HasPrefix(scheme, "rediss") {
		base = "rediss://"
	}
	u, err := url.Parse(base + userinfo + addrs[0] + tail)
	if err != nil {
		return nil, err
	}
	q, err := url.ParseQuery(u.RawQuery)
	if err != nil {
		return nil, fmt.Errorf("query: %w", err)
	}
	for _, a := range addrs[1:] {
		q.Add("addr", a)
	}
	if sentinel {
		name, db, _ := strings.Cut(strings.Trim(u.Path, "/"), "/")
		if name == "" {
			return nil, errors.New("a Sentinel URL needs the master name as its path, e.g. redis-sentinel://host:26379/mymaster")
		}
		u.Path = "/" + db
		q.Set("master_name", name)
		if u.User != nil {
			q.Set("username", u.User.Username())
			pw, _ := u.User.Password()
			q.Set("password", pw)
		}
		u.User = nil
		if user, pw := q.Get("sentinel_username"), q.Get("sentinel_password"); user != "" || pw != "" {
			u.User = url.UserPassword(user, pw)
		}
		q.Del("sentinel_username")
		q.Del("sentinel_password")
		u.RawQuery = q.Encode()
		return redis.ParseFailoverURL(u.String())
	}
	// go-redis ignores a Cluster URL's path and calls db= an unknown
	// option: say what is wrong.
	if p := strings.Trim(u.Path, "/"); (p != "" && p != "0") || (q.Has("db") && q.Get("db") != "0") {
		return nil, errors.New("Redis Cluster has only database 0")
	}
	q.Del("db")
	u.RawQuery = q.Encode()
	return redis.ParseClusterURL(u.String())
}

// hostPort checks one entry of a host list and adds the default port.
func hostPort(h, defaultPort string) (string, error) {
	if h == "" {
		return "", errors.New("empty host in the host list")
	}
	host, port := h, defaultPort
	switch {
	case strings.HasPrefix(h, "[") && strings.HasSuffix(h, "]"):
		host = h[1 : len(h)-1]
	case strings.HasPrefix(h, "[") || strings.Count(h, ":") == 1:
		var err error
		if host, port, err = net.SplitHostPort(h); err != nil {
			return "", fmt.Errorf("host %q: %w", h, err)
		}
	case strings.Contains(h, ":"):
		return "", fmt.Errorf("host %q: put IPv6 addresses in brackets", h)
	}
	if n, err := strconv.Atoi(port); err != nil || n < 1 || n > 65535 {
		return "", fmt.Errorf("host %q: bad port", h)
	}
	if host == "" || strings.ContainsAny(host, "/?#@[] ") {
		return "", fmt.Errorf("bad host %q", h)
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

// universal copies what go-redis parsed (*redis.Options,
// *redis.FailoverOptions or *redis.ClusterOptions) into UniversalOptions,
// field by field of the same name and type: go-redis converts only the
// other way. An option set that UniversalOptions has no field for
// (Sentinel's replica_only, say) is an error, not silently dropped.
func universal(parsed any) (*redis.UniversalOptions, error) {
	uo := &redis.UniversalOptions{}
	dst := reflect.ValueOf(uo).Elem()
	src := reflect.ValueOf(parsed).Elem()
	for i := range src.NumField() {
		f := src.Type().Field(i)
		v := src.Field(i)
		switch {
		case !f.IsExported() || v.IsZero():
			continue
		case f.Name == "Addr" || f.Name == "SentinelAddrs":
			// The single server's address, or the Sentinels': both are
			// UniversalOptions' Addrs, as its Simple and Failover methods read them.
			if f.Name == "Addr" {
				uo.Addrs = []string{v.String()}
			} else {
				uo.Addrs = v.Interface().([]string)
			}
			continue
		case f.Name == "Network":
			continue // the client tells a unix socket by its path starting with /
		}
		d := dst.FieldByName(f.Name)
		if !d.IsValid() || d.Type() != f.Type {
			return nil, fmt.Errorf("store: redis URL: %s cannot be set in PASSBOT_REDIS_URL (no universal client option)", f.Name)
		}
		d.Set(v)
	}
	// A single seed address is still a cluster.
	_, uo.IsClusterMode = parsed.(*redis.ClusterOptions)
	if _, single := parsed.(*redis.Options); !single && uo.TLSConfig != nil {
		// go-redis names the first host; with several, crypto/tls takes
		// each one's name from its address.
		uo.TLSConfig.ServerName = ""
	}
	return uo, nil
}
