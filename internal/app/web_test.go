package app

import (
	"archive/zip"
	"bytes"
	"context"
	"fmt"
	"io"
	"net/http"
	"net/http/cookiejar"
	"net/url"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/anttbot/anttbot/campaign"
	"github.com/anttbot/anttbot/store"
	"github.com/anttbot/anttbot/tips"
)

// webEnv is the whole service on the demo organisation, with helpers to sign
// people in to the console and read its pages.
type webEnv struct {
	t    *testing.T
	a    *App
	base string
	ctx  context.Context
}

func newWebEnv(t *testing.T) *webEnv {
	t.Helper()
	a, base := startApp(t, sqliteConfig(t), WithDemo())
	if a.Web == nil {
		t.Fatal("the console is not built on the embedded defaults")
	}
	return &webEnv{t: t, a: a, base: base, ctx: context.Background()}
}

// client is a browser without JavaScript: a cookie jar and no redirects
// followed, so each test sees every answer.
type client struct {
	e    *webEnv
	http *http.Client
	csrf string
}

func (e *webEnv) anonymous() *client {
	jar, _ := cookiejar.New(nil)
	return &client{e: e, http: &http.Client{Jar: jar, Timeout: 30 * time.Second,
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}}
}

// signIn opens a session for p through a one-time link, as the chat sends it.
func (e *webEnv) signIn(p store.Person) *client {
	e.t.Helper()
	c := e.anonymous()
	link, err := e.a.Web.SignInURL(e.ctx, p)
	if err != nil {
		e.t.Fatal(err)
	}
	res := c.get(link)
	if res.status != http.StatusSeeOther || res.location != "/web/" {
		e.t.Fatalf("sign-in link for %s: %d → %q", p.Name, res.status, res.location)
	}
	home := c.get(e.base + "/web/")
	if home.status != http.StatusOK {
		e.t.Fatalf("dashboard after sign-in of %s: %d\n%s", p.Name, home.status, home.body)
	}
	return c
}

type answer struct {
	status   int
	location string
	body     string
	header   http.Header
}

var csrfRE = regexp.MustCompile(`name="csrf" value="([^"]+)"`)

func (c *client) do(req *http.Request) answer {
	c.e.t.Helper()
	res, err := c.http.Do(req)
	if err != nil {
		c.e.t.Fatal(err)
	}
	defer res.Body.Close()
	b, _ := io.ReadAll(res.Body)
	a := answer{status: res.StatusCode, location: res.Header.Get("Location"), body: string(b), header: res.Header}
	if m := csrfRE.FindStringSubmatch(a.body); m != nil {
		c.csrf = m[1]
	}
	return a
}

func (c *client) get(u string) answer {
	if strings.HasPrefix(u, "/") {
		u = c.e.base + u
	}
	req, _ := http.NewRequest(http.MethodGet, u, nil)
	return c.do(req)
}

// post sends a form; csrf "" sends the token the last page carried.
func (c *client) post(path string, form url.Values) answer {
	if _, ok := form["csrf"]; !ok {
		form.Set("csrf", c.csrf)
	}
	req, _ := http.NewRequest(http.MethodPost, c.e.base+path, strings.NewReader(form.Encode()))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	return c.do(req)
}

// person returns a demo person by role and team index (-1: not in a team).
func (e *webEnv) person(role store.Role, team int) store.Person {
	for _, p := range e.a.Demo.People {
		if p.Role == role && (team < 0 || p.UnitID == e.a.Demo.Teams[team].ID) {
			return p
		}
	}
	e.t.Fatalf("no demo %s", role)
	return store.Person{}
}

// addPerson adds an official to the demo organisation.
func (e *webEnv) addPerson(name, phone string, role store.Role, unitID int64) store.Person {
	p := store.Person{Name: name, Phone: phone, Role: role, UnitID: unitID, Active: true}
	if err := e.a.Store.CreatePerson(e.ctx, &p); err != nil {
		e.t.Fatal(err)
	}
	return p
}

