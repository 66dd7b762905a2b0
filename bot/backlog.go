package bot

import "time"

// Backlog is the work waiting in the store, shared by every replica: the
// follow-up queue and the helpdesk's undecided requests. Operators watch it
// (ops exposes it as gauges). Zero times mean none.
type Backlog struct {
	FollowUps       int64     // scheduled, due or not
	DueFollowUps    int64     // due and not fired (a claimed one counts again once its lease ran out)
	OldestDue       time.Time // due time of the longest-waiting due follow-up
	PendingRequests int64     // helpdesk requests not yet decided
	OldestRequest   time.Time // when the oldest undecided request was made
}
