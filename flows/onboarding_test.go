package flows

import (
	"errors"
	"testing"
	"time"

	"github.com/anttbot/anttbot/bot"
	"github.com/anttbot/anttbot/phone"
	"github.com/anttbot/anttbot/session"
	"github.com/anttbot/anttbot/store"
)

// TestOnboardingByPhone links chats by the phone number their owner shares.
func TestOnboardingByPhone(t *testing.T) {
	eachDriver(t, func(t *testing.T, driver string) {
		h := newHarness(t, driver)
		p := h.person(member)
		tests := []struct {
			name     string
			phone    string
			own      bool
			verified bool
			want     []string
			linked   bool
		}{
			{name: "own contact", phone: "0900 000 004", own: true, verified: true, linked: true,
				want: []string{"Chào " + member, "Tổ viên", "Tổ ANTT thôn Đông, Xã An Bình"}},
			{name: "own contact in international form", phone: "84900000004", own: true, verified: true, linked: true,
				want: []string{"Chào " + member}},
			{name: "someone else's contact", phone: "0900 000 004", own: false, verified: true,
				want: []string{"không phải số điện thoại của chính bạn", "Công an xã"}},
			{name: "unverified contact", phone: "0900 000 004", own: true, verified: false,
				want: []string{"không phải số điện thoại của chính bạn", "Công an xã"}},
			{name: "unknown number", phone: "0987 654 321", own: true, verified: true,
				want: []string{"0987 654 321", "chưa có trong danh sách", "Công an xã"}},
		}
		for i, tt := range tests {
			t.Run(tt.name, func(t *testing.T) {
				h.t = t
				u := h.stranger("new" + string(rune('a'+i)))
				msgs := u.text("/start")
				mustContain(t, msgs, h.T("flows.onboard.ask_contact"))
				if !msgs[0].RequestContact {
					t.Fatalf("/start does not ask for the contact: %+v", msgs[0])
				}
				c := &bot.Contact{Phone: tt.phone, UserID: u.id, Verified: tt.verified}
				if !tt.own {
					c.UserID = "42"
				}
				msgs = u.send(bot.Update{Kind: bot.KindContact, Contact: c})
				mustContain(t, msgs, tt.want...)
				got, ident, err := h.st.PersonByIdentity(h.ctx, u.channel, u.id)
				if tt.linked != (err == nil) {
					t.Fatalf("linked = %v (%v), want %v", err == nil, err, tt.linked)
				}
				if !tt.linked {
					if !msgs[len(msgs)-1].RequestContact && tt.name != "unknown number" {
						t.Errorf("refusal does not offer to share again")
					}
					return
				}
				if got.ID != p.ID || ident.ChatID != u.id {
					t.Fatalf("linked to %+v / %+v, want person %d", got, ident, p.ID)
				}
				if !msgs[0].RemoveKeyboard || !hasLabel(msgs, "📝 Báo cáo") {
					t.Errorf("greeting should remove the contact keyboard and show the menu: %+v", msgs)
				}
				// Linked now: /start greets, /baocao works.
				mustContain(t, u.text("/start"), "Chào "+member)
				mustContain(t, u.text("báo cáo"), h.T("flows.report.choose_kind"))
			})
		}

		t.Run("unlinked chat gets the onboarding prompt for anything", func(t *testing.T) {
			h.t = t
			u := h.stranger("anything")
			for _, up := range []bot.Update{text("/baocao"), text("xin chào"), photoUpdate("p"), text("/cuatoi"), {Kind: bot.KindFollow}} {
				msgs := u.send(up)
				mustContain(t, msgs, h.T("flows.onboard.ask_contact"))
			}
			msgs := u.text("/huongdan")
			mustContain(t, msgs, "/start", h.T("flows.help.unlinked"))
			mustNotContain(t, msgs, "/baocao")
			// Strangers writing in leave nothing behind in the session store.
			if _, err := h.sessions.Load(h.ctx, sessionKey(u.channel, u.id)); !errors.Is(err, session.ErrNotFound) {
				t.Errorf("a stranger's chat created a session: %v", err)
			}
		})

		t.Run("inactive person is refused", func(t *testing.T) {
			h.t = t
			num, _ := phone.Normalize("0911 222 333")
			gone := store.Person{Name: "Trần Văn Cũ", Phone: num, Role: store.RoleMember, UnitID: h.org.Teams[0].ID, Active: false}
			if err := h.st.CreatePerson(h.ctx, &gone); err != nil {
				t.Fatal(err)
			}
			u := h.stranger("inactive")
			mustContain(t, u.contact("0911222333", true), h.T("flows.onboard.inactive"))
			if _, _, err := h.st.PersonByIdentity(h.ctx, u.channel, u.id); err == nil {
				t.Fatal("inactive person linked")
			}
		})
	})
}

