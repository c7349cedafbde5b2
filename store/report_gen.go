package store

import (
	"context"
	"fmt"
	"strconv"
	"strings"
	"time"
)

// ProvinceSpec sizes an organisation and a report history generated for
// load tests, benchmarks and demos of a province-sized deployment.
type ProvinceSpec struct {
	// Name is the province's name; its code must not be taken yet.
	Name string
	// Districts may be 0: communes then sit directly under the province.
	Districts int
	Communes  int
	// Teams are spread evenly over the communes.
	Teams int
	// People are team members spread evenly over the teams: the first
	// Teams people lead a team, the next Teams are deputies. One commune
	// police officer per commune comes on top.
	People int
	// Reports are spread over the people and over [From, To).
	Reports  int
	From, To time.Time
	// Kinds are the report kinds with their weights (shares of Reports).
	Kinds []KindWeight
	// VerifiedPercent of the reports are verified, the rest split between
	// pending, received and rejected.
	VerifiedPercent int
	// ModelKind is the kind whose verified reports get a model name, and
	// half of them a recognition by the police.
	ModelKind string
	// Phases give each report its phase id by event time.
	Phases []PhaseSpan
	// Figures are entered for every commune and phase except every
	// MissingEvery-th commune (0: none missing), so some stay unmeasurable.
	Figures      []FigureGen
	MissingEvery int
	// IncidentsPerCommune security incidents and fire call-outs are logged
	// in each commune, two thirds of them with a confirmed presence.
	IncidentsPerCommune int
}

// KindWeight is a report kind and its weight among generated reports.
type KindWeight struct {
	Kind   string
	Weight int
}

// PhaseSpan is a campaign phase's id and bounds.
type PhaseSpan struct {
	ID string
	Span
}

// FigureGen is a police figure to generate: Base plus a spread of 0..Spread
// that varies by commune and phase.
type FigureGen struct {
	Figure       string
	Base, Spread int
}

// GeneratedProvince is what GenerateProvince created.
type GeneratedProvince struct {
	Province Unit
	// FirstCommune and FirstTeam are the ids of the first commune and team;
	// the others follow without gaps.
	FirstCommune, FirstTeam int64
	Communes, Teams         int
	People, Reports         int
}

// GenerateProvince creates a province-sized organisation and its report
// history with bulk INSERT … SELECT statements (generate_series on
// PostgreSQL, a recursive CTE on SQLite), in one transaction, then updates
// the planner statistics. Values are derived from the row numbers, so the
// same spec gives the same data. It is meant for an empty database: the
// generated ids are checked to be contiguous and it fails if they are not.
func (s *Store) GenerateProvince(ctx context.Context, spec ProvinceSpec) (GeneratedProvince, error) {
	switch {
	case spec.Name == "" || spec.Communes <= 0 || spec.Teams < spec.Communes || spec.People < spec.Teams || spec.Reports < 0:
		return GeneratedProvince{}, fmt.Errorf("store: generate province: want a name and 0 < communes <= teams <= people: %w", ErrInvalid)
	case spec.Reports > 0 && (!spec.To.After(spec.From) || len(spec.Kinds) == 0):
		return GeneratedProvince{}, fmt.Errorf("store: generate province: reports need a time range and kinds: %w", ErrInvalid)
	}
	g := generator{s: s, spec: spec, pg: s.driver == DriverPostgres}
	var out GeneratedProvince
	err := s.tx(ctx, func(tx *Store) error {
		g.s = tx
		var err error
		out, err = g.run(ctx)
		return err
	})
	if err != nil {
		return GeneratedProvince{}, err
	}
	// Statistics for the planner and, on PostgreSQL, the visibility map that
	// lets counts be answered from indexes alone: what autovacuum would do
	// in a while.
	analyze := "ANALYZE"
	if s.driver == DriverPostgres {
		analyze = "VACUUM ANALYZE"
	}
	if err := s.q(ctx).Exec(analyze).Error; err != nil {
		return GeneratedProvince{}, fmt.Errorf("store: generate province: %s: %w", strings.ToLower(analyze), err)
	}
	return out, nil
}

type generator struct {
	s    *Store
	spec ProvinceSpec
	pg   bool
	now  time.Time
}

