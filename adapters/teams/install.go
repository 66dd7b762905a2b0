package teams

import (
	"context"
	"slices"

	"github.com/passbot/passbot/bot"
)

// Actions of an installationUpdate activity. An app update ("add-upgrade",
// "remove-upgrade") is neither an installation nor a removal.
const (
	installAdd    = "add"
	installRemove = "remove"
)

// botID is the bot's Teams account.
func (a *Adapter) botID() string { return "28:" + a.cfg.TeamsAppID }

// hasBot reports whether accounts name the bot. Teams names it by its
// Teams account; the recipient of the activity is the bot as well.
func hasBot(accounts []Account, act *Activity, botID string) bool {
	return slices.ContainsFunc(accounts, func(m Account) bool {
		return m.ID == botID || act.Recipient != nil && m.ID == act.Recipient.ID
	})
}

// personalChange reports whether an activity says the bot joined
// (action installAdd) or left (installRemove) a personal chat: an
// installationUpdate with that action, or a conversationUpdate with the
// bot among the members added or removed. Installations in a team or a
// group chat do not count.
func personalChange(act *Activity, botID, action string) bool {
	if act.Conversation.ConversationType != convPersonal {
		return false
	}
	members := act.MembersAdded
	if action == installRemove {
		members = act.MembersRemoved
	}
	switch act.Type {
	case typeInstallationUpdate:
		return act.Action == action
	case typeConversationUpdate:
		return hasBot(members, act, botID)
	}
	return false
}

// Marks of a personal chat: welcomed, until the app is removed from it;
// removed, until the app is installed again.
func welcomeKey(conv string) string { return "welcome:" + conv }
func removedKey(conv string) string { return "removed:" + conv }

// installed handles an installation event: a personal chat the app was
// added to is open to messages again, and its person welcomed.
func (a *Adapter) installed(ctx context.Context, act *Activity) {
	if !personalChange(act, a.botID(), installAdd) {
		return
	}
	conv := act.Conversation.ID
	if err := a.refs.Delete(ctx, removedKey(conv)); err != nil {
		a.log.Error("teams: unmark the removal", "conversation", conv, "err", err)
	}
	a.welcome(ctx, act)
}

// welcome greets a person who installed the app, once per installation:
// Teams announces one installation with an installationUpdate and a
// conversationUpdate, and may deliver either again (same activity ID), on
// any replica; the first to claim the chat's mark sends the greeting.
func (a *Adapter) welcome(ctx context.Context, act *Activity) {
	conv := act.Conversation.ID
	key := welcomeKey(conv)
	first, err := a.refs.Claim(ctx, key, act.ID)
	if err != nil {
		a.log.Error("teams: mark the welcome", "conversation", conv, "err", err)
		return
	}
	if !first {
		return
	}
	if _, err := a.conn.SendToConversation(ctx, act.ServiceURL, conv, message(bot.Reply{Text: both("teams.welcome", act.Locale)})); err != nil {
		a.log.Error("teams: send the welcome", "conversation", conv, "err", err)
		// Unmarked, the next event of this installation tries again.
		if err := a.refs.Delete(ctx, key); err != nil {
			a.log.Error("teams: unmark the welcome", "conversation", conv, "err", err)
		}
	}
}

// forget drops the personal chat a person removed the app from: no
// message is sent into it, nor updated in it, any more. Their Teams
// account stays, so a later message to them asks Teams for a new chat,
// which Teams opens only while the app is installed for them (reinstalled,
// or in a team of theirs).
func (a *Adapter) forget(ctx context.Context, act *Activity) {
	conv := act.Conversation.ID
	if err := a.refs.Set(ctx, removedKey(conv), act.ID); err != nil {
		a.log.Error("teams: mark the removal", "conversation", conv, "err", err)
	}
	if err := a.refs.Delete(ctx, welcomeKey(conv)); err != nil {
		a.log.Error("teams: unmark the welcome", "conversation", conv, "err", err)
	}
	if act.From == nil || act.From.AADObjectID == "" {
		return
	}
	oid := act.From.AADObjectID
	if err := a.dropChat(ctx, oid, conv); err != nil {
		a.log.Error("teams: forget the personal chat", "user", oid, "conversation", conv, "err", err)
		return
	}
	a.log.Info("teams: the app was removed from a personal chat", "user", oid, "conversation", conv)
}
