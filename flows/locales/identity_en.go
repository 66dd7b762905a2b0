package locales

// enIdentity are the texts about who a chat account is: the helpdesk's
// notices of a sign-in by someone else than a device's owner and of a chat
// account linked to a company account, and the answer for a device no
// sign-in can prove anyone's. Helpdesk texts name the object ID, which
// Entra never reuses, beside the UPN, which can be renamed.
var enIdentity = map[string]string{
	"signin.mismatch.notice": "⚠️ Sign-in by another account than the device's owner\nAsked by: {requester} ({account})\nDevice: {name}, {platform} {version}\n" +
		"Signed in as: {upn} (object ID {oid})\nTime: {time}\nNothing was reset. If the person who asked did not expect this, check the sign-in in Entra ID.",
	"signin.linked.notice": "🔗 Chat account linked to a work account\nChat account: {requester} ({account})\nSigned in as: {upn} (object ID {oid})\nTime: {time}\n" +
		"From now on this chat account sees the devices of {upn}. If that is not the same person, check the sign-in in Entra ID.",
	"device.noowner": "Intune names no user for {name}, so a sign-in cannot prove that it is yours. Contact your company support to reset the passcode for you.",
}

func init() { merge(en, enIdentity) }