const tipText = "Có người lạ chở hàng cấm vào kho sau chợ lúc nửa đêm"

// tip stores a tip by the member, as the report flow does (with its push).
func (e *webEnv) tip(reporter store.Person, key string) store.Submission {
	e.t.Helper()
	sub := &store.Submission{Kind: "tip", Answers: store.JSONMap{"what": tipText, "where": "Kho sau chợ"},
		OccurredAt: e.a.Now(), ReporterID: reporter.ID, TeamID: reporter.UnitID, IdempotencyKey: "webtest:" + key}
	created, err := e.a.Tips.CreateSubmission(e.ctx, sub, "Nguồn: người bán hàng ở chợ")
	if err != nil || !created {
		e.t.Fatalf("create tip: created=%v err=%v", created, err)
	}
	return *sub
}

func (e *webEnv) goodDeed(reporter store.Person, key string) store.Submission {
	e.t.Helper()
	sub := &store.Submission{Kind: "good_deed", Answers: store.JSONMap{"what": "Giúp cụ bà sửa mái nhà", "helped": "Cụ Tư"},
		OccurredAt: e.a.Now(), ReporterID: reporter.ID, TeamID: reporter.UnitID, IdempotencyKey: "webtest:" + key}
	if _, err := e.a.Store.CreateSubmission(e.ctx, sub, ""); err != nil {
		e.t.Fatal(err)
	}
	return *sub
}

func (e *webEnv) status(id int64) string {
	sub, err := e.a.Store.SubmissionByID(e.ctx, id)
	if err != nil {
		e.t.Fatal(err)
	}
	return sub.Status
}

