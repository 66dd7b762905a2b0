// Package kubernetes checks passbot's Kubernetes objects offline, both the
// example manifests in this folder and what the Helm chart renders
// (deploy/helm): every document decodes strictly into its Kubernetes API
// type (an unknown or misspelt field fails, as kubectl's server-side
// validation would), and the pieces fit together. It is a module of its own
// so that k8s.io/api stays out of passbot's.
package kubernetes

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"io"
	"net/url"
	"slices"
	"strings"

	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	networkingv1 "k8s.io/api/networking/v1"
	policyv1 "k8s.io/api/policy/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/labels"
	"k8s.io/apimachinery/pkg/util/intstr"
	utilyaml "k8s.io/apimachinery/pkg/util/yaml"
	"sigs.k8s.io/yaml"
)

// Objects are decoded manifests by kind and name.
type Objects struct {
	Deployments     map[string]*appsv1.Deployment
	StatefulSets    map[string]*appsv1.StatefulSet
	Services        map[string]*corev1.Service
	Secrets         map[string]*corev1.Secret
	PDBs            map[string]*policyv1.PodDisruptionBudget
	NetworkPolicies map[string]*networkingv1.NetworkPolicy
}

// NewObjects returns an empty set.
func NewObjects() Objects {
	return Objects{
		Deployments:     map[string]*appsv1.Deployment{},
		StatefulSets:    map[string]*appsv1.StatefulSet{},
		Services:        map[string]*corev1.Service{},
		Secrets:         map[string]*corev1.Secret{},
		PDBs:            map[string]*policyv1.PodDisruptionBudget{},
		NetworkPolicies: map[string]*networkingv1.NetworkPolicy{},
	}
}

// AddStream decodes every document of a YAML stream (documents separated by
// ---, as kubectl reads a file), naming the failing ones by number.
func (o Objects) AddStream(data []byte) error {
	r := utilyaml.NewYAMLReader(bufio.NewReader(bytes.NewReader(data)))
	var errs []error
	for i := 1; ; i++ {
		doc, err := r.Read()
		if err == io.EOF {
			return errors.Join(errs...)
		}
		if err != nil {
			return errors.Join(append(errs, fmt.Errorf("document %d: %w", i, err))...)
		}
		if err := o.Add(doc); err != nil {
			errs = append(errs, fmt.Errorf("document %d: %w", i, err))
		}
	}
}

// Add decodes one document strictly into the type its apiVersion and kind
// name; an empty document (only comments) is skipped.
func (o Objects) Add(doc []byte) error {
	var tm metav1.TypeMeta
	if err := yaml.Unmarshal(doc, &tm); err != nil {
		return err
	}
	if tm.APIVersion == "" && tm.Kind == "" {
		var v any
		if err := yaml.Unmarshal(doc, &v); err == nil && v == nil {
			return nil // only comments, as a template that rendered nothing leaves
		}
	}
	var err error
	switch tm.APIVersion + " " + tm.Kind {
	case "apps/v1 Deployment":
		err = decode(doc, o.Deployments, &appsv1.Deployment{})
	case "apps/v1 StatefulSet":
		err = decode(doc, o.StatefulSets, &appsv1.StatefulSet{})
	case "v1 Service":
		err = decode(doc, o.Services, &corev1.Service{})
	case "v1 Secret":
		err = decode(doc, o.Secrets, &corev1.Secret{})
	case "policy/v1 PodDisruptionBudget":
		err = decode(doc, o.PDBs, &policyv1.PodDisruptionBudget{})
	case "networking.k8s.io/v1 NetworkPolicy":
		err = decode(doc, o.NetworkPolicies, &networkingv1.NetworkPolicy{})
	default:
		return fmt.Errorf("unexpected %q %q: add its type to deploy/kubernetes/manifests.go", tm.APIVersion, tm.Kind)
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
		return errors.New("no metadata.name")
	}
	if _, dup := into[obj.GetName()]; dup {
		return fmt.Errorf("%s is defined twice", obj.GetName())
	}
	into[obj.GetName()] = obj
	return nil
}

