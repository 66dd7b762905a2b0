// Package helm renders the passbot chart (deploy/helm/passbot) with Helm's
// own SDK, as `helm template` would, decodes what it renders strictly into
// the Kubernetes API types and holds it to the checks of the example
// manifests (deploy/kubernetes), and checks that values.yaml has a key for
// every PASSBOT_ setting of passbot. It is a module of its own so that Helm
// stays out of passbot's go.mod.
package helm

import (
	"go/ast"
	"go/parser"
	"go/token"
	"maps"
	"path/filepath"
	"reflect"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/passbot/passbot/deploy/kubernetes"
	"helm.sh/helm/v4/pkg/chart/common"
	"helm.sh/helm/v4/pkg/chart/common/util"
	"helm.sh/helm/v4/pkg/chart/v2/lint"
	"helm.sh/helm/v4/pkg/chart/v2/lint/support"
	"helm.sh/helm/v4/pkg/chart/v2/loader"
	"helm.sh/helm/v4/pkg/engine"
)

const chartDir = "passbot"

// installValues are what an operator adds to values.yaml on install: the
// secrets and the Redis password.
func installValues() map[string]any {
	return map[string]any{
		"secrets": map[string]any{
			"PASSBOT_SLACK_BOT_TOKEN":     "xoxb-test",
			"PASSBOT_SLACK_APP_TOKEN":     "xapp-test",
			"PASSBOT_GRAPH_CLIENT_SECRET": "graph-secret",
		},
		"redis": map[string]any{"password": "0123456789abcdef"},
	}
}

// render renders the chart as release "passbot" with values over the
// chart's, in strict mode (a template naming a value values.yaml lacks
// fails).
func render(t *testing.T, values map[string]any) (map[string]string, error) {
	t.Helper()
	ch, err := loader.LoadDir(chartDir)
	if err != nil {
		t.Fatal(err)
	}
	vals, err := util.ToRenderValues(ch, values, common.ReleaseOptions{Name: "passbot", Namespace: "passbot", IsInstall: true}, nil)
	if err != nil {
		t.Fatal(err)
	}
	return engine.Engine{Strict: true}.Render(ch, vals)
}

// decode decodes every rendered manifest strictly.
func decode(t *testing.T, files map[string]string) kubernetes.Objects {
	t.Helper()
	o := kubernetes.NewObjects()
	for _, name := range slices.Sorted(maps.Keys(files)) {
		if filepath.Ext(name) != ".yaml" {
			continue
		}
		if err := o.AddStream([]byte(files[name])); err != nil {
			t.Errorf("%s: %v", name, err)
		}
	}
	return o
}

func TestChartRendersAndFitsTogether(t *testing.T) {
	files, err := render(t, installValues())
	if err != nil {
		t.Fatal(err)
	}
	o := decode(t, files)
	if err := o.Check(); err != nil {
		t.Error(err)
	}
	sec := o.Secrets["passbot"]
	if sec == nil {
		t.Fatal("no passbot Secret")
	}
	for k, v := range map[string]string{
		"PASSBOT_REDIS_URL":       "redis://:0123456789abcdef@passbot-redis:6379/0",
		"PASSBOT_SLACK_BOT_TOKEN": "xoxb-test",
	} {
		if sec.StringData[k] != v {
			t.Errorf("Secret %s = %q, want %q", k, sec.StringData[k], v)
		}
	}
	if _, ok := sec.StringData["PASSBOT_DISCORD_TOKEN"]; ok {
		t.Error("an empty secret is in the Secret: it would override passbot's default with an empty value")
	}
	env := map[string]string{}
	for _, e := range o.Deployments["passbot"].Spec.Template.Spec.Containers[0].Env {
		env[e.Name] = e.Value
	}
	if env["PASSBOT_PLATFORMS"] != "slack" || env["PASSBOT_DEVICES"] != "intune" {
		t.Errorf("env %v: want values.yaml's config", env)
	}
	if _, ok := env["PASSBOT_LOG_LEVEL"]; ok {
		t.Error("an empty setting is in the environment: passbot's default should apply")
	}
}