// TestWebRoutesByRole opens every console route as each role, in and out of
// scope, and checks who gets the page and who the Vietnamese 403.
func TestWebRoutesByRole(t *testing.T) {
	e := newWebEnv(t)
	member := e.person(store.RoleMember, 0)
	tip := e.tip(member, "routes")
	police := e.signIn(e.person(store.RoleCommunePolice, -1))
	leader := e.signIn(e.person(store.RoleLeader, 0))
	province := e.signIn(e.addPerson("Thiếu tá Lê Tỉnh", "+84900000091", store.RoleProvincePolice, e.a.Demo.Province.ID))
	otherTeam := strconv.FormatInt(e.a.Demo.Teams[1].ID, 10)
	tipURL := "/web/tips/" + strconv.FormatInt(tip.ID, 10)

	tests := []struct {
		name string
		c    *client
		path string
		want int
	}{
		{"police dashboard", police, "/web/", 200},
		{"police dashboard of a team", police, "/web/?unit=" + otherTeam, 200},
		{"police chart", police, "/web/chart.png", 200},
		{"police workbook", police, "/web/export.xlsx?period=ca", 200},
		{"police tip inbox", police, "/web/tips", 200},
		{"police tip inbox filtered", police, "/web/tips?state=open&age=7d", 200},
		{"police tip", police, tipURL, 200},
		{"police unknown tip", police, "/web/tips/999999", 404},
		{"police verification", police, "/web/verify", 200},
		{"police members", police, "/web/members", 200},
		{"police incidents", police, "/web/incidents", 200},
		{"police figures", police, "/web/figures", 200},
		{"police figures of phase 1", police, "/web/figures?phase=dot1", 200},
		{"police figures of no phase", police, "/web/figures?phase=dot9", 404},
		{"leader figures", leader, "/web/figures", 403},
		{"province figures (read only)", province, "/web/figures", 403},
		{"leader incidents", leader, "/web/incidents", 403},
		{"province incidents (read only)", province, "/web/incidents", 403},
		{"police bad period", police, "/web/?period=nonsense", 404},
		{"police unknown page", police, "/web/nothing-here", 404},
		{"leader dashboard", leader, "/web/", 200},
		{"leader workbook", leader, "/web/export.xlsx", 200},
		{"leader other team", leader, "/web/?unit=" + otherTeam, 403},
		{"leader commune", leader, "/web/?unit=" + strconv.FormatInt(e.a.Demo.Commune.ID, 10), 403},
		{"leader tip inbox", leader, "/web/tips", 403},
		{"leader tip by id", leader, tipURL, 403},
		{"leader verification", leader, "/web/verify", 200},
		{"leader members", leader, "/web/members", 200},
		{"leader members of the other team", leader, "/web/members?unit=" + otherTeam, 403},
		{"province dashboard", province, "/web/", 200},
		{"province commune drill-down", province, "/web/?unit=" + strconv.FormatInt(e.a.Demo.Commune.ID, 10), 200},
		{"province tip (read only)", province, tipURL, 200},
		{"province verification", province, "/web/verify", 403},
		{"province members", province, "/web/members", 200},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			res := tt.c.get(tt.path)
			if res.status != tt.want {
				t.Fatalf("GET %s: %d, want %d\n%s", tt.path, res.status, tt.want, res.body)
			}
			if csp := res.header.Get("Content-Security-Policy"); !strings.Contains(csp, "default-src 'none'") {
				t.Errorf("CSP = %q", csp)
			}
			if tt.want != 200 {
				if !strings.Contains(res.body, `data-status="`+strconv.Itoa(tt.want)+`"`) || !strings.Contains(res.body, "lang=\"vi\"") {
					t.Errorf("no Vietnamese status page:\n%s", res.body)
				}
			}
			leaked := strings.Contains(res.body, tipText) || (strings.HasPrefix(tt.path, "/web/tips") && strings.Contains(res.body, member.Name))
			if tt.c != police && tt.c != province && leaked {
				t.Errorf("tip content or reporter leaked to a leader:\n%s", res.body)
			}
			if tt.c == province && tt.path == tipURL && strings.Contains(res.body, `data-testid="act-`) {
				t.Error("province police are offered actions on a tip")
			}
		})
	}

	// Nobody signed in: every route sends to the sign-in page.
	anon := e.anonymous()
	for _, path := range []string{"/web/", "/web/tips", tipURL, "/web/verify", "/web/members", "/web/export.xlsx", "/web/chart.png"} {
		if res := anon.get(path); res.status != http.StatusSeeOther || !strings.HasPrefix(res.location, "/web/login") {
			t.Errorf("anonymous GET %s: %d → %q", path, res.status, res.location)
		}
	}
	// A leader's workbook lists no tip.
	res := leader.get("/web/export.xlsx?period=ca")
	if text := xlsxText(t, res.body); strings.Contains(text, tipText) || strings.Contains(text, "Nguồn: người bán") {
		t.Error("a leader's workbook carries a tip")
	}
	if text := xlsxText(t, police.get("/web/export.xlsx?period=ca").body); !strings.Contains(text, e.a.Demo.Commune.Name) {
		t.Error("the police workbook does not name the commune")
	}
}

// xlsxText is every XML part of a workbook, concatenated.
func xlsxText(t *testing.T, data string) string {
	t.Helper()
	zr, err := zip.NewReader(bytes.NewReader([]byte(data)), int64(len(data)))
	if err != nil {
		t.Fatalf("not a workbook: %v", err)
	}
	var b strings.Builder
	for _, f := range zr.File {
		rc, err := f.Open()
		if err != nil {
			t.Fatal(err)
		}
		_, _ = io.Copy(&b, rc)
		rc.Close()
	}
	return b.String()
}

