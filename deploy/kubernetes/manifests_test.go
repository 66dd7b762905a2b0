package kubernetes

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestManifests decodes the example manifests strictly and checks that they
// fit together.
func TestManifests(t *testing.T) {
	files, err := filepath.Glob("*.yaml")
	if err != nil || len(files) == 0 {
		t.Fatalf("no manifests (%v)", err)
	}
	o := NewObjects()
	for _, f := range files {
		data, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		if err := o.AddStream(data); err != nil {
			t.Errorf("%s: %v", f, err)
		}
	}
	if err := o.Check(); err != nil {
		t.Error(err)
	}
}

// The checks catch what they are for: each broken copy of the manifests
// fails with its own message.
func TestCheckCatches(t *testing.T) {
	cases := []struct {
		name  string
		spoil func(o Objects)
		want  string
	}{
		{"no disruption budget", func(o Objects) { clear(o.PDBs) }, "PodDisruptionBudgets"},
		{"a budget that blocks every drain", func(o Objects) {
			for _, p := range o.PDBs {
				p.Spec.MaxUnavailable.IntVal = 0
			}
		}, "lets one go"},
		{"no spreading over zones", func(o Objects) {
			for _, d := range o.Deployments {
				d.Spec.Template.Spec.TopologySpreadConstraints = d.Spec.Template.Spec.TopologySpreadConstraints[:1]
			}
		}, "topology.kubernetes.io/zone"},
		{"Redis open to every pod", func(o Objects) {
			for _, np := range o.NetworkPolicies {
				np.Spec.Ingress[0].From = nil
			}
		}, "every source"},
		{"no NetworkPolicy", func(o Objects) { clear(o.NetworkPolicies) }, "no NetworkPolicy"},
		{"a URL password that is not Redis's", func(o Objects) {
			o.Secrets["passbot"].StringData["PASSBOT_REDIS_URL"] = "redis://:other@redis:6379/0"
		}, "--requirepass"},
		{"no Redis password", func(o Objects) {
			o.Secrets["passbot"].StringData["PASSBOT_REDIS_URL"] = "redis://redis:6379/0"
		}, "no password"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			o := NewObjects()
			for _, f := range []string{"passbot.yaml", "redis.yaml"} {
				data, err := os.ReadFile(f)
				if err != nil {
					t.Fatal(err)
				}
				if err := o.AddStream(data); err != nil {
					t.Fatal(err)
				}
			}
			tc.spoil(o)
			err := o.Check()
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Errorf("Check() = %v, want an error about %q", err, tc.want)
			}
		})
	}
}
