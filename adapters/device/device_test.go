package device_test

import (
	"encoding/json"
	"reflect"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/passbot/passbot/adapters/device"
	"github.com/passbot/passbot/adapters/intune/graphtest"
	"github.com/passbot/passbot/bot"
	"github.com/passbot/passbot/bot/eligibility"
)

// One row per line of the eligibility table, with the Graph properties that
// Intune reports for such a device.
func TestEligibilityFromGraphProperties(t *testing.T) {
	cases := []struct {
		name string
		d    device.Managed
		want eligibility.Rules
	}{
		{"Android device administrator 6.0.1", device.Managed{OperatingSystem: "Android", OSVersion: "6.0.1", OwnerType: "personal"},
			eligibility.Rules{Kind: eligibility.AndroidAdmin, Reset: eligibility.SelfService, Passcode: eligibility.Alphanumeric, GMSSupportEnded: true}},
		{"Android device administrator 6.0 no patch", device.Managed{OperatingSystem: "Android", OSVersion: "6.0", DeviceType: "android"},
			eligibility.Rules{Kind: eligibility.AndroidAdmin, Reset: eligibility.SelfService, Passcode: eligibility.Alphanumeric, GMSSupportEnded: true}},
		{"Android 7.0 needs a factory reset", device.Managed{OperatingSystem: "Android", OSVersion: "7.0"},
			eligibility.Rules{Kind: eligibility.AndroidAdmin, Reset: eligibility.FactoryReset, Passcode: eligibility.Alphanumeric, GMSSupportEnded: true}},
		{"Android 13", device.Managed{OperatingSystem: "Android", OSVersion: "13"},
			eligibility.Rules{Kind: eligibility.AndroidAdmin, Reset: eligibility.FactoryReset, Passcode: eligibility.Alphanumeric, GMSSupportEnded: true}},
		{"Android Enterprise personally owned work profile: no remote lock", device.Managed{OperatingSystem: "Android", OSVersion: "14", DeviceType: "androidForWork"},
			eligibility.Rules{Kind: eligibility.AndroidWorkProfile, Reset: eligibility.NeedsApproval, Passcode: eligibility.Alphanumeric, WorkProfile: true, MinMajor: 8, PasscodeInAdminCenter: true}},
		{"personally owned work profile below Android 8.0: no reset", device.Managed{OperatingSystem: "Android", OSVersion: "7.1.2", DeviceType: "androidForWork"},
			eligibility.Rules{Kind: eligibility.AndroidWorkProfile, Reset: eligibility.NotSupported, Passcode: eligibility.Alphanumeric, WorkProfile: true, MinMajor: 8, PasscodeInAdminCenter: true}},
		{"Android Enterprise corporate-owned work profile", device.Managed{OperatingSystem: "Android", OSVersion: "14", DeviceType: "androidForWork", EnrollmentType: "androidEnterpriseCorporateWorkProfile"},
			eligibility.Rules{Kind: eligibility.AndroidCorporateWorkProfile, Reset: eligibility.NeedsApproval, Passcode: eligibility.Alphanumeric, RemoteLock: true, WorkProfile: true, PasscodeInAdminCenter: true}},
		{"Android Enterprise fully managed", device.Managed{OperatingSystem: "Android", OSVersion: "14", EnrollmentType: "androidEnterpriseFullyManaged"},
			eligibility.Rules{Kind: eligibility.AndroidEnterprise, Reset: eligibility.NeedsApproval, Passcode: eligibility.Alphanumeric, RemoteLock: true, WorkProfile: true, PasscodeInAdminCenter: true}},
		{"Android Enterprise dedicated", device.Managed{OperatingSystem: "Android", OSVersion: "12", EnrollmentType: "androidEnterpriseDedicatedDevice"},
			eligibility.Rules{Kind: eligibility.AndroidDedicated, Reset: eligibility.NeedsApproval, Passcode: eligibility.Alphanumeric, RemoteLock: true, PasscodeInAdminCenter: true}},
		{"Android Enterprise on Graph v1.0, personal", device.Managed{OperatingSystem: "Android", OSVersion: "14", ManagementAgent: "googleCloudDevicePolicyController"},
			eligibility.Rules{Kind: eligibility.AndroidWorkProfile, Reset: eligibility.NeedsApproval, Passcode: eligibility.Alphanumeric, WorkProfile: true, MinMajor: 8, PasscodeInAdminCenter: true}},
		{"Android Enterprise on Graph v1.0, company-owned", device.Managed{OperatingSystem: "Android", OSVersion: "14", ManagementAgent: "googleCloudDevicePolicyController", OwnerType: "company"},
			eligibility.Rules{Kind: eligibility.AndroidEnterprise, Reset: eligibility.NeedsApproval, Passcode: eligibility.Alphanumeric, RemoteLock: true, WorkProfile: true, PasscodeInAdminCenter: true}},
		{"AOSP", device.Managed{OperatingSystem: "AOSP", OSVersion: "12", EnrollmentType: "androidAOSPUserOwnedDeviceEnrollment"},
			eligibility.Rules{Kind: eligibility.AOSP, Reset: eligibility.NeedsApproval, Passcode: eligibility.Alphanumeric, RemoteLock: true, PasscodeInAdminCenter: true}},
		{"AOSP known only by its management agent", device.Managed{OperatingSystem: "Android", OSVersion: "12", ManagementAgent: "intuneAosp"},
			eligibility.Rules{Kind: eligibility.AOSP, Reset: eligibility.NeedsApproval, Passcode: eligibility.Alphanumeric, RemoteLock: true, PasscodeInAdminCenter: true}},
		{"iPhone", device.Managed{OperatingSystem: "iOS", OSVersion: "17.4.1", DeviceType: "iPhone"},
			eligibility.Rules{Kind: eligibility.IOS, Reset: eligibility.SelfService, Passcode: eligibility.NoPasscode, RemoteLock: true}},
		{"iPad", device.Managed{OperatingSystem: "iPadOS", OSVersion: "17.4"},
			eligibility.Rules{Kind: eligibility.IOS, Reset: eligibility.SelfService, Passcode: eligibility.NoPasscode, RemoteLock: true}},
		{"iOS User Enrollment", device.Managed{OperatingSystem: "iOS", OSVersion: "17.4", EnrollmentType: "appleUserEnrollment"},
			eligibility.Rules{Kind: eligibility.IOSUserEnrollment, Reset: eligibility.NotSupported, RemoteLock: true}},
		{"personal iPhone enrolled by account-driven User Enrollment: no passcode removal", device.Managed{OperatingSystem: "iOS", OSVersion: "18.1", OwnerType: "personal", EnrollmentType: "appleAccountDrivenUserEnrollment"},
			eligibility.Rules{Kind: eligibility.IOSUserEnrollment, Reset: eligibility.NotSupported, RemoteLock: true}},
		{"iPad enrolled by User Enrollment with a service account", device.Managed{OperatingSystem: "iPadOS", OSVersion: "17.4", EnrollmentType: "appleUserEnrollmentWithServiceAccount"},
			eligibility.Rules{Kind: eligibility.IOSUserEnrollment, Reset: eligibility.NotSupported, RemoteLock: true}},
		{"Windows 10 Mobile", device.Managed{OperatingSystem: "Windows", OSVersion: "10.0.15063.1868", DeviceType: "windowsPhone"},
			eligibility.Rules{Kind: eligibility.Windows10Mobile, Reset: eligibility.NeedsApproval, Passcode: eligibility.Alphanumeric, SupportEnded: true}},
		{"Windows Phone 8.1", device.Managed{OperatingSystem: "Windows", OSVersion: "8.10.15148.160", DeviceType: "windowsPhone"},
			eligibility.Rules{Kind: eligibility.WindowsPhone81, Reset: eligibility.NeedsApproval, Passcode: eligibility.Numeric, SupportEnded: true}},
		{"Windows Phone 8.1 without deviceType (Graph v1.0)", device.Managed{OperatingSystem: "Windows", OSVersion: "8.10.14219.341"},
			eligibility.Rules{Kind: eligibility.WindowsPhone81, Reset: eligibility.NeedsApproval, Passcode: eligibility.Numeric, SupportEnded: true}},
		{"desktop Windows 8.1", device.Managed{OperatingSystem: "Windows", OSVersion: "6.3.9600"},
			eligibility.Rules{Kind: eligibility.WindowsPC, Reset: eligibility.NotSupported}},
		{"Windows Phone 8.0 is not supported", device.Managed{OperatingSystem: "Windows", OSVersion: "8.0.10517", DeviceType: "windowsPhone"},
			eligibility.Rules{Kind: eligibility.Unknown, Reset: eligibility.NotSupported}},
		{"Windows PC", device.Managed{OperatingSystem: "Windows", OSVersion: "10.0.22631.3447", DeviceType: "desktop"},
			eligibility.Rules{Kind: eligibility.WindowsPC, Reset: eligibility.NotSupported}},
		{"macOS", device.Managed{OperatingSystem: "macOS", OSVersion: "14.4.1", DeviceType: "macMDM"},
			eligibility.Rules{Kind: eligibility.MacOS, Reset: eligibility.NotSupported, RemoteLock: true, LockPIN: true}},
		{"corporate-owned Android 6", device.Managed{OperatingSystem: "Android", OSVersion: "6.0.1", OwnerType: "company"},
			eligibility.Rules{Kind: eligibility.AndroidAdmin, Reset: eligibility.NeedsApproval, Passcode: eligibility.Alphanumeric, GMSSupportEnded: true}},
		{"corporate-owned iPhone", device.Managed{OperatingSystem: "iOS", OSVersion: "17.4", OwnerType: "company"},
			eligibility.Rules{Kind: eligibility.IOS, Reset: eligibility.NeedsApproval, Passcode: eligibility.NoPasscode, RemoteLock: true}},
		{"corporate-owned Android 10 still needs a factory reset", device.Managed{OperatingSystem: "Android", OSVersion: "10", OwnerType: "company"},
			eligibility.Rules{Kind: eligibility.AndroidAdmin, Reset: eligibility.FactoryReset, Passcode: eligibility.Alphanumeric, GMSSupportEnded: true}},
		{"unknown OS", device.Managed{OperatingSystem: "BlackBerry", OSVersion: "10"},
			eligibility.Rules{Kind: eligibility.Unknown, Reset: eligibility.NotSupported}},
		{"garbage version", device.Managed{OperatingSystem: "Android", OSVersion: "unknown"},
			eligibility.Rules{Kind: eligibility.AndroidAdmin, Reset: eligibility.SelfService, Passcode: eligibility.Alphanumeric, GMSSupportEnded: true}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			if got := tc.d.Ref().Eligibility(); got != tc.want {
				t.Errorf("got %+v, want %+v", got, tc.want)
			}
		})
	}
}