// TestWebTipActions handles a tip on the web: the status changes through
// the chat's own code, the reporter is told, a second officer is told who
// was first, and a missing or forged CSRF token changes nothing.
func TestWebTipActions(t *testing.T) {
	e := newWebEnv(t)
	member := e.person(store.RoleMember, 0)
	officer := e.person(store.RoleCommunePolice, -1)
	second := e.addPerson("Trung úy Ngô Văn Hai", "+84900000092", store.RoleCommunePolice, e.a.Demo.Commune.ID)
	tip := e.tip(member, "act")
	path := "/web/tips/" + strconv.FormatInt(tip.ID, 10)
	c := e.signIn(officer)
	page := c.get(path)
	if page.status != 200 || !strings.Contains(page.body, tipText) || !strings.Contains(page.body, "Nguồn: người bán hàng") {
		t.Fatalf("tip page: %d\n%s", page.status, page.body)
	}
	audited := func() int {
		es, err := e.a.Store.AuditEntries(e.ctx, "submission", strconv.FormatInt(tip.ID, 10))
		if err != nil {
			t.Fatal(err)
		}
		n := 0
		for _, x := range es {
			if x.Action == "tip.read_source" && x.ActorID != nil && *x.ActorID == officer.ID {
				n++
			}
		}
		return n
	}
	if audited() != 1 {
		t.Errorf("opening a tip is audited %d times, want 1", audited())
	}

	// Missing and forged tokens.
	for name, token := range map[string]string{"missing": "", "forged": "x" + c.csrf[1:]} {
		form := url.Values{"action": {tips.ActReceive}}
		if token != "" {
			form.Set("csrf", token)
		} else {
			form["csrf"] = []string{""}
		}
		if res := c.post(path, form); res.status != http.StatusForbidden {
			t.Errorf("%s CSRF token: %d, want 403", name, res.status)
		}
	}
	if st := e.status(tip.ID); st != store.StatusPending {
		t.Fatalf("a refused request changed the tip: %s", st)
	}

	c.get(path)
	res := c.post(path, url.Values{"action": {tips.ActReceive}})
	if res.status != http.StatusSeeOther {
		t.Fatalf("receive: %d\n%s", res.status, res.body)
	}
	if st := e.status(tip.ID); st != store.StatusReceived {
		t.Fatalf("after receive: %s", st)
	}
	after := c.get(path)
	if !strings.Contains(after.body, `data-testid="flash"`) {
		t.Errorf("no result shown after the action:\n%s", after.body)
	}
	// The reporter's notice is queued, once, as from the chat.
	if jobs := queuedJobs(t, e, fmt.Sprintf("tip:%d:reporter:%s", tip.ID, store.StatusReceived)); jobs != 1 {
		t.Errorf("reporter notices queued: %d, want 1", jobs)
	}

	// The second officer verifies; the first, acting again, is told who was first.
	if r, err := e.a.Tips.Act(e.ctx, second, "vi", tip.ID, tips.ActVerify, ""); err != nil || len(r.Messages) == 0 {
		t.Fatalf("second officer: %v %+v", err, r)
	}
	c.get(path)
	c.post(path, url.Values{"action": {tips.ActReject}, "text": {"Không đúng"}})
	if got := c.get(path).body; !strings.Contains(got, second.Name) {
		t.Errorf("the officer who came second is not told who was first:\n%s", got)
	}
	if st := e.status(tip.ID); st != store.StatusVerified {
		t.Errorf("first verifier did not win: %s", st)
	}

	// Ask for more: the question goes to the reporter.
	c.get(path)
	c.post(path, url.Values{"action": {tips.ActAsk}, "text": {"Xe biển số gì?"}})
	qs, err := e.a.Store.TipQuestions(e.ctx, tip.ID)
	if err != nil || len(qs) != 1 || qs[0].Question != "Xe biển số gì?" {
		t.Errorf("question stored: %v %+v", err, qs)
	}
}

// queuedJobs counts the delivery jobs queued under a dedupe key.
func queuedJobs(t *testing.T, e *webEnv, dedupe string) int {
	t.Helper()
	var n int64
	// SQLite keeps River's arguments as binary JSON: look for the key's text.
	err := e.a.Store.DB().Raw("SELECT COUNT(*) FROM river_job WHERE instr(args, CAST(? AS BLOB)) > 0", dedupe).Scan(&n).Error
	if err != nil {
		t.Fatalf("count queued jobs: %v", err)
	}
	return int(n)
}

