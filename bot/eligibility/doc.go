// Package eligibility is what Intune can do with each kind of device
// (passcode reset or removal, Remote Lock, per Microsoft's documentation) and
// so what passbot offers for it: the kinds, the cited table and its rules.
// It imports nothing of passbot; the core and the device backends use it.
package eligibility