func TestChartWithItsOwnRedisNeedsAPassword(t *testing.T) {
	for name, pw := range map[string]string{"none": "", "one that needs escaping in the URL": "p@ss/word"} {
		t.Run(name, func(t *testing.T) {
			v := installValues()
			v["redis"] = map[string]any{"password": pw}
			if _, err := render(t, v); err == nil || !strings.Contains(err.Error(), "redis.password") {
				t.Errorf("render = %v, want an error naming redis.password", err)
			}
		})
	}
}

func TestChartWithAnotherRedis(t *testing.T) {
	v := installValues()
	v["redis"] = map[string]any{"enabled": false}
	v["secrets"].(map[string]any)["PASSBOT_REDIS_URL"] = "rediss-sentinel://:pw@s1,s2/mymaster"
	files, err := render(t, v)
	if err != nil {
		t.Fatal(err)
	}
	o := decode(t, files)
	if len(o.StatefulSets) != 0 || len(o.NetworkPolicies) != 0 {
		t.Errorf("with redis.enabled=false the chart still makes %d StatefulSets and %d NetworkPolicies", len(o.StatefulSets), len(o.NetworkPolicies))
	}
	if got := o.Secrets["passbot"].StringData["PASSBOT_REDIS_URL"]; got != "rediss-sentinel://:pw@s1,s2/mymaster" {
		t.Errorf("PASSBOT_REDIS_URL %q, want the one given", got)
	}

	v["secrets"].(map[string]any)["PASSBOT_REDIS_URL"] = ""
	if _, err := render(t, v); err == nil || !strings.Contains(err.Error(), "secrets.PASSBOT_REDIS_URL") {
		t.Errorf("render without any Redis = %v, want an error naming secrets.PASSBOT_REDIS_URL", err)
	}
}

func TestChartWithAnExistingSecret(t *testing.T) {
	v := installValues()
	v["existingSecret"] = "passbot-from-vault"
	files, err := render(t, v)
	if err != nil {
		t.Fatal(err)
	}
	o := decode(t, files)
	if o.Secrets["passbot"] != nil {
		t.Error("the chart makes its Secret although existingSecret names one")
	}
	if ref := o.Deployments["passbot"].Spec.Template.Spec.Containers[0].EnvFrom[0].SecretRef; ref == nil || ref.Name != "passbot-from-vault" {
		t.Errorf("envFrom %v, want the existing Secret", ref)
	}
}

// Helm's own linter (`helm lint`): Chart.yaml, values and templates.
func TestChartLints(t *testing.T) {
	l := lint.RunAll(chartDir, installValues(), "passbot")
	for _, m := range l.Messages {
		if m.Severity >= support.WarningSev {
			t.Errorf("helm lint: %v", m)
		}
	}
}

// secretName says which settings are secrets: they go into the Secret, not
// the pod spec.
var secretName = regexp.MustCompile(`^PASSBOT_(REDIS_URL|.*_(TOKEN|SECRET|PASSWORD))$`)

func TestEverySettingHasAValue(t *testing.T) {
	settings := passbotSettings(t)
	if len(settings) < 40 {
		t.Fatalf("found %d settings in config.go, fewer than passbot has: is the walk broken?", len(settings))
	}
	ch, err := loader.LoadDir(chartDir)
	if err != nil {
		t.Fatal(err)
	}
	config, _ := ch.Values["config"].(map[string]any)
	secrets, _ := ch.Values["secrets"].(map[string]any)
	for _, s := range settings {
		_, inConfig := config[s]
		_, inSecrets := secrets[s]
		switch {
		case secretName.MatchString(s) && !inSecrets:
			t.Errorf("%s is a secret: give it a key under secrets in values.yaml (not config)", s)
		case !secretName.MatchString(s) && !inConfig:
			t.Errorf("%s has no key under config in values.yaml", s)
		}
	}
	for k := range maps.Keys(config) {
		if !slices.Contains(settings, k) || secretName.MatchString(k) {
			t.Errorf("values.yaml config.%s: not a setting of passbot, or a secret", k)
		}
	}
	for k := range maps.Keys(secrets) {
		if !slices.Contains(settings, k) || !secretName.MatchString(k) {
			t.Errorf("values.yaml secrets.%s: not a secret setting of passbot", k)
		}
	}
}

