package scheduler

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"os"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/anttbot/anttbot/campaign"
	"github.com/anttbot/anttbot/config"
	"github.com/anttbot/anttbot/delivery"
	"github.com/anttbot/anttbot/locales"
	"github.com/anttbot/anttbot/store"
	"github.com/anttbot/anttbot/store/storetest"
)

// hcm is the campaign's time zone.
var hcm = mustLoc("Asia/Ho_Chi_Minh")

func mustLoc(name string) *time.Location {
	loc, err := time.LoadLocation(name)
	if err != nil {
		panic(err)
	}
	return loc
}

// at returns a local time in Asia/Ho_Chi_Minh.
func at(y int, m time.Month, d, h, min int) time.Time {
	return time.Date(y, m, d, h, min, 0, 0, hcm)
}

// fakeClock is a settable clock shared by the store and the schedulers.
type fakeClock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *fakeClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

func (c *fakeClock) Set(t time.Time) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.t = t
}

// TestMain silences the default logger, which River's migrations write to.
func TestMain(m *testing.M) {
	slog.SetDefault(testLogger())
	os.Exit(m.Run())
}

func testLogger() *slog.Logger {
	if os.Getenv("SCHEDULER_TEST_LOG") != "" {
		return slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelDebug}))
	}
	return slog.New(slog.NewTextHandler(io.Discard, nil))
}

func ctxT(t *testing.T) context.Context {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	t.Cleanup(cancel)
	return ctx
}

func must(t testing.TB, what string, err error) {
	t.Helper()
	if err != nil {
		t.Fatalf("%s: %v", what, err)
	}
}

var (
	catOnce sync.Once
	cat     *locales.Catalog
	catErr  error
)

func catalog(t testing.TB) *locales.Catalog {
	t.Helper()
	catOnce.Do(func() { cat, catErr = locales.Load() })
	must(t, "load locales", catErr)
	return cat
}

// world is a migrated store (with River's tables) holding the fixture
// organisation, every person linked to a Telegram chat, and a fake clock.
type world struct {
	driver string
	dsn    string
	st     *store.Store
	clock  *fakeClock
	camp   *campaign.Campaign
	people map[string]store.Person // by phone
	units  map[string]store.Unit   // by name
}

// Fixture phones (testdata/org.json).
const (
	phLeader1  = "+84910000001" // Thôn 1
	phDeputy1  = "+84910000002"
	phMember1  = "+84910000003"
	phLeader2  = "+84910000004" // Thôn 2
	phMember2  = "+84910000005"
	phPoliceGT = "+84910000006" // Xã Gia Tân
	phPoliceH  = "+84910000007" // Huyện Gia Lộc
	phPoliceT  = "+84910000008" // Tỉnh Hải Dương
	phLeaderK  = "+84910000009" // Khu dân cư số 3
	phMemberK  = "+84910000010"
	phPoliceTP = "+84910000011" // Phường Trần Phú
)

func newWorld(t *testing.T, driver string, start time.Time) *world {
	t.Helper()
	clock := &fakeClock{t: start}
	dsn := storetest.DSN(t, driver)
	st := storetest.Open(t, driver, dsn, store.WithClock(clock.Now))
	ctx := ctxT(t)
	must(t, "migrate", st.Migrate(ctx))
	must(t, "river tables", delivery.Migrate(ctx, st))
	b, err := os.ReadFile("testdata/org.json")
	must(t, "read org", err)
	var rows []store.ImportRow
	must(t, "parse org", json.Unmarshal(b, &rows))
	_, err = st.ApplyImport(ctx, rows)
	must(t, "import org", err)
	w := &world{driver: driver, dsn: dsn, st: st, clock: clock, camp: campaign.Default(), people: map[string]store.Person{}, units: map[string]store.Unit{}}
	for i, r := range rows {
		p, err := st.PersonByPhone(ctx, r.Phone)
		must(t, "person", err)
		w.people[r.Phone] = p
		_, err = st.LinkIdentity(ctx, p.ID, store.ChannelTelegram, fmt.Sprint(1000+i), fmt.Sprint(1000+i), "vi")
		must(t, "link", err)
	}
	for _, l := range []store.Level{store.LevelProvince, store.LevelDistrict, store.LevelCommune, store.LevelTeam} {
		us, err := st.LiveUnitsAtLevel(ctx, l)
		must(t, "units", err)
		for _, u := range us {
			w.units[u.Name] = u
		}
	}
	return w
}

