// Package kubernetes checks the example manifests offline: every document
// decodes strictly into its Kubernetes API type (an unknown or misspelt
// field fails, as kubectl's server-side validation would), and the pieces
// fit together (probes on the ops port, the Service on the public port,
// every Secret reference resolves, Redis where the Secret says). It is a
// module of its own so that k8s.io/api stays out of passbot's.
package kubernetes

import (
	"bytes"
	"fmt"
	"net/url"
	"os"
	"path/filepath"
	"regexp"
	"testing"

	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/util/intstr"
	"sigs.k8s.io/yaml"
)

// objects are the decoded manifests by kind and name.
type objects struct {
	deployments  map[string]*appsv1.Deployment
	statefulSets map[string]*appsv1.StatefulSet
	services     map[string]*corev1.Service
	secrets      map[string]*corev1.Secret
}

func load(t *testing.T) objects {
	t.Helper()
	o := objects{map[string]*appsv1.Deployment{}, map[string]*appsv1.StatefulSet{}, map[string]*corev1.Service{}, map[string]*corev1.Secret{}}
	files, err := filepath.Glob("*.yaml")
	if err != nil || len(files) == 0 {
		t.Fatalf("no manifests (%v)", err)
	}
	for _, f := range files {
		data, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		for i, doc := range regexp.MustCompile(`(?m)^---\s*$`).Split(string(data), -1) {
			if len(bytes.TrimSpace([]byte(doc))) == 0 {
				continue
			}
			if err := o.add([]byte(doc)); err != nil {
				t.Errorf("%s, document %d: %v", f, i+1, err)
			}
		}
	}
	return o
}

// add decodes one document strictly into the type its apiVersion and kind
// name.
func (o objects) add(doc []byte) error {
	var tm metav1.TypeMeta
	if err := yaml.Unmarshal(doc, &tm); err != nil {
		return err
	}
	var err error
	switch tm.APIVersion + " " + tm.Kind {
	case "apps/v1 Deployment":
		err = decode(doc, o.deployments, &appsv1.Deployment{})
	case "apps/v1 StatefulSet":
		err = decode(doc, o.statefulSets, &appsv1.StatefulSet{})
	case "v1 Service":
		err = decode(doc, o.services, &corev1.Service{})
	case "v1 Secret":
		err = decode(doc, o.secrets, &corev1.Secret{})
	default:
		return fmt.Errorf("unexpected %q %q: add its type to this test", tm.APIVersion, tm.Kind)
	}
	if err != nil {
		return fmt.Errorf("%s/%s: %w", tm.APIVersion, tm.Kind, err)
	}
	return nil
}

// decode unmarshals doc into obj, failing on any field obj's type lacks,
// and files it under its name.
func decode[T interface{ GetName() string }](doc []byte, into map[string]T, obj T) error {
	if err := yaml.UnmarshalStrict(doc, obj); err != nil {
		return err
	}
	if obj.GetName() == "" {
		return fmt.Errorf("no metadata.name")
	}
	into[obj.GetName()] = obj
	return nil
}

func TestManifestsDecodeStrictly(t *testing.T) {
	o := load(t)
	if len(o.deployments) != 1 || o.deployments["passbot"] == nil {
		t.Fatalf("want the passbot Deployment, got %d deployments", len(o.deployments))
	}
	if o.services["passbot"] == nil || o.secrets["passbot"] == nil || o.services["redis"] == nil {
		t.Fatal("want the passbot Service and Secret and the redis Service")
	}
}