// TestWebVerifyBulk verifies two good deeds at once and refuses one with a
// reason, each through the chat's own functions.
func TestWebVerifyBulk(t *testing.T) {
	e := newWebEnv(t)
	m1, m2 := e.person(store.RoleMember, 0), e.person(store.RoleMember, 1)
	a, b, c := e.goodDeed(m1, "a"), e.goodDeed(m2, "b"), e.goodDeed(m1, "c")
	police := e.signIn(e.person(store.RoleCommunePolice, -1))
	if page := police.get("/web/verify"); !strings.Contains(page.body, fmt.Sprintf(`data-id="%d"`, a.ID)) {
		t.Fatalf("queue misses #%d:\n%s", a.ID, page.body)
	}
	form := url.Values{"action": {"verify"}, "id": {strconv.FormatInt(a.ID, 10), strconv.FormatInt(b.ID, 10)}}
	if res := police.post("/web/verify", form); res.status != http.StatusSeeOther {
		t.Fatalf("bulk verify: %d", res.status)
	}
	police.get("/web/verify")
	police.post("/web/verify", url.Values{"action": {"reject"}, "id": {strconv.FormatInt(c.ID, 10)}, "reason": {"Trùng báo cáo"}})
	for id, want := range map[int64]string{a.ID: store.StatusVerified, b.ID: store.StatusVerified, c.ID: store.StatusRejected} {
		if got := e.status(id); got != want {
			t.Errorf("#%d: %s, want %s", id, got, want)
		}
	}
	sub, _ := e.a.Store.SubmissionByID(e.ctx, c.ID)
	if sub.RejectReason != "Trùng báo cáo" {
		t.Errorf("reason = %q", sub.RejectReason)
	}
	// A leader cannot verify another team's report: told, nothing changes.
	d := e.goodDeed(m2, "d")
	leader := e.signIn(e.person(store.RoleLeader, 0))
	leader.get("/web/verify")
	leader.post("/web/verify", url.Values{"action": {"verify"}, "id": {strconv.FormatInt(d.ID, 10)}})
	if got := e.status(d.ID); got != store.StatusPending {
		t.Errorf("a leader verified another team's report: %s", got)
	}
	// Invite codes from the members page.
	police.get("/web/members")
	res := police.post("/web/members/invite", url.Values{"team": {strconv.FormatInt(e.a.Demo.Teams[0].ID, 10)}, "role": {string(store.RoleMember)}})
	if res.status != http.StatusSeeOther || !strings.Contains(police.get("/web/members").body, "/start") {
		t.Errorf("invite: %d", res.status)
	}
}