// Check reports every way the objects do not fit together as a passbot
// deployment: the one Deployment is passbot, with its Service, Secret,
// disruption budget and spreading, and a Redis that only passbot may reach,
// with a password.
func (o Objects) Check() error {
	if len(o.Deployments) != 1 {
		return fmt.Errorf("want one Deployment (passbot's), got %d", len(o.Deployments))
	}
	var d *appsv1.Deployment
	for _, dep := range o.Deployments {
		d = dep
	}
	var errs []error
	fail := func(format string, args ...any) { errs = append(errs, fmt.Errorf(format, args...)) }
	pod := d.Spec.Template
	if !selects(d.Spec.Selector, pod.Labels) {
		fail("the Deployment's selector %v does not select its pods %v", d.Spec.Selector, pod.Labels)
	}
	if len(pod.Spec.Containers) != 1 {
		return fmt.Errorf("%d containers, want 1", len(pod.Spec.Containers))
	}
	c := pod.Spec.Containers[0]
	ports := map[string]int32{}
	for _, p := range c.Ports {
		ports[p.Name] = p.ContainerPort
	}
	env := map[string]string{}
	for _, e := range c.Env {
		env[e.Name] = e.Value
	}
	if u, err := url.Parse(env["PASSBOT_PUBLIC_URL"]); err != nil || u.Scheme != "https" || u.Host == "" {
		fail("PASSBOT_PUBLIC_URL %q: want the https URL browsers reach the sign-in pages at", env["PASSBOT_PUBLIC_URL"])
	}
	for name, setting := range map[string]string{"http": "PASSBOT_HTTP_ADDR", "ops": "PASSBOT_OPS_ADDR"} {
		if ports[name] == 0 || env[setting] != fmt.Sprintf(":%d", ports[name]) {
			fail("%s %q does not match the container port %s (%d)", setting, env[setting], name, ports[name])
		}
	}

	// Probes ask the ops port: the kubelet must not depend on the public one.
	for name, p := range map[string]*corev1.Probe{"startup": c.StartupProbe, "liveness": c.LivenessProbe, "readiness": c.ReadinessProbe} {
		switch {
		case p == nil || p.HTTPGet == nil:
			fail("%s probe: want an HTTP probe", name)
		case p.HTTPGet.Port != intstr.FromString("ops"):
			fail("%s probe on port %v, want ops", name, p.HTTPGet.Port.String())
		}
	}
	if p := c.LivenessProbe; p != nil && p.HTTPGet != nil && p.HTTPGet.Path != "/healthz" {
		fail("liveness probe %s, want /healthz (a Redis outage must not restart passbot)", p.HTTPGet.Path)
	}
	if p := c.ReadinessProbe; p != nil && p.HTTPGet != nil && p.HTTPGet.Path != "/readyz" {
		fail("readiness probe %s, want /readyz", p.HTTPGet.Path)
	}

	// A Service exposes the public port of these pods, not the ops port.
	exposed := false
	for _, svc := range o.Services {
		if !matches(svc.Spec.Selector, pod.Labels) {
			continue
		}
		exposed = true
		for _, p := range svc.Spec.Ports {
			if target := p.TargetPort.String(); target != "http" && target != fmt.Sprint(ports["http"]) {
				fail("Service %s forwards to %s, want the public port (http)", svc.Name, target)
			}
		}
	}
	if !exposed {
		fail("no Service selects the passbot pods %v", pod.Labels)
	}

	// Every Secret reference resolves; the Secret holds the Redis URL.
	secret := map[string]string{}
	for _, from := range c.EnvFrom {
		if from.SecretRef == nil {
			continue
		}
		s := o.Secrets[from.SecretRef.Name]
		if s == nil {
			fail("envFrom names Secret %q, which is not defined", from.SecretRef.Name)
			continue
		}
		for k, v := range s.StringData {
			secret[k] = v
		}
		for k, v := range s.Data {
			secret[k] = string(v)
		}
	}
	if secret["PASSBOT_REDIS_URL"] == "" {
		fail("no Secret of the passbot container holds PASSBOT_REDIS_URL")
	}

	errs = append(errs, o.checkAvailability(d)...)
	if secret["PASSBOT_REDIS_URL"] != "" {
		errs = append(errs, o.checkRedis(secret["PASSBOT_REDIS_URL"], pod.Labels)...)
	}
	return errors.Join(errs...)
}

// checkAvailability asks for a disruption budget that lets a node drain one
// replica at a time but never all, and replicas spread over nodes and zones.
func (o Objects) checkAvailability(d *appsv1.Deployment) []error {
	var errs []error
	pod := d.Spec.Template
	replicas := int32(1)
	if d.Spec.Replicas != nil {
		replicas = *d.Spec.Replicas
	}
	if replicas < 2 {
		errs = append(errs, fmt.Errorf("%d replica: want at least 2, so a drain or a crash leaves one", replicas))
	}
	budgets := 0
	for _, pdb := range o.PDBs {
		if !selects(pdb.Spec.Selector, pod.Labels) {
			continue
		}
		budgets++
		mu, ma := pdb.Spec.MaxUnavailable, pdb.Spec.MinAvailable
		switch {
		case mu != nil && ma == nil && mu.Type == intstr.Int && mu.IntVal >= 1 && mu.IntVal < replicas:
		case ma != nil && mu == nil && ma.Type == intstr.Int && ma.IntVal >= 1 && ma.IntVal < replicas:
		default:
			errs = append(errs, fmt.Errorf("PodDisruptionBudget %s: want maxUnavailable or minAvailable as a number that keeps one of %d replicas up and lets one go", pdb.Name, replicas))
		}
	}
	if budgets != 1 {
		errs = append(errs, fmt.Errorf("%d PodDisruptionBudgets select the passbot pods, want 1", budgets))
	}
	spread := map[string]bool{}
	for _, tsc := range pod.Spec.TopologySpreadConstraints {
		if selects(tsc.LabelSelector, pod.Labels) && tsc.MaxSkew == 1 {
			spread[tsc.TopologyKey] = true
		}
	}
	for _, key := range []string{"kubernetes.io/hostname", "topology.kubernetes.io/zone"} {
		if !spread[key] {
			errs = append(errs, fmt.Errorf("no topologySpreadConstraint with maxSkew 1 over %s selects the passbot pods", key))
		}
	}
	return errs
}

