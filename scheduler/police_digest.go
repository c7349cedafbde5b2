package scheduler

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/robfig/cron/v3"

	"github.com/anttbot/anttbot/bot"
	"github.com/anttbot/anttbot/delivery"
	"github.com/anttbot/anttbot/store"
)

// policeDigest sends each commune's police, daily (default 17:30) and only
// when there is something to say: the reports made since the last digest by
// kind, how many wait for a verdict, the tips nobody has taken in for over
// a day (Config.StaleTip), and the members who became unreachable.
//
// Relevance: until the end of the digest's day (in practice until quiet
// hours begin). A skipped digest loses nothing: the next one covers
// everything since the last digest that went out.
type policeDigest struct {
	*env
	sched cron.Schedule
}

// Name implements Job.
func (j *policeDigest) Name() string { return JobPoliceDigest }

func (j *policeDigest) setSchedule(s cron.Schedule) { j.sched = s }

// digestKeyLayout names a digest by the minute it was due.
const digestKeyLayout = "2006-01-02T15:04"

// maxDigestSpan bounds how far back a digest reaches when the last one is
// long gone (the service was down for weeks).
const maxDigestSpan = 7 * 24 * time.Hour

func (j *policeDigest) plan(fire time.Time) (Period, bool) {
	fire = fire.In(j.loc)
	return Period{Key: fire.Format(digestKeyLayout), From: fire.Add(-24 * time.Hour), To: fire, Due: fire,
		Deadline: dayStart(fire, j.loc).AddDate(0, 0, 1), PhaseID: j.phaseID(fire)}, true
}

// parse reads a day ("2025-03-25": that day's digest) or a due time
// ("2025-03-25T17:30"); "" is the latest digest due by now, or one as of
// now when the job has no schedule.
func (j *policeDigest) parse(s string, now time.Time) (Period, error) {
	if s == "" {
		if j.sched == nil {
			p, _ := j.plan(now)
			return p, nil
		}
		var last time.Time
		for f := j.sched.Next(now.Add(-48 * time.Hour)); !f.After(now); f = j.sched.Next(f) {
			last = f
		}
		if last.IsZero() {
			p, _ := j.plan(now)
			return p, nil
		}
		p, _ := j.plan(last)
		p.Deadline = time.Time{}
		return p, nil
	}
	if t, err := time.ParseInLocation(digestKeyLayout, s, j.loc); err == nil {
		p, _ := j.plan(t)
		p.Deadline = time.Time{}
		return p, nil
	}
	day, err := time.ParseInLocation("2006-01-02", s, j.loc)
	if err != nil {
		return Period{}, fmt.Errorf("%w: %q is not a day like 2025-03-25 or a time like 2025-03-25T17:30", ErrBadPeriod, s)
	}
	fire := day.Add(17*time.Hour + 30*time.Minute)
	if j.sched != nil {
		if f := j.sched.Next(day.Add(-time.Second)); f.Before(day.AddDate(0, 0, 1)) {
			fire = f
		}
	}
	p, _ := j.plan(fire)
	p.Deadline = time.Time{}
	return p, nil
}

// since returns where the digest due at p.To starts: where the last digest
// before it ended, if recent, else a day before.
func (j *policeDigest) since(ctx context.Context, p Period) (time.Time, error) {
	from := p.To.Add(-24 * time.Hour)
	last, err := j.st.LastJobRun(ctx, JobPoliceDigest, p.Due)
	switch {
	case errors.Is(err, store.ErrNotFound):
		return from, nil
	case err != nil:
		return time.Time{}, err
	}
	if to := last.PeriodTo; to.Before(p.To) && p.To.Sub(to) <= maxDigestSpan {
		return to, nil
	}
	return from, nil
}

// communeDigest is what one commune's police are told.
type communeDigest struct {
	made        []store.CommuneKindCount
	awaiting    int64
	staleTips   []int64
	unreachable []store.UnreachablePerson
}

func (d communeDigest) empty() bool {
	return len(d.made) == 0 && len(d.staleTips) == 0 && len(d.unreachable) == 0
}

