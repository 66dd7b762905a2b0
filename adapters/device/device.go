// Package device is Microsoft Graph's managedDevice as passbot reads it, and
// its classification into the device kinds of package bot. The Intune
// backend decodes Graph's answers into it, the demo backend its fleet file,
// and graphtest serves it; each hands the flows only the bot.DeviceRef that
// Ref makes, so the Graph shape stays out of the core.
package device

import (
	"strings"
	"time"

	"github.com/passbot/passbot/bot"
	"github.com/passbot/passbot/bot/eligibility"
)

// Managed is an Intune managed device in Microsoft Graph's managedDevice
// shape, limited to the properties passbot reads.
type Managed struct {
	ID               string `json:"id"`
	Name             string `json:"deviceName"`
	OperatingSystem  string `json:"operatingSystem"`
	OSVersion        string `json:"osVersion"`
	OwnerType        string `json:"managedDeviceOwnerType"`
	UPN              string `json:"userPrincipalName"`
	UserID           string `json:"userId,omitempty"`
	DeviceType       string `json:"deviceType,omitempty"`
	EnrollmentType   string `json:"deviceEnrollmentType,omitempty"`
	ManagementAgent  string `json:"managementAgent,omitempty"`
	Model            string `json:"model,omitempty"`
	Manufacturer     string `json:"manufacturer,omitempty"`
	UserDisplayName  string `json:"userDisplayName,omitempty"`
	LastSyncDateTime string `json:"lastSyncDateTime,omitempty"`
	ComplianceState  string `json:"complianceState,omitempty"`
	// IsEncrypted is nil when Graph did not say.
	IsEncrypted *bool `json:"isEncrypted,omitempty"`
}

// Properties are the managedDevice properties Managed reads, for a
// $select. v1.0 has no deviceType and answers 400 to a $select naming it.
func Properties(beta bool) []string {
	p := []string{
		"id", "deviceName", "operatingSystem", "osVersion", "managedDeviceOwnerType",
		"userPrincipalName", "userId", "deviceEnrollmentType", "managementAgent", "model",
		"manufacturer", "userDisplayName", "lastSyncDateTime", "complianceState", "isEncrypted",
	}
	if beta {
		p = append(p, "deviceType")
	}
	return p
}

// Kind classifies the device from the properties Intune reports.
func (d Managed) Kind() eligibility.Kind {
	os := strings.ToLower(d.OperatingSystem)
	typ := strings.ToLower(d.DeviceType)
	enr := strings.ToLower(d.EnrollmentType)
	switch {
	case strings.Contains(os, "aosp") || strings.Contains(enr, "aosp") || strings.EqualFold(d.ManagementAgent, "intuneAosp"):
		// AOSP devices report operatingSystem "Android" and management
		// agent intuneAosp (Graph managementAgentType).
		return eligibility.AOSP
	case os == "android":
		// deviceType and the androidEnterprise* enrollment types are in Graph
		// beta; v1.0 shows Android Enterprise only as management by Google's
		// device policy controller.
		dpc := strings.EqualFold(d.ManagementAgent, "googleCloudDevicePolicyController")
		// Graph beta deviceEnrollmentType names the corporate Android
		// Enterprise modes (androidEnterpriseDedicatedDevice, …FullyManaged,
		// …CorporateWorkProfile); a personal work profile has none of them.
		switch {
		case enr == "androidenterprisededicateddevice":
			return eligibility.AndroidDedicated
		case enr == "androidenterprisecorporateworkprofile":
			return eligibility.AndroidCorporateWorkProfile
		case strings.HasPrefix(enr, "androidenterprise") || typ == "androidenterprise" || dpc && d.company():
			return eligibility.AndroidEnterprise
		case typ == "androidforwork" || dpc:
			return eligibility.AndroidWorkProfile
		}
		return eligibility.AndroidAdmin
	case os == "ios" || os == "ipados":
		// Graph's deviceEnrollmentType names both kinds of Apple User
		// Enrollment: profile-based (appleUserEnrollment,
		// …WithServiceAccount) and account-driven
		// (appleAccountDrivenUserEnrollment); neither allows a passcode
		// removal (https://learn.microsoft.com/graph/api/resources/intune-devices-deviceenrollmenttype,
		// ms.date 09/12/2024).
		if strings.HasPrefix(enr, "appleuserenrollment") || enr == "appleaccountdrivenuserenrollment" {
			return eligibility.IOSUserEnrollment
		}
		return eligibility.IOS
	case os == "macos" || os == "mac os x" || typ == "mac" || typ == "macmdm":
		return eligibility.MacOS
	case strings.HasPrefix(os, "windows"):
		// Desktop Windows 8 and 8.1 report osVersion 6.2 and 6.3, so an 8.x
		// is a phone whatever deviceType says; Windows 10 Mobile and desktop
		// share 10.0 and need deviceType (Graph beta) to tell them apart.
		phone := typ == "windowsphone" || typ == "winmo6" || os == "windows phone" || os == "windowsphone" || os == "windows mobile" ||
			eligibility.VersionAtLeast(d.OSVersion, 8, 0) && !eligibility.VersionAtLeast(d.OSVersion, 9, 0)
		switch {
		case phone && eligibility.VersionAtLeast(d.OSVersion, 10, 0):
			return eligibility.Windows10Mobile
		case phone && eligibility.VersionAtLeast(d.OSVersion, 8, 1):
			return eligibility.WindowsPhone81
		case phone:
			return eligibility.Unknown
		}
		return eligibility.WindowsPC
	}
	return eligibility.Unknown
}

// company reports whether the device is corporate-owned.
func (d Managed) company() bool { return strings.EqualFold(d.OwnerType, "company") }

// Ref is the device as the core sees it: classified, its owner and its last
// check-in read from Graph's properties.
func (d Managed) Ref() bot.DeviceRef {
	r := bot.DeviceRef{ID: d.ID, Name: d.Name, Kind: d.Kind(), OSVersion: d.OSVersion, Company: d.company(),
		OwnerID: d.UserID, OwnerUPN: d.UPN, Unencrypted: d.IsEncrypted != nil && !*d.IsEncrypted}
	// Graph reports a device that never checked in as 0001-01-01: unknown.
	if t, err := time.Parse(time.RFC3339Nano, d.LastSyncDateTime); err == nil && t.Year() > 1 {
		r.LastSync = t
	}
	return r
}