func (w *world) id(phone string) int64 { return w.people[phone].ID }

// reopen returns a second connection pool on the world's database, as
// another replica has.
func (w *world) reopen(t *testing.T) *store.Store {
	t.Helper()
	return storetest.Open(t, w.driver, w.dsn, store.WithClock(w.clock.Now))
}

// report stores a submission made now by the person with that phone.
func (w *world) report(t *testing.T, phone, kind, status string) int64 {
	t.Helper()
	p := w.people[phone]
	now := w.clock.Now()
	sub := store.Submission{Kind: kind, Status: status, ReporterID: p.ID, TeamID: p.UnitID, OccurredAt: now,
		IdempotencyKey: fmt.Sprintf("%s-%s-%d", phone, kind, now.UnixNano())}
	_, err := w.st.CreateSubmission(context.Background(), &sub, "")
	must(t, "report", err)
	return sub.ID
}

// recorder collects the runs the schedulers committed.
type recorder struct {
	mu   sync.Mutex
	runs []Result
}

func (r *recorder) OnRun(res Result) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.runs = append(r.runs, res)
}

// sends returns every committed send of a job ("" for all), in order.
func (r *recorder) sends(job string) []Send {
	r.mu.Lock()
	defer r.mu.Unlock()
	var out []Send
	for _, res := range r.runs {
		if job == "" || res.Job == job {
			out = append(out, res.Sends...)
		}
	}
	return out
}

func (r *recorder) periods(job string) []string {
	r.mu.Lock()
	defer r.mu.Unlock()
	var out []string
	for _, res := range r.runs {
		if res.Job == job {
			out = append(out, res.Period.Key)
		}
	}
	return out
}

// fakeSummaries renders a recognisable stand-in for a scorecard.
type fakeSummaries struct {
	mu   sync.Mutex
	reqs []SummaryRequest
}

func (f *fakeSummaries) Summarize(_ context.Context, req SummaryRequest) (Summary, error) {
	f.mu.Lock()
	f.reqs = append(f.reqs, req)
	f.mu.Unlock()
	s := Summary{Text: fmt.Sprintf("SCORECARD %s unit=%d %s%s", req.Kind, req.UnitID, req.From.Format("2006-01"), req.PhaseID),
		Chart: []byte("png")}
	switch req.Kind {
	case SummaryPhaseWarning:
		s = Summary{Missing: []string{"⏳ target A", "❔ target B"}}
	case SummaryPhaseEnd:
		s.Workbook = []byte("xlsx")
	}
	return s, nil
}

// defaultSchedule is the built-in [schedule] section.
func defaultSchedule() config.Schedule { return config.Default().Schedule }

// newScheduler returns a scheduler on the world's store and clock.
func (w *world) newScheduler(t *testing.T, rec *recorder, opts ...func(*Deps, *Config)) *Scheduler {
	t.Helper()
	deps := Deps{Store: w.st, Campaign: w.camp, Text: catalog(t), Summaries: &fakeSummaries{}, Now: w.clock.Now, Log: testLogger()}
	if rec != nil {
		deps.OnRun = rec.OnRun
	}
	cfg := Config{Schedule: defaultSchedule(), Location: hcm, DefaultLang: "vi", Owner: "test"}
	for _, o := range opts {
		o(&deps, &cfg)
	}
	s, err := New(deps, cfg)
	must(t, "new scheduler", err)
	return s
}

// riverJobs counts the delivery jobs in River's table.
func riverJobs(t *testing.T, st *store.Store) int {
	t.Helper()
	var n int
	must(t, "count river jobs", st.DB().Raw("SELECT COUNT(*) FROM river_job").Scan(&n).Error)
	return n
}

// local formats a time in Asia/Ho_Chi_Minh for messages.
func local(t time.Time) string { return t.In(hcm).Format("2006-01-02 15:04") }

func contains(s, sub string) bool { return strings.Contains(s, sub) }