// The iPhone of Graph's documented list example, decoded as the Intune
// backend decodes a page, and what the flows get of it.
func TestAGraphDeviceAndItsRef(t *testing.T) {
	var page struct {
		Value []device.Managed `json:"value"`
	}
	if err := json.Unmarshal(graphtest.Fixture(t, "managed_devices_page2.json"), &page); err != nil {
		t.Fatal(err)
	}
	if len(page.Value) == 0 {
		t.Fatal("no devices in the fixture")
	}
	got := page.Value[0]
	encrypted := true
	want := device.Managed{
		ID: "1b2c3d4e-0000-4a1b-9c2d-000000000003", Name: "Adele's iPhone", OperatingSystem: "iOS", OSVersion: "17.4.1",
		OwnerType: "company", UPN: "adele.vance@contoso.com", UserID: "87d349ed-44d7-43e1-9a83-5f2406dee5bd",
		EnrollmentType: "userEnrollment", ManagementAgent: "mdm", Model: "iPhone 14", Manufacturer: "Apple",
		UserDisplayName: "Adele Vance", LastSyncDateTime: "2024-05-01T06:02:17Z", ComplianceState: "compliant",
		IsEncrypted: &encrypted,
	}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("decoded %+v\nwant %+v", got, want)
	}
	wantRef := bot.DeviceRef{ID: want.ID, Name: "Adele's iPhone", Kind: eligibility.IOS, OSVersion: "17.4.1", Company: true,
		OwnerID: want.UserID, OwnerUPN: want.UPN, LastSync: time.Date(2024, 5, 1, 6, 2, 17, 0, time.UTC)}
	if ref := got.Ref(); ref != wantRef {
		t.Errorf("Ref() = %+v\nwant %+v", ref, wantRef)
	}
}

