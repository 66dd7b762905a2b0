package reset

import (
	"fmt"
	"time"
	// Zones load from the binary: the distroless image and CI may have no
	// /usr/share/zoneinfo.
	_ "time/tzdata"

	"github.com/passbot/passbot/flows/locales"
)

const stamp = "2006-01-02 15:04"

// zone is the person's time zone where their platform tells it, else UTC.
func (t *turn) zone() *time.Location {
	tz := t.c.Owner.TZ
	if tz == "" || tz == "Local" {
		return time.UTC
	}
	loc, err := time.LoadLocation(tz)
	if err != nil {
		return time.UTC
	}
	return loc
}

// at says a time in the person's zone and names the zone, so a time is
// never ambiguous: "2026-11-25 10:00 CET", "2026-11-25 09:00 UTC", and
// "UTC+05:30" where the zone has no abbreviation.
func (t *turn) at(tm time.Time) string { return zoned(tm.In(t.zone())) }

// utc is a time for the helpdesk channel, read by people in many zones.
func utc(tm time.Time) string { return zoned(tm.UTC()) }

func zoned(tm time.Time) string {
	name, offset := tm.Zone()
	if name == "" || name[0] == '+' || name[0] == '-' {
		name = "UTC"
		if offset != 0 {
			name += fmt.Sprintf("%+03d:%02d", offset/3600, abs(offset%3600)/60)
		}
	}
	return tm.Format(stamp) + " " + name
}

func abs(n int) int { return max(n, -n) }

// span says a duration in words.
func (t *turn) span(d time.Duration) string { return locales.Span(t.lang(), d) }

// until says how long until a time from now, in words: "in 3 minutes", "in
// less than a minute".
func (t *turn) until(at time.Time) string { return locales.Until(t.lang(), at.Sub(t.now)) }
