// Package campaignadmin loads a new campaign without a restart: a file is
// validated exactly as at start-up, stored in the database as a new version,
// and every replica's Provider takes the newest version into use when it
// next polls. The CLI (anttbot campaign) and, later, the console call Load.
package campaignadmin

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"sync"
	"sync/atomic"
	"time"

	"github.com/anttbot/anttbot/access"
	"github.com/anttbot/anttbot/campaign"
	"github.com/anttbot/anttbot/store"
)

// Actor is who loads a campaign: an official on the console (Person, checked
// with access.LoadCampaign) or an operator on the command line (Person nil).
type Actor struct {
	Person *store.Person
	Name   string
}

// Load validates data as a campaign file, exactly as at start-up, and
// stores it as the newest version. An official must be provincial police
// (cong_an_tinh): others get an *access.Denied.
func Load(ctx context.Context, st *store.Store, pol *access.Policy, actor Actor, data []byte) (store.CampaignVersion, *campaign.Campaign, error) {
	v := store.CampaignVersion{LoadedBy: actor.Name}
	if actor.Person != nil {
		if pol == nil {
			return v, nil, errors.New("campaignadmin: load by a person needs an access policy")
		}
		if err := pol.Check(ctx, *actor.Person, access.LoadCampaign, access.Subject{UnitID: actor.Person.UnitID}); err != nil {
			return v, nil, err
		}
		v.LoadedByID = &actor.Person.ID
		if v.LoadedBy == "" {
			v.LoadedBy = actor.Person.Name
		}
	}
	c, err := campaign.Parse(data)
	if err != nil {
		return v, nil, err
	}
	v.CampaignID, v.Source = c.ID, string(data)
	if err := st.SaveCampaignVersion(ctx, &v); err != nil {
		return v, nil, err
	}
	return v, c, nil
}

// Provider holds the campaign in use. Components read it through Get on
// every use instead of keeping a *campaign.Campaign, so a newly loaded
// version reaches them without a restart.
type Provider struct {
	st       *store.Store
	log      *slog.Logger
	fallback *campaign.Campaign
	cur      atomic.Pointer[campaign.Campaign]
	version  atomic.Int64
	mu       sync.Mutex // one refresh at a time
}

// NewProvider returns a provider serving the newest stored version, or
// fallback (the configured campaign) while none was ever loaded. A stored
// version that no longer validates (a newer binary is stricter) is logged
// and the fallback kept.
func NewProvider(ctx context.Context, st *store.Store, fallback *campaign.Campaign, log *slog.Logger) (*Provider, error) {
	if log == nil {
		log = slog.Default()
	}
	p := &Provider{st: st, log: log, fallback: fallback}
	p.cur.Store(fallback)
	if err := p.Refresh(ctx); err != nil {
		return nil, err
	}
	return p, nil
}

// Get returns the campaign in use.
func (p *Provider) Get() *campaign.Campaign { return p.cur.Load() }

// Version returns the stored version in use, 0 for the configured campaign.
func (p *Provider) Version() int64 { return p.version.Load() }

// Refresh takes the newest stored version into use if it is not already.
func (p *Provider) Refresh(ctx context.Context) error {
	p.mu.Lock()
	defer p.mu.Unlock()
	v, err := p.st.ActiveCampaignVersion(ctx)
	if err != nil || v == 0 || v == p.version.Load() {
		return err
	}
	cv, err := p.st.ActiveCampaign(ctx)
	if err != nil {
		return err
	}
	c, err := campaign.Parse([]byte(cv.Source))
	if err != nil {
		p.log.ErrorContext(ctx, "stored campaign no longer validates; keeping the one in use", "version", cv.Version, "err", err)
		p.version.Store(cv.Version)
		return nil
	}
	p.cur.Store(c)
	p.version.Store(cv.Version)
	p.log.InfoContext(ctx, "campaign taken into use", "version", cv.Version, "campaign", c.ID)
	return nil
}

// Poll refreshes every interval until ctx ends (a minute in production).
func (p *Provider) Poll(ctx context.Context, interval time.Duration) {
	t := time.NewTicker(interval)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
			if err := p.Refresh(ctx); err != nil && ctx.Err() == nil {
				p.log.WarnContext(ctx, "poll the campaign version", "err", err)
			}
		}
	}
}

// describe is one line of `anttbot campaign list`.
func describe(v store.CampaignVersion, active bool, loc *time.Location) string {
	mark := " "
	if active {
		mark = "*"
	}
	by := v.LoadedBy
	if by == "" {
		by = "-"
	}
	return fmt.Sprintf("%s %4d  %-28s loaded %s by %s", mark, v.Version, v.CampaignID, v.LoadedAt.In(loc).Format("2006-01-02 15:04"), by)
}