// series returns a CTE "g(n)" of the numbers 1..n, to put after WITH
// RECURSIVE.
func (g generator) series(n int) string {
	if g.pg {
		return "g(n) AS (SELECT generate_series(1::bigint, " + strconv.Itoa(n) + "))"
	}
	return "g(n) AS (SELECT 1 UNION ALL SELECT n + 1 FROM g WHERE n < " + strconv.Itoa(n) + ")"
}

// at returns an SQL timestamp for the Unix time base + the SQL integer
// expression secs.
func (g generator) at(base time.Time, secs string) string {
	b := strconv.FormatInt(base.Unix(), 10)
	if g.pg {
		return "to_timestamp(" + b + " + (" + secs + "))"
	}
	// The format the SQLite driver writes times in, so they sort and compare
	// with the ones it writes.
	return "(datetime(" + b + " + (" + secs + "), 'unixepoch') || '+00:00')"
}

// hash is an SQL expression scrambling the integer expression x into
// 0..mod-1 (a multiplicative hash; plenty for spreading test data).
func hash(x string, salt, mod int) string {
	return "((((" + x + ") * 48271 + " + strconv.Itoa(salt) + ") % 2147483647) % " + strconv.Itoa(mod) + ")"
}

func (g *generator) exec(ctx context.Context, what, sql string, args ...any) (int64, error) {
	res := g.s.q(ctx).Exec(sql, args...)
	if res.Error != nil {
		return 0, fmt.Errorf("store: generate province: %s: %w", what, res.Error)
	}
	return res.RowsAffected, nil
}

// idRange returns the first id of the rows matching where and checks the
// ids are contiguous and n of them.
func (g *generator) idRange(ctx context.Context, table, where string, n int, args ...any) (int64, error) {
	var r struct {
		Lo, Hi *int64
		N      int64
	}
	if err := g.s.q(ctx).Raw("SELECT MIN(id) AS lo, MAX(id) AS hi, COUNT(*) AS n FROM "+table+" WHERE "+where, args...).Scan(&r).Error; err != nil {
		return 0, fmt.Errorf("store: generate province: ids of %s: %w", table, err)
	}
	if r.Lo == nil || r.N != int64(n) || *r.Hi-*r.Lo+1 != r.N {
		return 0, fmt.Errorf("store: generate province: %s ids are not contiguous (use an empty database): %w", table, ErrInvalid)
	}
	return *r.Lo, nil
}

