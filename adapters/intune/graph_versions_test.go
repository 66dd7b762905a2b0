package intune

import (
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/kelseyhightower/envconfig"

	"github.com/passbot/passbot/adapters/device"
	"github.com/passbot/passbot/adapters/intune/graphtest"
	"github.com/passbot/passbot/bot/eligibility"
)

func TestDefaultURLIsBeta(t *testing.T) {
	t.Parallel()
	var env struct{ Config }
	if err := envconfig.Process("PASSBOT", &env); err != nil {
		t.Fatal(err)
	}
	if env.URL != "https://graph.microsoft.com/beta" {
		t.Errorf("PASSBOT_GRAPH_URL default %q, want the beta endpoint", env.URL)
	}
	for _, cfg := range []Config{env.Config, {}} {
		c, err := New(cfg, StaticToken("t"))
		if err != nil {
			t.Fatal(err)
		}
		if c.base.String() != "https://graph.microsoft.com/beta" || !strings.Contains(c.selects, "deviceType") {
			t.Errorf("config %+v: base %s, $select %s; want beta with deviceType", cfg, c.base, c.selects)
		}
	}
}

// Beta reports deviceType, which tells Android Enterprise and Windows Phone
// devices apart; v1.0 has no deviceType and classifies them as the
// platforms they look like.
func TestKindOnBetaAndV1(t *testing.T) {
	t.Parallel()
	const megan = "megan.bowen@contoso.com"
	f := newFakeGraph(t, graphtest.WithoutFixtures(), graphtest.WithPageSize(3))
	dev := func(name, os, version, typ string) device.Managed {
		return device.Managed{Name: name, OperatingSystem: os, OSVersion: version, DeviceType: typ, OwnerType: "personal",
			UPN: megan, EnrollmentType: "userEnrollment", ManagementAgent: "mdm"}
	}
	f.AddDevice(dev("Megan's Pixel", "Android", "14", "androidForWork"))
	f.AddDevice(dev("Lumia 950", "Windows", "10.0.14393.2007", "windowsPhone"))
	f.AddDevice(dev("Lumia 640", "Windows", "8.10.14219.341", "windowsPhone"))
	f.AddDevice(dev("Megan_Android_6/2/2018", "Android", "6.0.1", "android")) // page 2

	tests := []struct {
		version   string
		wantKinds []eligibility.Kind
		wantReset []eligibility.ResetMode
	}{
		{"beta",
			[]eligibility.Kind{eligibility.AndroidWorkProfile, eligibility.Windows10Mobile, eligibility.WindowsPhone81, eligibility.AndroidAdmin},
			// Intune support for Windows 10 Mobile and Phone 8.1 ended: helpdesk.
			[]eligibility.ResetMode{eligibility.NeedsApproval, eligibility.NeedsApproval, eligibility.NeedsApproval, eligibility.SelfService}},
		// v1.0 has no deviceType: a work profile looks like device
		// administrator and Windows 10 Mobile like a PC; Windows Phone 8.1
		// still shows by its 8.x version.
		{"v1.0",
			[]eligibility.Kind{eligibility.AndroidAdmin, eligibility.WindowsPC, eligibility.WindowsPhone81, eligibility.AndroidAdmin},
			[]eligibility.ResetMode{eligibility.FactoryReset, eligibility.NotSupported, eligibility.NeedsApproval, eligibility.SelfService}},
	}
	for _, tt := range tests {
		t.Run(tt.version, func(t *testing.T) {
			cfg := fakeConfig(f)
			cfg.URL = f.URL + "/" + tt.version
			c, _ := newClientConfig(t, f, cfg, newFakeClock())
			before := len(f.Requests())
			devices, err := c.ListDevices(t.Context(), megan)
			if err != nil {
				t.Fatal(err)
			}
			var kinds []eligibility.Kind
			var modes []eligibility.ResetMode
			for _, d := range devices {
				kinds = append(kinds, d.Kind)
				modes = append(modes, d.Eligibility().Reset)
			}
			if !slices.Equal(kinds, tt.wantKinds) || !slices.Equal(modes, tt.wantReset) {
				t.Errorf("kinds %v, reset modes %v; want %v, %v", kinds, modes, tt.wantKinds, tt.wantReset)
			}
			if n := len(f.Requests()) - before; n != 2 {
				t.Errorf("%d list requests, want 2 pages", n)
			}
		})
	}
}