// TestInvite registers people with invite codes: valid, used, expired, unknown.
func TestInvite(t *testing.T) {
	eachDriver(t, func(t *testing.T, driver string) {
		h := newHarness(t, driver)
		team := h.org.Teams[1]
		newInvite := func(expires time.Time) store.Invite {
			inv, err := h.st.CreateInvite(h.ctx, store.Invite{UnitID: team.ID, Role: store.RoleMember, ExpiresAt: expires})
			if err != nil {
				t.Fatal(err)
			}
			return inv
		}

		t.Run("valid code registers and links", func(t *testing.T) {
			h.t = t
			inv := newInvite(h.clock.Now().Add(48 * time.Hour))
			u := h.stranger("inv-ok")
			msgs := u.text("/start " + inv.Code)
			mustContain(t, msgs, h.T("flows.invite.valid", "Unit", team.Name, "Role", "Tổ viên"), h.T("flows.invite.ask_name"))
			msgs = u.text("Ngô Thị Bích")
			mustContain(t, msgs, h.T("flows.invite.ask_phone"))
			if !msgs[len(msgs)-1].RequestContact {
				t.Errorf("phone question does not offer to share the contact")
			}
			mustContain(t, u.text("12345"), h.T("flows.phone.invalid"))
			msgs = u.text("0977 888 999")
			mustContain(t, msgs, "0977 888 999", h.T("flows.invite.summary_title"))
			msgs = u.tap("✅ Xác nhận gửi")
			mustContain(t, msgs, "Chào Ngô Thị Bích", "Tổ viên", team.Name)
			p, _, err := h.st.PersonByIdentity(h.ctx, u.channel, u.id)
			if err != nil || p.UnitID != team.ID || p.Role != store.RoleMember || p.Phone != "+84977888999" || !p.Active {
				t.Fatalf("person after invite: %+v, %v", p, err)
			}
			got, _ := h.st.InviteByCode(h.ctx, inv.Code)
			if got.UsedAt == nil || got.UsedByID == nil || *got.UsedByID != p.ID {
				t.Fatalf("invite not marked used: %+v", got)
			}

			// The same code again, from another chat.
			other := h.stranger("inv-again")
			mustContain(t, other.text("/start "+inv.Code), h.T("flows.invite.used"))
			if other.draft() != nil {
				t.Fatal("a used code started a flow")
			}
		})

		t.Run("code used while the form was filled", func(t *testing.T) {
			h.t = t
			inv := newInvite(h.clock.Now().Add(48 * time.Hour))
			a, b := h.stranger("inv-race-a"), h.stranger("inv-race-b")
			for i, u := range []*user{a, b} {
				u.text("/start " + inv.Code)
				u.text("Người " + string(rune('A'+i)))
				u.text([]string{"0977 111 222", "0977 111 333"}[i])
			}
			mustContain(t, a.tap("✅ Xác nhận gửi"), "Chào Người A")
			mustContain(t, b.tap("✅ Xác nhận gửi"), h.T("flows.invite.used"))
			if _, err := h.st.PersonByPhone(h.ctx, "+84977111333"); err == nil {
				t.Fatal("a person was created for a used invite")
			}
		})

		t.Run("expired code", func(t *testing.T) {
			h.t = t
			inv := newInvite(h.clock.Now().Add(-time.Hour))
			u := h.stranger("inv-expired")
			mustContain(t, u.text("/start "+inv.Code), "hết hạn", formatTimeDate(inv.ExpiresAt, vn))
		})

		t.Run("unknown code", func(t *testing.T) {
			h.t = t
			mustContain(t, h.stranger("inv-unknown").text("/start NOPE"), h.T("flows.invite.unknown"))
		})

		t.Run("a listed phone must be shared, not typed", func(t *testing.T) {
			h.t = t
			inv := newInvite(h.clock.Now().Add(48 * time.Hour))
			u := h.stranger("inv-taken")
			u.text("/start " + inv.Code)
			u.text("Kẻ Mạo Danh")
			u.text("0900 000 001") // the commune police officer's number
			msgs := u.tap("✅ Xác nhận gửi")
			mustContain(t, msgs, h.T("flows.invite.phone_taken"))
			if p := h.person(police); p.Role != store.RoleCommunePolice {
				t.Fatal("officer changed")
			}
			if got, _ := h.st.InviteByCode(h.ctx, inv.Code); got.UsedAt != nil {
				t.Fatal("invite used by an impostor")
			}
		})

		t.Run("cancel an invite flow", func(t *testing.T) {
			h.t = t
			inv := newInvite(h.clock.Now().Add(48 * time.Hour))
			u := h.stranger("inv-cancel")
			u.text("/start " + inv.Code)
			mustContain(t, u.text("/huy"), h.T("flows.cancel.done_unlinked"))
			if u.draft() != nil {
				t.Fatal("invite draft kept")
			}
		})

		t.Run("a linked person does not need a code", func(t *testing.T) {
			h.t = t
			inv := newInvite(h.clock.Now().Add(48 * time.Hour))
			u := h.linked(member)
			mustContain(t, u.text("/start "+inv.Code), h.T("flows.invite.already_linked", "Name", member))
		})
	})
}
