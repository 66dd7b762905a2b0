package teams

import (
	"context"
	"time"

	"github.com/passbot/passbot/internal/ttlcache"
)

// memberTTL is how long a member's user principal name is reused before the
// Connector is asked again: a renamed account shows within it.
const memberTTL = 10 * time.Minute

// memberRetry is how long a failed lookup stands before it is tried again.
const memberRetry = time.Minute

// maxCachedMembers bounds the cache; a full one drops the entry used least
// recently, which costs a call when next needed.
const maxCachedMembers = 10000

// memberCache remembers what the members API told: user principal names
// by object ID, team memberships by team and object ID.
type memberCache struct {
	upns  *ttlcache.Cache[string, string]
	teams *ttlcache.Cache[string, bool]
}

func newMemberCache() memberCache {
	return memberCache{upns: ttlcache.New[string, string](maxCachedMembers), teams: ttlcache.New[string, bool](maxCachedMembers)}
}

// upn returns the user principal name of an activity's sender, as Teams'
// members API names it: what the helpdesk and the audit trail show. It
// never decides whose devices are listed (the object ID does), so a failed
// lookup only leaves it empty. notTheirs: the members API says the personal
// chat the activity names is not its sender's.
func (a *Adapter) upn(ctx context.Context, act *Activity) (upn string, notTheirs bool) {
	oid := act.From.AADObjectID
	now := time.Now()
	if upn, ok := a.members.upns.Get(oid, now); ok {
		return upn, false
	}
	ttl := memberTTL
	m, err := a.conn.GetMember(ctx, act.ServiceURL, act.Conversation.ID, act.From.ID)
	switch {
	case notMember(err) && act.Conversation.ConversationType == convPersonal:
		// Teams does not count the sender in the personal chat the
		// activity names: it is not theirs, whatever learn saved of it.
		// Nothing is cached: the answer is about the chat, not them.
		a.log.Warn("teams: an activity names a personal chat that is not its sender's", "user", oid, "conversation", act.Conversation.ID)
		if derr := a.dropChat(ctx, oid, act.Conversation.ID); derr != nil {
			a.log.Error("teams: forget a personal chat that is not the sender's", "user", oid, "err", derr)
		}
		return "", true
	case err != nil:
		a.log.Warn("teams: read the member's user principal name", "user", oid, "err", err)
		m, ttl = Member{}, memberRetry // not asked again at every event
	case m.AADObjectID != "" && m.AADObjectID != oid:
		a.log.Warn("teams: the members API names another account", "user", oid, "member", m.AADObjectID)
		m = Member{}
	}
	a.members.upns.Put(oid, m.UserPrincipalName, now.Add(ttl))
	return m.UserPrincipalName, false
}