func (g *generator) run(ctx context.Context) (GeneratedProvince, error) {
	sp := g.spec
	g.now = g.s.clock()
	code, err := g.s.freeCode(ctx, slug(sp.Name))
	if err != nil {
		return GeneratedProvince{}, err
	}
	if code != slug(sp.Name) {
		return GeneratedProvince{}, fmt.Errorf("store: generate province: code %q is taken: %w", slug(sp.Name), ErrInvalid)
	}
	prov := Unit{Level: LevelProvince, Name: nfc(sp.Name), Code: code}
	if err := g.s.q(ctx).Create(&prov).Error; err != nil {
		return GeneratedProvince{}, fmt.Errorf("store: generate province: %w", err)
	}
	now := g.now
	out := GeneratedProvince{Province: prov, Communes: sp.Communes, Teams: sp.Teams, People: sp.People}

	// Districts, then communes under them (round robin) or under the province.
	parentOfCommune := strconv.FormatInt(prov.ID, 10)
	if sp.Districts > 0 {
		if _, err := g.exec(ctx, "districts", "WITH RECURSIVE "+g.series(sp.Districts)+
			` INSERT INTO units (level, name, parent_id, code, created_at, updated_at)
			SELECT 'district', 'Huyện ' || n, ?, CAST(? AS TEXT) || '/huyen-' || n, ?, ? FROM g`, prov.ID, code, now, now); err != nil {
			return out, err
		}
		first, err := g.idRange(ctx, "units", "level = 'district' AND parent_id = ?", sp.Districts, prov.ID)
		if err != nil {
			return out, err
		}
		parentOfCommune = "(" + strconv.FormatInt(first, 10) + " + (n - 1) % " + strconv.Itoa(sp.Districts) + ")"
	}
	if _, err := g.exec(ctx, "communes", "WITH RECURSIVE "+g.series(sp.Communes)+
		` INSERT INTO units (level, name, parent_id, code, created_at, updated_at)
		SELECT 'commune', 'Xã ' || n, `+parentOfCommune+`, CAST(? AS TEXT) || '/xa-' || n, ?, ? FROM g`, code, now, now); err != nil {
		return out, err
	}
	if out.FirstCommune, err = g.idRange(ctx, "units", "level = 'commune' AND code LIKE ?", sp.Communes, code+"/%"); err != nil {
		return out, err
	}
	fc := strconv.FormatInt(out.FirstCommune, 10)
	communes := strconv.Itoa(sp.Communes)
	if _, err := g.exec(ctx, "teams", "WITH RECURSIVE "+g.series(sp.Teams)+
		` INSERT INTO units (level, name, parent_id, code, created_at, updated_at)
		SELECT 'team', 'Tổ ANTT thôn ' || n, `+fc+` + (n - 1) % `+communes+`, CAST(? AS TEXT) || '/thon-' || n, ?, ? FROM g`, code, now, now); err != nil {
		return out, err
	}
	if out.FirstTeam, err = g.idRange(ctx, "units", "level = 'team' AND code LIKE ?", sp.Teams, code+"/%"); err != nil {
		return out, err
	}
	ft := strconv.FormatInt(out.FirstTeam, 10)
	teams := strconv.Itoa(sp.Teams)

	// Members: the first Teams people lead a team, the next Teams are
	// deputies, everybody else is a member; then one officer per commune.
	if _, err := g.exec(ctx, "people", "WITH RECURSIVE "+g.series(sp.People)+
		` INSERT INTO people (name, phone, role, unit_id, locale, active, created_at, updated_at)
		SELECT 'Thành viên ' || n, '', CASE WHEN n <= `+teams+` THEN 'to_truong' WHEN n <= 2 * `+teams+` THEN 'to_pho' ELSE 'to_vien' END,
			`+ft+` + (n - 1) % `+teams+`, '', TRUE, ?, ? FROM g`, now, now); err != nil {
		return out, err
	}
	firstPerson, err := g.idRange(ctx, "people", "unit_id >= ? AND unit_id < ?", sp.People, out.FirstTeam, out.FirstTeam+int64(sp.Teams))
	if err != nil {
		return out, err
	}
	if _, err := g.exec(ctx, "police", "WITH RECURSIVE "+g.series(sp.Communes)+
		` INSERT INTO people (name, phone, role, unit_id, locale, active, created_at, updated_at)
		SELECT 'Công an xã ' || n, '', 'cong_an_xa', `+fc+` + n - 1, '', TRUE, ?, ? FROM g`, now, now); err != nil {
		return out, err
	}
	firstPolice, err := g.idRange(ctx, "people", "role = 'cong_an_xa' AND unit_id >= ? AND unit_id < ?", sp.Communes, out.FirstCommune, out.FirstCommune+int64(sp.Communes))
	if err != nil {
		return out, err
	}
	if sp.Reports > 0 {
		restore, err := g.bulkLoad(ctx)
		if err != nil {
			return out, err
		}
		if err := g.reports(ctx, code, firstPerson, firstPolice, out); err != nil {
			return out, err
		}
		if err := restore(); err != nil {
			return out, err
		}
		out.Reports = sp.Reports
	}
	if err := g.figures(ctx, out, firstPolice); err != nil {
		return out, err
	}
	if err := g.incidents(ctx, out, firstPerson, firstPolice); err != nil {
		return out, err
	}
	return out, nil
}