// checkRedis follows PASSBOT_REDIS_URL to the Redis Service and its
// StatefulSet, which must ask for the URL's password, and to the
// NetworkPolicy that lets only passbot's pods reach it.
func (o Objects) checkRedis(redisURL string, passbot map[string]string) []error {
	u, err := url.Parse(redisURL)
	if err != nil {
		return []error{fmt.Errorf("PASSBOT_REDIS_URL: %w", err)}
	}
	svc := o.Services[u.Hostname()]
	if svc == nil {
		return []error{fmt.Errorf("PASSBOT_REDIS_URL names host %q, which is no Service here", u.Hostname())}
	}
	var errs []error
	if len(svc.Spec.Ports) == 0 || fmt.Sprint(svc.Spec.Ports[0].Port) != u.Port() {
		errs = append(errs, fmt.Errorf("PASSBOT_REDIS_URL port %s is not the %s Service's", u.Port(), svc.Name))
	}
	var redis *appsv1.StatefulSet
	for _, s := range o.StatefulSets {
		if matches(svc.Spec.Selector, s.Spec.Template.Labels) {
			redis = s
		}
	}
	if redis == nil {
		return append(errs, fmt.Errorf("the %s Service selects no StatefulSet's pods", svc.Name))
	}
	pw, _ := u.User.Password()
	if pw == "" {
		errs = append(errs, errors.New("PASSBOT_REDIS_URL has no password"))
	}
	if len(redis.Spec.Template.Spec.Containers) != 1 {
		return append(errs, fmt.Errorf("StatefulSet %s: want one container", redis.Name))
	}
	rc := redis.Spec.Template.Spec.Containers[0]
	if got := o.envFromSecret(rc, requirePass(rc.Args)); got != pw {
		errs = append(errs, fmt.Errorf("StatefulSet %s: redis-server's --requirepass is not PASSBOT_REDIS_URL's password (want --requirepass $(VAR), VAR from the Secret that holds it)", redis.Name))
	}
	if got := o.envFromSecret(rc, "REDISCLI_AUTH"); got != pw {
		errs = append(errs, fmt.Errorf("StatefulSet %s: REDISCLI_AUTH (for redis-cli in the probe) is not the password", redis.Name))
	}

	// NetworkPolicies add up: every one that selects the Redis pods must
	// admit passbot's pods only, and at least one must.
	redisPods := redis.Spec.Template.Labels
	guarded := false
	for _, np := range o.NetworkPolicies {
		if !selects(&np.Spec.PodSelector, redisPods) {
			continue
		}
		if !slices.Contains(np.Spec.PolicyTypes, networkingv1.PolicyTypeIngress) {
			continue
		}
		guarded = true
		for _, rule := range np.Spec.Ingress {
			if len(rule.From) == 0 {
				errs = append(errs, fmt.Errorf("NetworkPolicy %s admits every source to Redis", np.Name))
			}
			for _, peer := range rule.From {
				if peer.IPBlock != nil || peer.NamespaceSelector != nil || peer.PodSelector == nil || !selects(peer.PodSelector, passbot) || selects(peer.PodSelector, map[string]string{}) {
					errs = append(errs, fmt.Errorf("NetworkPolicy %s admits more than the passbot pods to Redis", np.Name))
				}
			}
		}
	}
	if !guarded {
		errs = append(errs, errors.New("no NetworkPolicy restricts who reaches the Redis pods"))
	}
	return errs
}

// requirePass returns the environment variable redis-server's
// --requirepass $(VAR) argument names.
func requirePass(args []string) string {
	i := slices.Index(args, "--requirepass")
	if i < 0 || i+1 >= len(args) {
		return ""
	}
	v, ok := strings.CutPrefix(args[i+1], "$(")
	if !ok {
		return ""
	}
	return strings.TrimSuffix(v, ")")
}

// envFromSecret returns the value of the container's variable name, read
// from the Secret key it refers to.
func (o Objects) envFromSecret(c corev1.Container, name string) string {
	for _, e := range c.Env {
		if e.Name != name || e.ValueFrom == nil || e.ValueFrom.SecretKeyRef == nil {
			continue
		}
		ref := e.ValueFrom.SecretKeyRef
		if s := o.Secrets[ref.Name]; s != nil {
			if v, ok := s.StringData[ref.Key]; ok {
				return v
			}
			return string(s.Data[ref.Key])
		}
	}
	return ""
}

// selects reports whether a label selector selects a pod with labels; an
// empty selector selects every pod, a missing one none.
func selects(sel *metav1.LabelSelector, podLabels map[string]string) bool {
	if sel == nil {
		return false
	}
	s, err := metav1.LabelSelectorAsSelector(sel)
	return err == nil && s.Matches(labels.Set(podLabels))
}

// matches reports whether a Service's selector selects a pod with labels.
func matches(selector, podLabels map[string]string) bool {
	return len(selector) > 0 && labels.SelectorFromSet(selector).Matches(labels.Set(podLabels))
}