// TestWebSignInSecurity: a link works once and only in time; a member has
// no console; the phone form answers the same for anybody and is rate
// limited; a session ends when its person's role changes.
func TestWebSignInSecurity(t *testing.T) {
	e := newWebEnv(t)
	officer := e.person(store.RoleCommunePolice, -1)
	link, err := e.a.Web.SignInURL(e.ctx, officer)
	if err != nil {
		t.Fatal(err)
	}
	c := e.anonymous()
	if res := c.get(link); res.status != http.StatusSeeOther || res.location != "/web/" {
		t.Fatalf("first use: %d %q", res.status, res.location)
	}
	var sessionCookie *http.Cookie
	for _, ck := range c.http.Jar.Cookies(mustURL(t, e.base+"/web/")) {
		if ck.Name == "anttbot_session" {
			sessionCookie = ck
		}
	}
	if sessionCookie == nil {
		t.Fatal("no session cookie")
	}
	if res := e.anonymous().get(link); res.status != http.StatusSeeOther || res.location != "/web/login?n=used" {
		t.Errorf("second use: %d %q", res.status, res.location)
	}
	token, err := e.a.Store.CreateWebLoginToken(e.ctx, officer.ID, e.a.Now().Add(-time.Second))
	if err != nil {
		t.Fatal(err)
	}
	if res := e.anonymous().get("/web/login/" + token); res.location != "/web/login?n=expired" {
		t.Errorf("expired link: %d %q", res.status, res.location)
	}
	if res := e.anonymous().get("/web/login/not-a-token"); res.location != "/web/login?n=unknown" {
		t.Errorf("unknown link: %d %q", res.status, res.location)
	}
	member := e.person(store.RoleMember, 0)
	mlink, _ := e.a.Web.SignInURL(e.ctx, member)
	if res := e.anonymous().get(mlink); res.location != "/web/login?n=no_console" {
		t.Errorf("member link: %d %q", res.status, res.location)
	}

	// Cookie attributes.
	raw := e.anonymous()
	link2, _ := e.a.Web.SignInURL(e.ctx, officer)
	res := raw.get(link2)
	sc := res.header.Get("Set-Cookie")
	if !strings.Contains(sc, "HttpOnly") || !strings.Contains(sc, "SameSite=Lax") || strings.Contains(sc, "Secure") {
		t.Errorf("session cookie on http = %q", sc)
	}

	// The phone form: same answer for a stranger and an official, then rate limited.
	f := e.anonymous()
	f.get("/web/login")
	for i, num := range []string{"0900000001", "0999999999", "0900000001", "0900000001", "0900000001"} {
		res := f.post("/web/login", url.Values{"phone": {num}})
		if res.status != http.StatusSeeOther || res.location != "/web/login?n=sent" {
			t.Fatalf("request %d (%s): %d %q", i, num, res.status, res.location)
		}
	}
	if res := f.post("/web/login", url.Values{"phone": {"0900000001"}}); res.status != http.StatusTooManyRequests {
		t.Errorf("sixth request for one number: %d, want 429", res.status)
	}
	if res := e.anonymous().post("/web/login", url.Values{"phone": {"0900000001"}, "csrf": {"forged"}}); res.status != http.StatusForbidden {
		t.Errorf("sign-in form without its CSRF cookie: %d, want 403", res.status)
	}

	// Role change ends the session at once.
	if res := c.get("/web/"); res.status != 200 {
		t.Fatalf("signed in: %d", res.status)
	}
	if err := e.a.Store.DB().Model(&store.Person{}).Where("id = ?", officer.ID).Update("role", store.RoleDistrictPolice).Error; err != nil {
		t.Fatal(err)
	}
	if res := c.get("/web/"); res.status != http.StatusSeeOther || res.location != "/web/login?n=ended" {
		t.Errorf("after a role change: %d %q", res.status, res.location)
	}
	if _, err := e.a.Store.WebSessionByID(e.ctx, sessionCookie.Value); err == nil {
		t.Error("the session survived its person's role change")
	}
}

// TestWebIncident logs an incident from the console through /sukien's own
// code: stored once even when the form is posted twice, the commune's members
// asked whether they were there; a bad form changes nothing.
func TestWebIncident(t *testing.T) {
	e := newWebEnv(t)
	police := e.signIn(e.person(store.RoleCommunePolice, -1))
	count := func() int {
		ins, err := e.a.Store.IncidentsOf(e.ctx, e.a.Demo.Commune.ID, 100)
		if err != nil {
			t.Fatal(err)
		}
		return len(ins)
	}
	before := count()
	page := police.get("/web/incidents")
	nonce := regexp.MustCompile(`name="nonce" value="([^"]+)"`).FindStringSubmatch(page.body)
	if page.status != 200 || nonce == nil {
		t.Fatalf("incidents page: %d", page.status)
	}
	today := e.a.Now().In(e.a.Config.Location()).Format("2006-01-02")
	bad := url.Values{"nonce": {nonce[1]}, "kind": {"fire"}, "date": {today}, "place": {""}}
	police.post("/web/incidents", bad)
	if got := police.get("/web/incidents").body; !strings.Contains(got, "Bạn nhập địa điểm") || count() != before {
		t.Fatalf("an incident without a place: %d incidents (was %d)", count(), before)
	}
	form := url.Values{"nonce": {nonce[1]}, "kind": {"fire"}, "date": {today}, "time": {"06:30"}, "place": {"Kho rơm nhà ông Tám"}}
	for range 2 {
		police.get("/web/incidents")
		if res := police.post("/web/incidents", form); res.status != http.StatusSeeOther {
			t.Fatalf("log incident: %d", res.status)
		}
	}
	if count() != before+1 {
		t.Fatalf("incidents after two posts of one form: %d, want %d", count(), before+1)
	}
	ins, _ := e.a.Store.IncidentsOf(e.ctx, e.a.Demo.Commune.ID, 1)
	member := e.person(store.RoleMember, 0)
	if n := queuedJobs(t, e, fmt.Sprintf("police:presence:ask:%d:%d", ins[0].ID, member.ID)); n != 1 {
		t.Errorf("presence questions to a member: %d, want 1", n)
	}
	if got := police.get("/web/incidents").body; !strings.Contains(got, "Kho rơm nhà ông Tám") {
		t.Error("the incident is not listed")
	}
}