// bulkLoad prepares PostgreSQL for inserting many reports into an empty
// table: the secondary indexes of submissions are dropped and rebuilt once
// at the end (much faster than updating a dozen indexes row by row), and,
// when the user may, foreign-key triggers are skipped for this transaction
// (the generated ids were checked above). The returned function rebuilds
// the indexes. Elsewhere it does nothing.
func (g *generator) bulkLoad(ctx context.Context) (restore func() error, err error) {
	noop := func() error { return nil }
	if !g.pg {
		return noop, nil
	}
	var n int64
	if err := g.s.q(ctx).Raw("SELECT COUNT(*) FROM (SELECT 1 FROM submissions LIMIT 1) x").Scan(&n).Error; err != nil {
		return nil, fmt.Errorf("store: generate province: %w", err)
	}
	if n > 0 {
		return noop, nil
	}
	var super bool
	if err := g.s.q(ctx).Raw("SELECT rolsuper FROM pg_roles WHERE rolname = current_user").Scan(&super).Error; err != nil {
		return nil, fmt.Errorf("store: generate province: %w", err)
	}
	if super {
		if _, err := g.exec(ctx, "skip triggers", "SET LOCAL session_replication_role = replica"); err != nil {
			return nil, err
		}
	}
	var idx []struct {
		Indexname string
		Indexdef  string
	}
	err = g.s.q(ctx).Raw(`SELECT indexname, indexdef FROM pg_indexes WHERE schemaname = current_schema() AND tablename = 'submissions'
		AND indexname NOT IN (SELECT conname FROM pg_constraint WHERE conrelid = 'submissions'::regclass)`).Scan(&idx).Error
	if err != nil {
		return nil, fmt.Errorf("store: generate province: list indexes: %w", err)
	}
	for _, i := range idx {
		if _, err := g.exec(ctx, "drop index", `DROP INDEX "`+i.Indexname+`"`); err != nil {
			return nil, err
		}
	}
	return func() error {
		if _, err := g.exec(ctx, "index memory", "SET LOCAL maintenance_work_mem = '256MB'"); err != nil {
			return err
		}
		for _, i := range idx {
			if _, err := g.exec(ctx, "rebuild index "+i.Indexname, i.Indexdef); err != nil {
				return err
			}
		}
		return nil
	}, nil
}

// reports inserts the report history: report n is made by person
// hash(n) at a time hash(n) into the range, of a kind and status by weight.
func (g *generator) reports(ctx context.Context, code string, firstPerson, firstPolice int64, out GeneratedProvince) error {
	sp := g.spec
	teams, communes := strconv.Itoa(sp.Teams), strconv.Itoa(sp.Communes)
	person := hash("n", 11, sp.People) // 0-based person index
	// A person's team index is (person % teams), as the people insert set
	// it, and team i is in commune i % communes.
	team := "(" + person + " % " + teams + ")"
	commune := "(" + team + " % " + communes + ")"
	secs := int(sp.To.Sub(sp.From) / time.Second)
	total := 0
	for _, k := range sp.Kinds {
		total += k.Weight
	}
	jsonCast := ""
	if g.pg {
		jsonCast = "::jsonb"
	}
	id := func(v int64) string { return strconv.FormatInt(v, 10) }

	q := g.s.builder()
	q.add("WITH RECURSIVE " + g.series(sp.Reports) + ", r AS (SELECT n, ")
	q.add(id(firstPerson) + " + " + person + " AS reporter_id, ")
	q.add(id(out.FirstTeam) + " + " + team + " AS team_id, ")
	q.add(id(out.FirstCommune) + " + " + commune + " AS commune_id, ")
	q.add(id(firstPolice) + " + " + commune + " AS police_id, ")
	q.add(g.at(sp.From, hash("n", 23, secs)) + " AS at, CASE")
	acc := 0
	for _, k := range sp.Kinds {
		acc += k.Weight
		q.add(" WHEN "+hash("n", 37, total)+" < "+strconv.Itoa(acc)+" THEN CAST(? AS TEXT)", k.Kind)
	}
	v, h := strconv.Itoa(sp.VerifiedPercent), hash("n", 53, 100)
	q.add(" END AS kind, CASE WHEN " + h + " < " + v + " THEN 'verified' WHEN " + h + " < (" + v + " + 100) / 2 THEN 'pending' WHEN " +
		h + " < (" + v + " + 300) / 4 THEN 'received' ELSE 'rejected' END AS status FROM g)")
	q.add(` INSERT INTO submissions (kind, status, answers, attachments, occurred_at, reporter_id, team_id, commune_id, phase_id, urgent,
		idempotency_key, verified_by_id, verified_at, recognised_at, recognised_by_id, recognised_key, created_at, updated_at)
	SELECT kind, status, `)
	// Models get one of 7 names per commune, so recognitions can be counted.
	q.add("CASE WHEN kind = ? THEN ('{\"model_name\":\"Mô hình ' || (n % 7) || '\"}')"+jsonCast+" ELSE '{}'"+jsonCast+" END, '[]', at, reporter_id, team_id, commune_id, ", sp.ModelKind)
	q.add("CASE")
	for _, p := range sp.Phases {
		q.add(" WHEN at >= ? AND at < ? THEN CAST(? AS TEXT)", utc(p.From), utc(p.To), p.ID)
	}
	q.add(" ELSE '' END, FALSE, CAST(? AS TEXT) || n, ", "gen-"+code+"-")
	q.add("CASE WHEN status IN ('verified', 'rejected') THEN police_id END, CASE WHEN status IN ('verified', 'rejected') THEN at END, ")
	recognised := "kind = ? AND status = 'verified' AND n % 2 = 0"
	q.add("CASE WHEN "+recognised+" THEN at END, ", sp.ModelKind)
	q.add("CASE WHEN "+recognised+" THEN police_id END, ", sp.ModelKind)
	q.add("CASE WHEN "+recognised+" THEN 'mo-hinh-' || (n % 7) END, at, at FROM r", sp.ModelKind)
	_, err := g.exec(ctx, "reports", q.String(), q.args...)
	return err
}