func TestManifestsFitTogether(t *testing.T) {
	o := load(t)
	d := o.deployments["passbot"]
	if d == nil {
		t.Fatal("no passbot Deployment")
	}
	pod := d.Spec.Template
	if !matches(d.Spec.Selector.MatchLabels, pod.Labels) {
		t.Errorf("the Deployment's selector %v does not select its pods %v", d.Spec.Selector.MatchLabels, pod.Labels)
	}
	if len(pod.Spec.Containers) != 1 {
		t.Fatalf("%d containers, want 1", len(pod.Spec.Containers))
	}
	c := pod.Spec.Containers[0]
	ports := map[string]int32{}
	for _, p := range c.Ports {
		ports[p.Name] = p.ContainerPort
	}
	if ports["ops"] != 9090 || ports["http"] != 8080 {
		t.Errorf("container ports %v, want ops 9090 and http 8080", ports)
	}
	env := map[string]string{}
	for _, e := range c.Env {
		env[e.Name] = e.Value
	}
	if u, err := url.Parse(env["PASSBOT_PUBLIC_URL"]); err != nil || u.Scheme != "https" || u.Host == "" {
		t.Errorf("PASSBOT_PUBLIC_URL %q: want the https URL browsers reach the sign-in pages at", env["PASSBOT_PUBLIC_URL"])
	}
	if env["PASSBOT_OPS_ADDR"] != ":9090" || env["PASSBOT_HTTP_ADDR"] != ":8080" {
		t.Errorf("PASSBOT_OPS_ADDR %q and PASSBOT_HTTP_ADDR %q do not match the container ports", env["PASSBOT_OPS_ADDR"], env["PASSBOT_HTTP_ADDR"])
	}

	// Probes ask the ops port: the kubelet must not depend on the public one.
	for name, p := range map[string]*corev1.Probe{"startup": c.StartupProbe, "liveness": c.LivenessProbe, "readiness": c.ReadinessProbe} {
		switch {
		case p == nil || p.HTTPGet == nil:
			t.Errorf("%s probe: want an HTTP probe", name)
		case p.HTTPGet.Port != intstr.FromString("ops"):
			t.Errorf("%s probe on port %v, want ops", name, p.HTTPGet.Port.String())
		}
	}
	if p := c.LivenessProbe; p != nil && p.HTTPGet != nil && p.HTTPGet.Path != "/healthz" {
		t.Errorf("liveness probe %s, want /healthz (a Redis outage must not restart passbot)", p.HTTPGet.Path)
	}
	if p := c.ReadinessProbe; p != nil && p.HTTPGet != nil && p.HTTPGet.Path != "/readyz" {
		t.Errorf("readiness probe %s, want /readyz", p.HTTPGet.Path)
	}

	// The Service exposes the public port of these pods, not the ops port.
	svc := o.services["passbot"]
	if svc == nil {
		t.Fatal("no passbot Service")
	}
	if !matches(svc.Spec.Selector, pod.Labels) {
		t.Errorf("the Service selects %v, not the passbot pods %v", svc.Spec.Selector, pod.Labels)
	}
	for _, p := range svc.Spec.Ports {
		if target := p.TargetPort.String(); target != "http" && target != "8080" {
			t.Errorf("the Service forwards to %s, want the public port (http, 8080)", target)
		}
	}

	// Every Secret reference resolves, and Redis is where the Secret says.
	for _, from := range c.EnvFrom {
		if from.SecretRef != nil && o.secrets[from.SecretRef.Name] == nil {
			t.Errorf("envFrom names Secret %q, which is not defined", from.SecretRef.Name)
		}
	}
	sec := o.secrets["passbot"]
	if sec == nil {
		t.Fatal("no passbot Secret")
	}
	for _, k := range []string{"PASSBOT_REDIS_URL", "PASSBOT_SLACK_BOT_TOKEN"} {
		if sec.StringData[k] == "" {
			t.Errorf("the Secret lacks %s", k)
		}
	}
	u, err := url.Parse(sec.StringData["PASSBOT_REDIS_URL"])
	if err != nil {
		t.Fatal(err)
	}
	redis := o.services[u.Hostname()]
	if redis == nil {
		t.Fatalf("PASSBOT_REDIS_URL names host %q, which is no Service here", u.Hostname())
	}
	if len(redis.Spec.Ports) == 0 || fmt.Sprint(redis.Spec.Ports[0].Port) != u.Port() {
		t.Errorf("PASSBOT_REDIS_URL port %s is not the redis Service's", u.Port())
	}
	for _, s := range o.statefulSets {
		if matches(redis.Spec.Selector, s.Spec.Template.Labels) {
			return
		}
	}
	t.Error("the redis Service selects no StatefulSet's pods")
}

// matches reports whether selector selects a pod with labels.
func matches(selector, labels map[string]string) bool {
	if len(selector) == 0 {
		return false
	}
	for k, v := range selector {
		if labels[k] != v {
			return false
		}
	}
	return true
}
