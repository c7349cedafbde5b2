package store_test

import (
	"context"
	"encoding/json"
	"os"
	"testing"
	"time"

	"github.com/anttbot/anttbot/store"
	"github.com/anttbot/anttbot/store/storetest"
)

// forEachDriver runs fn against a fresh, migrated store on every driver.
func forEachDriver(t *testing.T, fn func(t *testing.T, s *store.Store)) {
	t.Helper()
	for _, d := range storetest.Drivers() {
		t.Run(d, func(t *testing.T) {
			fn(t, storetest.New(t, d))
		})
	}
}

func ctxT(t *testing.T) context.Context {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	t.Cleanup(cancel)
	return ctx
}

func must(t *testing.T, what string, err error) {
	t.Helper()
	if err != nil {
		t.Fatalf("%s: %v", what, err)
	}
}

// Codes of the fixture units in testdata/org.json.
const (
	codeProvince  = "tinh-hai-duong"
	codeDistrict  = "tinh-hai-duong/huyen-gia-loc"
	codeGiaTan    = "tinh-hai-duong/huyen-gia-loc/xa-gia-tan"
	codeThon1     = "tinh-hai-duong/huyen-gia-loc/xa-gia-tan/thon-1"
	codeThon2     = "tinh-hai-duong/huyen-gia-loc/xa-gia-tan/thon-2"
	codeTranPhu   = "tinh-hai-duong/phuong-tran-phu"
	codeKhuDanCu3 = "tinh-hai-duong/phuong-tran-phu/khu-dan-cu-so-3"
)

func orgRows(t *testing.T) []store.ImportRow {
	t.Helper()
	b, err := os.ReadFile("testdata/org.json")
	must(t, "read fixture", err)
	var rows []store.ImportRow
	must(t, "parse fixture", json.Unmarshal(b, &rows))
	return rows
}

// fixture is testdata/org.json applied to a store.
type fixture struct {
	units  map[string]store.Unit // by code
	people map[string]store.Person
}

func (f fixture) unit(code string) int64 { return f.units[code].ID }

// person returns a fixture person by phone.
func (f fixture) person(phone string) store.Person { return f.people[phone] }

func loadOrg(t *testing.T, s *store.Store) fixture {
	t.Helper()
	ctx := ctxT(t)
	rows := orgRows(t)
	_, err := s.ApplyImport(ctx, rows)
	must(t, "apply fixture", err)
	f := fixture{units: map[string]store.Unit{}, people: map[string]store.Person{}}
	for _, c := range []string{codeProvince, codeDistrict, codeGiaTan, codeThon1, codeThon2, codeTranPhu, codeKhuDanCu3} {
		u, err := s.UnitByCode(ctx, c)
		must(t, "fixture unit "+c, err)
		f.units[c] = u
	}
	for _, r := range rows {
		p, err := s.PersonByPhone(ctx, r.Phone)
		must(t, "fixture person", err)
		f.people[r.Phone] = p
	}
	return f
}

// Fixture phones.
const (
	phoneLeader1   = "+84910000001"
	phoneDeputy1   = "+84910000002"
	phoneMember1   = "+84910000003"
	phoneLeader2   = "+84910000004"
	phoneMember2   = "+84910000005"
	phonePoliceXa  = "+84910000006"
	phonePoliceH   = "+84910000007"
	phonePoliceT   = "+84910000008"
	phoneLeaderKDC = "+84910000009"
	phoneMemberKDC = "+84910000010"
	phonePoliceTP  = "+84910000011"
)

func ids(us []store.Unit) []int64 {
	out := make([]int64, len(us))
	for i, u := range us {
		out[i] = u.ID
	}
	return out
}

func personIDs(ps []store.Person) []int64 {
	out := make([]int64, len(ps))
	for i, p := range ps {
		out[i] = p.ID
	}
	return out
}