// Run implements Job.
func (j *policeDigest) Run(ctx context.Context, p Period) (Result, error) {
	since, err := j.since(ctx, p)
	if err != nil {
		return Result{}, err
	}
	digests := map[int64]*communeDigest{}
	get := func(id int64) *communeDigest {
		if digests[id] == nil {
			digests[id] = &communeDigest{}
		}
		return digests[id]
	}
	made, err := j.st.SubmissionsMadeByCommune(ctx, since, p.To)
	if err != nil {
		return Result{}, err
	}
	for _, c := range made {
		get(c.CommuneID).made = append(get(c.CommuneID).made, c)
	}
	// Tips go to the police the moment they are made and have their own
	// buttons; the verification count is about the other kinds.
	var tipKinds []string
	for _, k := range j.camp.Kinds {
		if k.NotifyPolice {
			tipKinds = append(tipKinds, k.ID)
		}
	}
	open, err := j.st.OpenSubmissionsByCommune(ctx)
	if err != nil {
		return Result{}, err
	}
	for _, c := range open {
		if !slices.Contains(tipKinds, c.Kind) {
			get(c.CommuneID).awaiting += c.N
		}
	}
	stale, err := j.st.StaleSubmissions(ctx, tipKinds, []string{store.StatusPending}, p.To.Add(-j.staleTip))
	if err != nil {
		return Result{}, err
	}
	for _, s := range stale {
		get(s.CommuneID).staleTips = append(get(s.CommuneID).staleTips, s.ID)
	}
	gone, err := j.st.UnreachablePeople(ctx, since)
	if err != nil {
		return Result{}, err
	}
	// Most days nothing happens: say so without loading the organisation.
	if len(made) == 0 && len(stale) == 0 && len(gone) == 0 {
		return Result{Note: "nothing new since " + since.In(j.loc).Format(time.RFC3339)}, nil
	}
	o, err := j.loadOrg(ctx, store.RoleCommunePolice)
	if err != nil {
		return Result{}, err
	}
	for _, u := range gone {
		if c, ok := o.communeOf(u.UnitID); ok {
			get(c.ID).unreachable = append(get(c.ID).unreachable, u)
		}
	}

	var res Result
	sent := 0
	for _, commune := range o.byLvl[store.LevelCommune] {
		d := digests[commune.ID]
		if d == nil || d.empty() {
			continue
		}
		police := o.communePolice(commune.ID)
		if len(police) > 0 {
			sent++
		}
		for _, officer := range police {
			lang := j.langOf(officer)
			m := bot.Message{Text: j.text(lang, o, commune, *d, since, p.To)}
			if d.awaiting > 0 {
				m.Buttons = [][]bot.Button{{{Label: j.tr.T(lang, "scheduler.button.queue"), Data: "/duyet"}}}
			}
			res.Sends = append(res.Sends, j.send(JobPoliceDigest, p, officer, o.who(officer), delivery.KindDigest, "", m))
		}
	}
	res.Note = fmt.Sprintf("%d communes with news since %s", sent, since.In(j.loc).Format(time.RFC3339))
	return res, nil
}

func (j *policeDigest) text(lang string, o *org, commune store.Unit, d communeDigest, since, to time.Time) string {
	var b strings.Builder
	b.WriteString(j.tr.T(lang, "scheduler.digest.title", "Date", j.dateText(lang, to), "Commune", commune.Name))
	sinceText := j.layout(lang, "time", since)
	b.WriteString("\n\n")
	if len(d.made) == 0 {
		b.WriteString(j.tr.T(lang, "scheduler.digest.new_none", "Since", sinceText))
	} else {
		var total int64
		for _, c := range d.made {
			total += c.N
		}
		b.WriteString(j.tr.T(lang, "scheduler.digest.new_header", "Since", sinceText, "Count", total))
		for _, c := range d.made {
			b.WriteString("\n")
			b.WriteString(j.tr.T(lang, "scheduler.digest.kind_line", "Kind", j.kindLabel(lang, c.Kind), "Count", c.N))
		}
	}
	if d.awaiting > 0 {
		b.WriteString("\n\n")
		b.WriteString(j.tr.T(lang, "scheduler.digest.awaiting", "Count", d.awaiting))
	}
	if len(d.staleTips) > 0 {
		refs := make([]string, len(d.staleTips))
		for i, id := range d.staleTips {
			refs[i] = "#" + strconv.FormatInt(id, 10)
		}
		b.WriteString("\n\n")
		b.WriteString(j.tr.T(lang, "scheduler.digest.stale_tips", "Hours", int(j.staleTip.Hours()),
			"Count", len(refs), "Refs", j.itemList(lang, refs)))
	}
	if len(d.unreachable) > 0 {
		names := make([]string, len(d.unreachable))
		for i, u := range d.unreachable {
			names[i] = u.Name + " (" + o.units[u.UnitID].Name + ")"
		}
		b.WriteString("\n\n")
		b.WriteString(j.tr.T(lang, "scheduler.digest.unreachable", "Count", len(names), "Names", j.nameList(lang, names)))
	}
	return b.String()
}

// itemList joins items like nameList, counting "more items" rather than people.
func (e *env) itemList(lang string, items []string) string {
	if len(items) <= maxNames {
		return strings.Join(items, ", ")
	}
	return strings.Join(items[:maxNames], ", ") + " " + e.tr.T(lang, "scheduler.common.and_more_items", "Count", len(items)-maxNames)
}
