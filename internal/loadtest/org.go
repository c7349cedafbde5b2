package loadtest

import (
	"bytes"
	"context"
	"fmt"
	"strings"

	"github.com/anttbot/anttbot/orgimport"
	"github.com/anttbot/anttbot/store"
)

// Country-wide proportions: ~290,000 members in ~84,000 teams, ~25 teams per commune.
const (
	membersPerTeam100 = 345 // 3.45 members per team, in hundredths
	teamsPerCommune   = 25
)

// member is one simulated team member.
type member struct {
	index     int
	name      string
	firstName string
	phone     string // as imported: 0xxxxxxxxx
	intlPhone string // +84xxxxxxxxx, as Telegram shares it
	tgID      int64
	zaloID    string
	chatID    string // where the service replies on the channel under test
	inbox     *inbox
}

var (
	families = []string{"Nguyễn", "Trần", "Lê", "Phạm", "Hoàng", "Huỳnh", "Phan", "Vũ", "Võ", "Đặng", "Bùi", "Đỗ", "Hồ", "Ngô", "Dương", "Lý"}
	middles  = []string{"Văn", "Thị", "Hữu", "Đức", "Minh", "Ngọc", "Quang", "Thanh"}
	givens   = []string{"An", "Bình", "Cường", "Dũng", "Giang", "Hà", "Hải", "Hạnh", "Hòa", "Hùng", "Hương", "Khánh", "Lan", "Linh", "Long", "Mai", "Nam", "Nga", "Phong", "Phúc", "Quân", "Sơn", "Tâm", "Thảo", "Thắng", "Trang", "Trung", "Tuấn", "Vân", "Yến"}
)

// newMembers returns n members with distinct phone numbers and platform ids.
func newMembers(n int) []*member {
	out := make([]*member, n)
	for i := range n {
		given := givens[i%len(givens)]
		name := families[(i/len(givens))%len(families)] + " " + middles[(i/7)%len(middles)] + " " + given
		digits := fmt.Sprintf("91%07d", i+1)
		out[i] = &member{
			index: i, name: name, firstName: given,
			phone: "0" + digits, intlPhone: "+84" + digits,
			tgID: 5_000_000_000 + int64(i), zaloID: fmt.Sprintf("7%011d", i+1),
		}
	}
	return out
}

// communes returns how many communes the members' teams fill.
func communes(n int) int {
	if n == 0 {
		return 0
	}
	return (n-1)*100/membersPerTeam100/teamsPerCommune + 1
}

// newOfficers returns the commune police officer of each commune: they
// onboard (so that tips reach them) but walk no flows.
func newOfficers(n int) []*member {
	out := make([]*member, n)
	for i := range n {
		out[i] = officer(i)
	}
	return out
}

// officer is the police officer of commune i (from 0).
func officer(i int) *member {
	digits := fmt.Sprintf("98%07d", i+1)
	return &member{
		index: -1 - i, name: fmt.Sprintf("Công An Xã %d", i+1), firstName: "Công",
		phone: "0" + digits, intlPhone: "+84" + digits,
		tgID: 6_000_000_000 + int64(i), zaloID: fmt.Sprintf("6%011d", i+1),
	}
}

// orgCSV builds the organisation file of members: teams of about 3.45
// (the first member of a team leads it), 25 teams per commune, one commune
// police officer per commune (see newOfficers).
func orgCSV(ms []*member) []byte {
	var b bytes.Buffer
	b.WriteString("tinh,xa,to,ho_ten,so_dien_thoai,vai_tro\n")
	lastTeam, lastCommune := -1, -1
	for i, m := range ms {
		team := i * 100 / membersPerTeam100
		commune := team / teamsPerCommune
		if commune != lastCommune {
			o := officer(commune)
			fmt.Fprintf(&b, "Tỉnh Thử Tải,Xã Thử Tải %d,,%s,%s,cong_an_xa\n", commune+1, o.name, o.phone)
			lastCommune = commune
		}
		role := "to_vien"
		if team != lastTeam {
			role = "to_truong"
			lastTeam = team
		}
		fmt.Fprintf(&b, "Tỉnh Thử Tải,Xã Thử Tải %d,Tổ ANTT số %d,%s,%s,%s\n", commune+1, team+1, m.name, m.phone, role)
	}
	return b.Bytes()
}

// importOrg imports the members' organisation into st.
func importOrg(ctx context.Context, st orgimport.Applier, ms []*member) (store.ImportResult, error) {
	rows, err := orgimport.Parse(bytes.NewReader(orgCSV(ms)), "org.csv")
	if err != nil {
		return store.ImportResult{}, fmt.Errorf("loadtest: parse generated organisation: %w", err)
	}
	res, err := st.ApplyImport(ctx, rows)
	if err != nil {
		return store.ImportResult{}, fmt.Errorf("loadtest: import organisation of %d members: %w", len(ms), err)
	}
	return res, nil
}

// expectFor fills the placeholders of a step's expect for m.
func expectFor(expect string, m *member) string {
	return strings.ReplaceAll(expect, "{name}", m.name)
}