func TestListDevicesFollowsEveryPage(t *testing.T) {
	t.Parallel()
	f := newFakeGraph(t) // Adele's four fixture devices
	extra := f.AddDevice(device.Managed{Name: "Adele's iPad", OperatingSystem: "iPadOS", OSVersion: "17.4", OwnerType: "personal", UPN: adele})
	c, _ := newClient(t, f, newFakeClock())
	devices, err := c.ListDevices(t.Context(), adele)
	if err != nil {
		t.Fatal(err)
	}
	if ids, want := deviceIDs(devices), []string{androidDevice, workDevice, iPhone, desktop, extra}; !slices.Equal(ids, want) {
		t.Fatalf("IDs %v, want %v", ids, want)
	}
	var tokens []string
	for _, r := range f.Requests() {
		tokens = append(tokens, r.Query.Get("$skiptoken"))
	}
	if want := []string{"", "opaque-skiptoken-value", "opaque-skiptoken-value-3"}; !slices.Equal(tokens, want) {
		t.Errorf("skiptokens %q, want %q (three pages of two)", tokens, want)
	}

	f.AddUser("new.hire@contoso.com")
	if devices, err := c.ListDevices(t.Context(), "new.hire@contoso.com"); err != nil || len(devices) != 0 {
		t.Errorf("user without devices: %v, %v", devices, err)
	}
}

func TestResetOutcomes(t *testing.T) {
	t.Parallel()
	f := newFakeGraph(t)
	c, _ := newClient(t, f, newFakeClock())
	ctx := t.Context()
	states := func(id string, reads int) []string {
		t.Helper()
		var got []string
		for range reads {
			res, err := c.ResetStatus(ctx, id, time.Time{})
			if err != nil {
				t.Fatal(err)
			}
			got = append(got, string(res.State)+" "+res.Passcode)
		}
		return got
	}
	reset := func(id string) {
		t.Helper()
		if _, err := c.ResetPasscode(ctx, id); err != nil {
			t.Fatal(err)
		}
	}

	f.OnReset(androidDevice, graphtest.Done("5093-1846").After(2))
	reset(androidDevice)
	if got, want := states(androidDevice, 4), []string{"pending ", "pending ", "done 5093-1846", "done 5093-1846"}; !slices.Equal(got, want) {
		t.Errorf("done after two pending reads: %q, want %q", got, want)
	}
	reset(androidDevice) // the outcome holds for the next reset too
	if got, want := states(androidDevice, 3), []string{"pending ", "pending ", "done 5093-1846"}; !slices.Equal(got, want) {
		t.Errorf("second reset: %q, want %q", got, want)
	}

	f.OnReset(iPhone, graphtest.Failed())
	reset(iPhone)
	if got, want := states(iPhone, 1), []string{"failed "}; !slices.Equal(got, want) {
		t.Errorf("failed: %q, want %q", got, want)
	}

	reset(workDevice) // no outcome: pending until FinishReset
	if got, want := states(workDevice, 2), []string{"pending ", "pending "}; !slices.Equal(got, want) {
		t.Errorf("no outcome: %q, want %q", got, want)
	}
	f.FinishReset(workDevice, "done", "Zq81-Lm07")
	if got, want := states(workDevice, 1), []string{"done Zq81-Lm07"}; !slices.Equal(got, want) {
		t.Errorf("finished: %q, want %q", got, want)
	}
}
