package locales

// enDevices are the texts about what each kind of device allows: check-in,
// work profiles, Remote Lock, lost devices, limits and typed answers. They
// live apart from en so that changes to the conversation's texts and to the
// device facts (which follow Microsoft's documentation) do not collide.
var enDevices = map[string]string{
	"device.checkin":         "Last check-in with Intune: {time} ({ago} ago).",
	"device.checkin.unknown": "Intune reports no check-in time for this device.",
	"device.quiet":           "⚠️ {name} has not checked in with Intune for {days} days. Intune acts on a device only when it next connects, so a reset or lock happens only then.",
	"device.silent":          "{name} has not checked in with Intune for {days} days. Intune acts on a device only when it connects, so a reset may never arrive: the helpdesk decides what to do.",
	"device.ended":           "Intune no longer supports {platform}: these devices no longer check in, so a reset may never arrive. The helpdesk decides what to do.",
	"device.workprofile": "Intune resets the passcode of the work profile on {name}, not the passcode of the device itself. " +
		"After the reset a notification on the device asks you to activate the new work profile passcode: tap it and enter the passcode; the notification then goes away.",
	"device.workprofile.old":              "Intune resets the work profile passcode of personally owned devices from Android {min}.0 on; {name} runs Android {version}.",
	"result.workprofile":                  "The work profile passcode of {name} was reset. Your temporary work profile passcode is: {passcode}\nTap the notification on the device to activate it and enter this passcode; the notification then goes away.",
	"result.failed.workprofile":           "A work profile passcode can only be reset when your company's policy manages it and the reset was allowed on the device: ask your company support to check both.",
	"device.helpdesk.ask":                 "I can ask the helpdesk to approve a reset for you.",
	"device.helpdesk":                     "Contact your company support to reset the passcode for you.",
	"notwithyou.lock.tell":                "If the device is lost or stolen, lock it remotely now, and tell your company support.",
	"notwithyou.nolock.tell":              "If the device is lost or stolen, tell your company support right away.",
	"btn.lockok":                          "Lock it",
	"btn.lost":                            "Report it lost",
	"btn.restart":                         "Start over",
	"btn.keep":                            "Continue",
	"lock.confirm":                        "Lock {name} remotely? Whoever has it then needs its passcode to use it.",
	"lock.confirm.pin":                    "A Mac is locked with a 6-digit recovery PIN. I will show it only to you: keep it, you need it to unlock the Mac, and I cannot lock this Mac again until it has been used.",
	"lock.nopasscode":                     "⚠️ Intune reports {name} as not encrypted, so it may have no passcode. Without one, a lock only turns the screen off: it will not keep anyone out.",
	"lock.quiet":                          "{name} last checked in {days} days ago: it locks only when it next connects.",
	"lock.pin":                            "The recovery PIN of {name} is: {pin}\nEnter it on the Mac to unlock it. I show it only this once and keep it nowhere.",
	"lock.pin.pending":                    "🔒 The lock of {name} was sent. I will send you its recovery PIN, only to you, as soon as Intune has it.",
	"lock.pin.missing":                    "Intune did not report the recovery PIN of {name} to me.",
	"lock.pin.admin":                      "Your company support can read it in the Intune admin center for up to 30 days, or until another device action is sent to the Mac.",
	"error.lock.unused":                   "This Mac is still locked by an earlier Remote Lock whose recovery PIN was not used yet. Unlock the Mac with that PIN first: Intune fails a second lock before then.",
	"lost.notice":                         "📵 Device reported lost or stolen\nFrom: {requester} ({upn})\nDevice: {name}, {platform} {version}{owner}\nReported: {time}\nLast check-in: {checkin}\nConsider Remote Lock, retire or wipe in Intune.",
	"lost.sent":                           "I told your company support ({support}) that {name} is lost or stolen, with its last check-in. They will contact you and decide whether to lock, retire or wipe it in Intune.",
	"limit.reached":                       "You have reached the limit of passcode resets and requests for now. You can try again after {time} ({wait}).",
	"restart.ask":                         "Start over? That closes this step.",
	"restart.approval":                    "The helpdesk's approval is dropped too.",
	"step.lock":                           "waiting for you to confirm the Remote Lock",
	"span.minutes#one":                    "1 minute",
	"span.minutes#other":                  "{n} minutes",
	"span.hours#one":                      "1 hour",
	"span.hours#other":                    "{n} hours",
	"span.days#one":                       "1 day",
	"span.days#other":                     "{n} days",
	"outcome.done":                        "done",
	"outcome.pending":                     "waiting for the device",
	"outcome.failed":                      "did not succeed",
	"outcome.ratelimited":                 "refused: too many tries",
	"outcome.error":                       "did not succeed: an error",
	"kind.android-corporate-work-profile": "Android Enterprise corporate work profile",
	"kind.android-dedicated":              "Android Enterprise dedicated device",
	"passcode.portal":                     "You find it in the Company Portal: select the device to see its details.",
	"passcode.admincenter":                "Your company support can read it in the Intune admin center for seven days after the reset.",
	"result.next.workprofile":             "Then change the temporary work profile passcode to one of your own. Only the work profile's passcode changed: the passcode that unlocks the device itself is the same as before.",
	"followup.reminder.workprofile":       "Reminder: if you are still using the temporary work profile passcode on {name}, change it to one of your own.",
	"device.gms.ended":                    "⚠️ {name} is managed as an Android device administrator device. Intune ended its support for this management on devices with Google Mobile Services on 31 December 2024, so the reset may not arrive. If it does not, contact your company support.",
	"device.userenrollment":               "{name} is enrolled with Apple User Enrollment: Intune can lock it remotely, but cannot remove its passcode.",
}

func init() { merge(en, enDevices) }

// merge adds texts to a language; a key in both is a mistake that would
// silently lose one text, so it stops the program (and every test) at once.
func merge(lang, texts map[string]string) {
	for k, v := range texts {
		if _, dup := lang[k]; dup {
			panic("locales: " + k + " is defined twice")
		}
		lang[k] = v
	}
}