func TestRefReadsCheckInAndEncryption(t *testing.T) {
	no, yes := false, true
	for _, tc := range []struct {
		name        string
		d           device.Managed
		lastSync    time.Time
		unencrypted bool
	}{
		{"checked in, encrypted", device.Managed{LastSyncDateTime: "2026-11-25T08:00:00.1234567Z", IsEncrypted: &yes},
			time.Date(2026, 11, 25, 8, 0, 0, 123456700, time.UTC), false},
		{"never checked in (Graph's zero date): unknown", device.Managed{LastSyncDateTime: "0001-01-01T00:00:00Z"}, time.Time{}, false},
		{"no check-in time", device.Managed{}, time.Time{}, false},
		{"garbage check-in time", device.Managed{LastSyncDateTime: "yesterday"}, time.Time{}, false},
		{"reported not encrypted", device.Managed{IsEncrypted: &no}, time.Time{}, true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r := tc.d.Ref()
			if !r.LastSync.Equal(tc.lastSync) || r.Unencrypted != tc.unencrypted {
				t.Errorf("LastSync %v Unencrypted %v, want %v %v", r.LastSync, r.Unencrypted, tc.lastSync, tc.unencrypted)
			}
		})
	}
}

// A $select must name exactly what Managed decodes: a property missing from
// it would decode as empty and misclassify the device.
func TestPropertiesAreWhatManagedReads(t *testing.T) {
	var tags []string
	typ := reflect.TypeFor[device.Managed]()
	for i := range typ.NumField() {
		name, _, _ := strings.Cut(typ.Field(i).Tag.Get("json"), ",")
		tags = append(tags, name)
	}
	beta := device.Properties(true)
	if !slices.Equal(slices.Sorted(slices.Values(beta)), slices.Sorted(slices.Values(tags))) {
		t.Errorf("beta $select %v, want the JSON names %v", beta, tags)
	}
	if v1 := device.Properties(false); slices.Contains(v1, "deviceType") || len(v1) != len(beta)-1 {
		t.Errorf("v1.0 $select %v, want beta's without deviceType", v1)
	}
}
