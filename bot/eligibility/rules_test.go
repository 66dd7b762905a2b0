package eligibility

import "testing"

// The rules applied on top of a kind's row: the Android version, the row's
// oldest version and company ownership.
func TestRules(t *testing.T) {
	cases := []struct {
		name      string
		kind      Kind
		osVersion string
		company   bool
		want      ResetMode
	}{
		{"Android device administrator 6.0.1", AndroidAdmin, "6.0.1", false, SelfService},
		{"Android device administrator 7.0 needs a factory reset", AndroidAdmin, "7.0", false, FactoryReset},
		{"corporate-owned Android 10 still needs a factory reset", AndroidAdmin, "10", true, FactoryReset},
		{"an unparsable version counts as 0", AndroidAdmin, "unknown", false, SelfService},
		{"work profile from Android 8.0", AndroidWorkProfile, "8.0", false, NeedsApproval},
		{"work profile below Android 8.0: no reset", AndroidWorkProfile, "7.1.2", false, NotSupported},
		{"personal iPhone", IOS, "17.4", false, SelfService},
		{"corporate-owned iPhone", IOS, "17.4", true, NeedsApproval},
		{"a kind passbot does not know", "blackberry", "10", false, NotSupported},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			e := Of(tc.kind, tc.osVersion, tc.company)
			if e.Reset != tc.want || e.Kind != tc.kind {
				t.Errorf("reset mode %v kind %q, want %v %q", e.Reset, e.Kind, tc.want, tc.kind)
			}
		})
	}
}

func TestVersionAtLeast(t *testing.T) {
	cases := []struct {
		version      string
		major, minor int
		want         bool
	}{
		{"6.0.1", 7, 0, false},
		{"7.0", 7, 0, true},
		{"13", 7, 0, true},
		{" 10 ", 10, 0, true},
		{"8.10.14219.341", 8, 1, true}, // Windows Phone 8.1
		{"8.0.10517", 8, 1, false},
		{"6.3.9600", 8, 0, false}, // desktop Windows 8.1
		{"10.0.15063.1868", 9, 0, true},
		{"7.1.2", 8, 0, false},
		{"17.4.1-beta", 17, 4, true},
		{"unknown", 1, 0, false},
		{"", 0, 0, true},
	}
	for _, tc := range cases {
		if got := VersionAtLeast(tc.version, tc.major, tc.minor); got != tc.want {
			t.Errorf("VersionAtLeast(%q, %d, %d) = %v, want %v", tc.version, tc.major, tc.minor, got, tc.want)
		}
	}
}
