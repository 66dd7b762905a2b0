// Package compose checks compose.yaml offline with the Compose Spec's own
// loader (github.com/compose-spec/compose-go, what `docker compose` itself
// uses): schema validation, .env and ${VAR} interpolation, env_file, then
// what an operator relies on once it loads. No Docker engine is needed. It
// is a module of its own so that compose-go stays out of passbot's go.mod.
package compose

import (
	"bufio"
	"context"
	"errors"
	"net"
	"net/url"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/compose-spec/compose-go/v2/cli"
	"github.com/compose-spec/compose-go/v2/template"
	"github.com/compose-spec/compose-go/v2/types"
)

// load loads compose.yaml as `docker compose` would from a directory holding
// it and, unless dotenv is nil, an .env with dotenv's lines. shell is the
// environment of the shell compose runs in; the test's own never leaks in.
// The copy keeps a developer's uncommitted .env beside the real file out.
func load(t *testing.T, dotenv []string, shell ...string) (*types.Project, error) {
	t.Helper()
	data, err := os.ReadFile(filepath.Join("..", "..", "compose.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	file := filepath.Join(dir, "compose.yaml")
	if err := os.WriteFile(file, data, 0o600); err != nil {
		t.Fatal(err)
	}
	if dotenv != nil {
		if err := os.WriteFile(filepath.Join(dir, ".env"), []byte(strings.Join(dotenv, "\n")+"\n"), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	// The options of docker/compose's cmd/compose (ProjectOptions.ToProjectOptions),
	// with the shell given instead of os.Environ.
	opts, err := cli.NewProjectOptions([]string{file},
		cli.WithWorkingDirectory(dir),
		cli.WithEnv(shell),
		cli.WithEnvFiles(),
		cli.WithDotEnv,
	)
	if err != nil {
		t.Fatal(err)
	}
	return opts.LoadProject(context.Background())
}

func service(t *testing.T, p *types.Project, name string) types.ServiceConfig {
	t.Helper()
	s, err := p.GetService(name)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

func TestWithoutPlatformsComposeStopsWithItsMessage(t *testing.T) {
	for _, tc := range []struct {
		name   string
		dotenv []string
	}{
		{"no .env at all", nil},
		{".env with tokens but no PASSBOT_PLATFORMS", []string{"PASSBOT_SLACK_BOT_TOKEN=xoxb-test"}},
		{"PASSBOT_PLATFORMS set to nothing", []string{"PASSBOT_PLATFORMS="}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			p, err := load(t, tc.dotenv)
			var missing *template.MissingRequiredError
			if !errors.As(err, &missing) {
				t.Fatalf("compose loaded (err %v), want it to stop on PASSBOT_PLATFORMS; it would start passbot with PASSBOT_PLATFORMS=%q",
					err, deref(service(t, p, "passbot").Environment["PASSBOT_PLATFORMS"]))
			}
			if missing.Variable != "PASSBOT_PLATFORMS" || !strings.Contains(missing.Reason, ".env beside compose.yaml") {
				t.Errorf("compose stops with %q, want compose.yaml's message about PASSBOT_PLATFORMS and .env", err)
			}
		})
	}
}

// minimal is the .env the README asks for: the platform and its tokens.
var minimal = map[string][]string{
	"slack":   {"PASSBOT_PLATFORMS=slack", "PASSBOT_SLACK_BOT_TOKEN=xoxb-test", "PASSBOT_SLACK_APP_TOKEN=xapp-test"},
	"discord": {"PASSBOT_PLATFORMS=discord", "PASSBOT_DISCORD_TOKEN=discord-test"},
}

func TestMinimalEnvRunsPassbotAfterAHealthyRedis(t *testing.T) {
	for platform, dotenv := range minimal {
		t.Run(platform, func(t *testing.T) {
			p, err := load(t, dotenv)
			if err != nil {
				t.Fatalf("compose.yaml with the minimal .env: %v", err)
			}
			if got := p.ServiceNames(); !slices.Equal(got, []string{"passbot", "redis"}) {
				t.Errorf("services %q, want passbot and redis", got)
			}
			bot := service(t, p, "passbot")
			if dep, ok := bot.DependsOn["redis"]; !ok || dep.Condition != types.ServiceConditionHealthy {
				t.Errorf("passbot depends on redis %+v, want condition %s", bot.DependsOn, types.ServiceConditionHealthy)
			}
			for _, s := range []types.ServiceConfig{bot, service(t, p, "redis")} {
				if s.Restart != types.RestartPolicyUnlessStopped {
					t.Errorf("%s: restart %q, want %s", s.Name, s.Restart, types.RestartPolicyUnlessStopped)
				}
			}
			if got := bot.Environment["PASSBOT_PLATFORMS"]; got == nil || *got != platform {
				t.Errorf("PASSBOT_PLATFORMS reaches the container as %q, want %s", deref(got), platform)
			}
			// Every variable the operator left unset stays unset in the
			// container, so passbot's own default applies: an empty
			// PASSBOT_APPROVERS would let nobody approve.
			for name, v := range bot.Environment {
				if v != nil && *v == "" {
					t.Errorf("%s reaches the container empty", name)
				}
			}
			if v, ok := bot.Environment["PASSBOT_APPROVERS"]; !ok || v != nil {
				t.Errorf("PASSBOT_APPROVERS unset in .env: listed %v, value %q; want listed without a value", ok, deref(v))
			}
		})
	}
}

func TestApproversFromDotEnvReachPassbot(t *testing.T) {
	p, err := load(t, append(slices.Clone(minimal["slack"]), "PASSBOT_APPROVERS=S0HELPDESK,U0123456"))
	if err != nil {
		t.Fatal(err)
	}
	if got := service(t, p, "passbot").Environment["PASSBOT_APPROVERS"]; got == nil || *got != "S0HELPDESK,U0123456" {
		t.Errorf("PASSBOT_APPROVERS = %q, want the .env's S0HELPDESK,U0123456", deref(got))
	}
}

// addrPort is the port of a PASSBOT_*_ADDR listen address such as ":9090".
func addrPort(t *testing.T, env types.MappingWithEquals, name string) uint32 {
	t.Helper()
	v := env[name]
	if v == nil {
		t.Fatalf("%s is not set in the container", name)
	}
	_, port, err := net.SplitHostPort(*v)
	if err != nil {
		t.Fatalf("%s=%q: %v", name, *v, err)
	}
	n, err := strconv.ParseUint(port, 10, 16)
	if err != nil {
		t.Fatalf("%s=%q: %v", name, *v, err)
	}
	return uint32(n)
}

func TestPortsAndHealthcheckMatchPassbotsListeners(t *testing.T) {
	p, err := load(t, minimal["slack"])
	if err != nil {
		t.Fatal(err)
	}
	bot := service(t, p, "passbot")
	published := map[uint32]types.ServicePortConfig{}
	for _, port := range bot.Ports {
		published[port.Target] = port
	}
	public, ops := addrPort(t, bot.Environment, "PASSBOT_HTTP_ADDR"), addrPort(t, bot.Environment, "PASSBOT_OPS_ADDR")
	if _, ok := published[public]; !ok {
		t.Errorf("the public listener's port %d is not published (ports %+v)", public, bot.Ports)
	}
	// /metrics and /readyz are for this host only.
	if port, ok := published[ops]; !ok || port.HostIP != "127.0.0.1" {
		t.Errorf("the ops port %d: published %v as %+v, want on 127.0.0.1 only", ops, ok, port)
	}
	// `passbot healthcheck` GETs /healthz on PASSBOT_OPS_ADDR, which the
	// container has, so it probes the ops listener.
	hc := bot.HealthCheck
	if hc == nil || hc.Disable || !slices.Equal(hc.Test, types.HealthCheckTest{"CMD", "/passbot", "healthcheck"}) {
		t.Errorf("passbot healthcheck %+v, want CMD /passbot healthcheck", hc)
	}

	redis := service(t, p, "redis")
	if len(redis.Ports) != 0 {
		t.Errorf("redis publishes %+v; only passbot should reach it", redis.Ports)
	}
	if hc := redis.HealthCheck; hc == nil || !slices.Equal(hc.Test, types.HealthCheckTest{"CMD", "redis-cli", "ping"}) {
		t.Errorf("redis healthcheck %+v, want CMD redis-cli ping (service_healthy depends on it)", hc)
	}
	u, err := url.Parse(deref(bot.Environment["PASSBOT_REDIS_URL"]))
	if err != nil || u.Scheme != "redis" || u.Hostname() != "redis" || u.Port() != "6379" {
		t.Errorf("PASSBOT_REDIS_URL %v (%v), want redis://redis:6379/...", deref(bot.Environment["PASSBOT_REDIS_URL"]), err)
	}
}

func deref(v *string) string {
	if v == nil {
		return ""
	}
	return *v
}

func TestRedisKeepsItsDataOnAVolume(t *testing.T) {
	p, err := load(t, minimal["slack"])
	if err != nil {
		t.Fatal(err)
	}
	redis := service(t, p, "redis")
	// Without the append-only file a restart loses conversations and
	// pending follow-ups.
	if i := slices.Index(redis.Command, "--appendonly"); i < 0 || i+1 >= len(redis.Command) || redis.Command[i+1] != "yes" {
		t.Errorf("redis command %q lacks --appendonly yes", redis.Command)
	}
	if len(redis.Volumes) != 1 {
		t.Fatalf("redis volumes %+v, want the one data volume", redis.Volumes)
	}
	v := redis.Volumes[0]
	if v.Type != types.VolumeTypeVolume || v.Target != "/data" {
		t.Errorf("redis volume %+v, want a named volume on /data", v)
	}
	if _, ok := p.Volumes[v.Source]; !ok {
		t.Errorf("volume %q is not declared at the top level (%v)", v.Source, p.Volumes)
	}
}

// dockerfileArgs are the names of the Dockerfile's ARG lines.
func dockerfileArgs(t *testing.T) []string {
	t.Helper()
	f, err := os.Open(filepath.Join("..", "..", "Dockerfile"))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	var names []string
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		if arg, ok := strings.CutPrefix(strings.TrimSpace(sc.Text()), "ARG "); ok {
			name, _, _ := strings.Cut(arg, "=")
			names = append(names, name)
		}
	}
	if err := sc.Err(); err != nil {
		t.Fatal(err)
	}
	return names
}

func TestBuildStampsTheVersion(t *testing.T) {
	for _, tc := range []struct {
		name  string
		shell []string
		want  map[string]string
		image string
	}{
		{"a plain docker compose build", nil,
			map[string]string{"VERSION": "dev", "COMMIT": "unknown", "BUILD_DATE": "unknown"}, "passbot:dev"},
		{"the README's exports", []string{"PASSBOT_VERSION=1.4.0", "PASSBOT_COMMIT=c0ffee", "PASSBOT_BUILD_DATE=2026-11-30T09:00:00Z"},
			map[string]string{"VERSION": "1.4.0", "COMMIT": "c0ffee", "BUILD_DATE": "2026-11-30T09:00:00Z"}, "passbot:1.4.0"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			p, err := load(t, minimal["slack"], tc.shell...)
			if err != nil {
				t.Fatal(err)
			}
			bot := service(t, p, "passbot")
			if bot.Build == nil {
				t.Fatal("passbot has no build section")
			}
			declared := dockerfileArgs(t)
			for arg, want := range tc.want {
				if got := bot.Build.Args[arg]; got == nil || *got != want {
					t.Errorf("build arg %s = %q, want %s", arg, deref(got), want)
				}
				if !slices.Contains(declared, arg) {
					t.Errorf("build arg %s is no ARG of the Dockerfile (%q): it would not reach the build", arg, declared)
				}
			}
			if bot.Image != tc.image {
				t.Errorf("image %q, want %q", bot.Image, tc.image)
			}
		})
	}
}
