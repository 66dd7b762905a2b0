package slack

import (
	"context"
	"strings"
	"time"

	"github.com/passbot/passbot/internal/ttlcache"
)

// groupTTL is how long the members of an approver user group are reused
// before usergroups.users.list is asked again (lazily, by the next event
// that needs them). Removing someone from the group takes effect within it.
const groupTTL = 5 * time.Minute

// groupCache remembers the members of the approver user groups.
type groupCache = ttlcache.Cache[string, map[string]bool]

// The groups are the few PASSBOT_APPROVERS names: the users' bound is a
// ceiling they never reach.
func newGroupCache() *groupCache { return ttlcache.New[string, map[string]bool](maxCachedUsers) }

// approverGroups returns the user group IDs (S…) among the approvers.
func approverGroups(approvers []string) []string {
	var out []string
	for _, a := range approvers {
		if strings.HasPrefix(a, "S") {
			out = append(out, a)
		}
	}
	return out
}

// isApprover reports whether the Slack user may decide helpdesk requests:
// listed by ID, or a member of a listed user group. A group whose members
// Slack does not tell just now counts as one the user is not in, so an error
// never grants anything; it is logged and asked again on the next event.
func (a *Adapter) isApprover(ctx context.Context, userID string) bool {
	if a.cfg.Approvers.Allows(userID) {
		return true
	}
	var groups []string
	for _, g := range approverGroups(a.cfg.Approvers) {
		members, err := a.groupMembers(ctx, g)
		if err != nil {
			a.log.Error("slack: usergroups.users.list, treating the user as no approver", "usergroup", g, "user", userID, "err", err)
			continue
		}
		if members[userID] {
			groups = append(groups, g)
		}
	}
	return a.cfg.Approvers.Allows(userID, groups...)
}

// groupMembers returns the members of a user group, cached for groupTTL.
// Failures are not cached: the next event asks again.
func (a *Adapter) groupMembers(ctx context.Context, group string) (map[string]bool, error) {
	now := a.now()
	if members, ok := a.groups.Get(group, now); ok {
		return members, nil
	}
	ids, err := a.api.GetUserGroupMembersContext(ctx, group)
	if err != nil {
		return nil, err
	}
	members := make(map[string]bool, len(ids))
	for _, id := range ids {
		members[id] = true
	}
	a.groups.Put(group, members, now.Add(groupTTL))
	return members, nil
}
