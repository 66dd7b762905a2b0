package teams

import (
	"context"
	"errors"
	"net/http"
	"strings"
	"time"

	"github.com/passbot/passbot/bot"
)

// teamTTL is how long a team membership answer is reused: someone taken
// out of the helpdesk team stops approving within it.
const teamTTL = 5 * time.Minute

// approverTeams are the Teams teams among the approvers: a team is named by
// its ID, the conversation ID of its General channel ("19:…@thread.tacv2").
func approverTeams(ap bot.Approvers) []string {
	var teams []string
	for _, a := range ap {
		if strings.HasPrefix(a, "19:") && strings.Contains(a, "@thread.") {
			teams = append(teams, a)
		}
	}
	return teams
}

// isApprover reports whether an activity's sender may decide helpdesk
// requests: listed by Entra object ID, or a member of a listed team. A
// membership the Connector does not tell just now counts as none, so an
// error never grants anything; it is asked again on the next event.
func (a *Adapter) isApprover(ctx context.Context, act *Activity) bool {
	oid := act.From.AADObjectID
	if a.cfg.Approvers.Allows(oid) {
		return true
	}
	var teams []string
	for _, team := range approverTeams(a.cfg.Approvers) {
		member, err := a.teamMember(ctx, act, team)
		if err != nil {
			a.log.Error("teams: read team membership, treating the user as no approver", "team", team, "user", oid, "err", err)
			continue
		}
		if member {
			teams = append(teams, team)
		}
	}
	return a.cfg.Approvers.Allows(oid, teams...)
}

// teamMember asks the Connector whether the sender is a member of team,
// cached for teamTTL; "not a member" is an answer, a failure is not cached.
func (a *Adapter) teamMember(ctx context.Context, act *Activity, team string) (bool, error) {
	key := team + "|" + act.From.AADObjectID
	now := time.Now()
	if member, ok := a.members.teams.Get(key, now); ok {
		return member, nil
	}
	m, err := a.conn.GetMember(ctx, act.ServiceURL, team, act.From.ID)
	var cerr *ConnectorError
	switch {
	case errors.As(err, &cerr) && cerr.Status == http.StatusNotFound:
		m = Member{}
	case err != nil:
		return false, err
	}
	member := m.AADObjectID != "" && strings.EqualFold(m.AADObjectID, act.From.AADObjectID)
	a.members.teams.Put(key, member, now.Add(teamTTL))
	return member, nil
}