// figures enters every figure for every commune and phase, except for the
// communes skipped by MissingEvery.
func (g *generator) figures(ctx context.Context, out GeneratedProvince, firstPolice int64) error {
	sp := g.spec
	for pi, p := range sp.Phases {
		for fi, f := range sp.Figures {
			skip := "FALSE"
			if sp.MissingEvery > 0 {
				skip = "n % " + strconv.Itoa(sp.MissingEvery) + " = 0"
			}
			value := strconv.Itoa(f.Base) + " + " + hash("n", 71+7*fi+pi, f.Spread+1)
			if _, err := g.exec(ctx, "figure "+f.Figure, "WITH RECURSIVE "+g.series(sp.Communes)+
				` INSERT INTO police_figures (unit_id, figure, period_start, period_end, value, entered_by_id, created_at, updated_at)
				SELECT ? + n - 1, CAST(? AS TEXT), ?, ?, `+value+`, ? + n - 1, ?, ? FROM g WHERE NOT (`+skip+`)`,
				out.FirstCommune, f.Figure, utc(p.From), utc(p.To), firstPolice, g.now, g.now); err != nil {
				return err
			}
		}
	}
	return nil
}

// incidents logs IncidentsPerCommune incidents per commune, alternating
// security incidents and fire call-outs, and confirms a presence at two
// thirds of them.
func (g *generator) incidents(ctx context.Context, out GeneratedProvince, firstPerson, firstPolice int64) error {
	sp := g.spec
	if sp.IncidentsPerCommune <= 0 || !sp.To.After(sp.From) {
		return nil
	}
	n := sp.Communes * sp.IncidentsPerCommune
	communes := strconv.Itoa(sp.Communes)
	secs := int(sp.To.Sub(sp.From) / time.Second)
	if _, err := g.exec(ctx, "incidents", "WITH RECURSIVE "+g.series(n)+
		` INSERT INTO incidents (commune_id, kind, occurred_at, place, description, serious, logged_by_id, created_at)
		SELECT ? + (n - 1) % `+communes+`, CASE WHEN n % 2 = 0 THEN 'fire' ELSE 'antt' END, `+g.at(sp.From, hash("n", 97, secs))+`,
			'', '', FALSE, ? + (n - 1) % `+communes+`, ? FROM g`, out.FirstCommune, firstPolice, g.now); err != nil {
		return err
	}
	firstIncident, err := g.idRange(ctx, "incidents", "commune_id >= ? AND commune_id < ?", n, out.FirstCommune, out.FirstCommune+int64(sp.Communes))
	if err != nil {
		return err
	}
	// The present member is the team leader of the commune's first team
	// (people 0..Teams-1 lead team i, and team i is in commune i % communes).
	_, err = g.exec(ctx, "presence", "WITH RECURSIVE "+g.series(n)+
		` INSERT INTO incident_presence (incident_id, person_id, arrived_at, source, confirmed_by_id, created_at)
		SELECT ? + n - 1, ? + (n - 1) % `+communes+`, NULL, 'police', ? + (n - 1) % `+communes+`, ? FROM g WHERE n % 3 <> 0`,
		firstIncident, firstPerson, firstPolice, g.now)
	return err
}