// TestWebFigures saves a phase's figures from the console through /solieu's
// own code; a bad value saves nothing.
func TestWebFigures(t *testing.T) {
	e := newWebEnv(t)
	police := e.signIn(e.person(store.RoleCommunePolice, -1))
	fig := "f." + campaign.FigureTipsReceivedTotal
	value := func() (float64, bool) {
		p1, _ := e.a.Campaign.Phase("dot1")
		from, to := p1.Bounds(e.a.Config.Location())
		es, err := e.a.Store.PoliceFigureEntries(e.ctx, []int64{e.a.Demo.Commune.ID}, []string{campaign.FigureTipsReceivedTotal}, from, to)
		if err != nil {
			t.Fatal(err)
		}
		for _, x := range es {
			if x.PeriodStart.Equal(from) && x.PeriodEnd.Equal(to) {
				return x.Value, true
			}
		}
		return 0, false
	}
	before, _ := value()
	if page := police.get("/web/figures?phase=dot1"); page.status != 200 || !strings.Contains(page.body, `name="`+fig+`"`) {
		t.Fatalf("figures page: %d", page.status)
	}
	police.post("/web/figures?phase=dot1", url.Values{fig: {"-3"}})
	if got, _ := value(); got != before {
		t.Errorf("a negative figure was saved: %v", got)
	}
	police.get("/web/figures?phase=dot1")
	if res := police.post("/web/figures?phase=dot1", url.Values{fig: {strconv.Itoa(int(before) + 7)}}); res.status != http.StatusSeeOther {
		t.Fatalf("save: %d", res.status)
	}
	if got, ok := value(); !ok || got != before+7 {
		t.Errorf("figure after save = %v (%v), want %v", got, ok, before+7)
	}
	if body := police.get("/web/figures?phase=dot1").body; !strings.Contains(body, `data-testid="flash"`) {
		t.Error("no result shown after saving")
	}
}

// TestWebSessionIdle: a session unused for web.session_idle ends.
func TestWebSessionIdle(t *testing.T) {
	e := newWebEnv(t)
	c := e.signIn(e.person(store.RoleLeader, 0))
	idle := e.a.Config.Web.SessionIdle
	if err := e.a.Store.DB().Model(&store.WebSession{}).Where("1 = 1").Update("last_seen_at", e.a.Now().Add(-idle-time.Minute)).Error; err != nil {
		t.Fatal(err)
	}
	if res := c.get("/web/"); res.status != http.StatusSeeOther || res.location != "/web/login?n=ended" {
		t.Errorf("idle session: %d %q", res.status, res.location)
	}
	if res := c.get("/web/login?n=ended"); res.status != 200 || !strings.Contains(res.body, "Phiên đăng nhập đã kết thúc") {
		t.Errorf("sign-in page after the end: %d\n%s", res.status, res.body)
	}
}

func mustURL(t *testing.T, s string) *url.URL {
	u, err := url.Parse(s)
	if err != nil {
		t.Fatal(err)
	}
	return u
}