// passbotSettings reads the PASSBOT_ variables from the source, as envconfig
// does from the types: the envconfig tags of Config's fields in the main
// package, following embedded structs and aliases of other packages'.
func passbotSettings(t *testing.T) []string {
	t.Helper()
	var names []string
	var walk func(pkgDir, typeName string)
	walk = func(pkgDir, typeName string) {
		st, imports := structType(t, pkgDir, typeName)
		for _, f := range st.Fields.List {
			var tag reflect.StructTag
			if f.Tag != nil {
				s, err := strconv.Unquote(f.Tag.Value)
				if err != nil {
					t.Fatal(err)
				}
				tag = reflect.StructTag(s)
			}
			if len(f.Names) == 0 { // embedded: its fields are Config's
				switch x := f.Type.(type) {
				case *ast.Ident:
					walk(pkgDir, x.Name)
				case *ast.SelectorExpr:
					walk(importDir(t, imports, x.X.(*ast.Ident).Name), x.Sel.Name)
				default:
					t.Fatalf("%s.%s: embedded %T", pkgDir, typeName, f.Type)
				}
				continue
			}
			if !f.Names[0].IsExported() || tag.Get("ignored") == "true" {
				continue
			}
			name := tag.Get("envconfig")
			if name == "" {
				t.Fatalf("%s.%s.%s has no envconfig tag: name its variable", pkgDir, typeName, f.Names[0].Name)
			}
			names = append(names, "PASSBOT_"+name)
		}
	}
	walk("../..", "Config")
	return names
}

// structType finds the struct type typeName of the package in dir,
// following an alias to another package's type, and returns it with the
// import paths of its file by name.
func structType(t *testing.T, dir, typeName string) (*ast.StructType, map[string]string) {
	t.Helper()
	files, err := filepath.Glob(filepath.Join(dir, "*.go"))
	if err != nil {
		t.Fatal(err)
	}
	for _, path := range files {
		if strings.HasSuffix(path, "_test.go") {
			continue
		}
		f, err := parser.ParseFile(token.NewFileSet(), path, nil, parser.SkipObjectResolution)
		if err != nil {
			t.Fatal(err)
		}
		imports := map[string]string{}
		for _, imp := range f.Imports {
			p, _ := strconv.Unquote(imp.Path.Value)
			name := filepath.Base(p)
			if imp.Name != nil {
				name = imp.Name.Name
			}
			imports[name] = p
		}
		for _, decl := range f.Decls {
			gd, ok := decl.(*ast.GenDecl)
			if !ok || gd.Tok != token.TYPE {
				continue
			}
			for _, spec := range gd.Specs {
				ts := spec.(*ast.TypeSpec)
				if ts.Name.Name != typeName {
					continue
				}
				switch x := ts.Type.(type) {
				case *ast.StructType:
					return x, imports
				case *ast.SelectorExpr:
					return structType(t, importDir(t, imports, x.X.(*ast.Ident).Name), x.Sel.Name)
				}
				t.Fatalf("%s: type %s is a %T", path, typeName, ts.Type)
			}
		}
	}
	t.Fatalf("%s: no type %s", dir, typeName)
	return nil, nil
}

// importDir is the folder of one of passbot's packages imported as name.
func importDir(t *testing.T, imports map[string]string, name string) string {
	t.Helper()
	rest, ok := strings.CutPrefix(imports[name], "github.com/passbot/passbot/")
	if !ok {
		t.Fatalf("settings from package %q (%s), outside passbot", name, imports[name])
	}
	return filepath.Join("../..", rest)
}
