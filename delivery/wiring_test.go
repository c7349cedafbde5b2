package delivery

import (
	"github.com/anttbot/anttbot/bot/zalo"
)

// The lead wires Options.ZaloScheduled to the Zalo adapter's method; this
// keeps the two signatures from drifting apart.
var _ ZaloScheduledFunc = (&zalo.Adapter{}).SendScheduled
