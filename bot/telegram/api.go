package telegram

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"time"

	tgbot "github.com/go-telegram/bot"

	"github.com/anttbot/anttbot/bot"
)

// statusKey carries a *int through a request context so the HTTP layer can
// report the response status: the library turns 5xx answers into plain
// strings, and only the status tells them apart from a bad request.
type statusKey struct{}

// statusRecorder is the HTTPDoer given to the library; it notes the status.
type statusRecorder struct{ next HTTPDoer }

func (s statusRecorder) Do(req *http.Request) (*http.Response, error) {
	resp, err := s.next.Do(req)
	if p, ok := req.Context().Value(statusKey{}).(*int); ok && resp != nil {
		*p = resp.StatusCode
	}
	return resp, err
}

// call runs one Bot API call under timeout and maps its error onto the
// bot package's errors: 429 → *bot.RateLimitedError, 403 and lost chats →
// bot.ErrUnreachable, 5xx and network failures → bot.ErrTemporary. The
// original error stays in the chain (errors.Is(err, tgbot.ErrorBadRequest)).
func (a *Adapter) call(ctx context.Context, method string, timeout time.Duration, fn func(ctx context.Context) error) error {
	status := new(int)
	cctx, cancel := context.WithTimeout(context.WithValue(ctx, statusKey{}, status), timeout)
	defer cancel()
	err := fn(cctx)
	if err == nil {
		return nil
	}
	return mapError(ctx, method, *status, err)
}

// unreachableBadRequests are 400 descriptions that mean the chat is gone for good.
var unreachableBadRequests = []string{
	"chat not found",
	"user not found",
	"PEER_ID_INVALID",
	"group chat was deactivated",
	"have no rights to send a message",
	"not enough rights to send",
}

// mapError classifies err from method; status is the HTTP status, 0 when no
// response arrived. ctx is the caller's context, to tell its cancellation from
// a timeout of the call.
func mapError(ctx context.Context, method string, status int, err error) error {
	if ctx.Err() != nil {
		return fmt.Errorf("telegram: %s: %w", method, ctx.Err())
	}
	var tmr *tgbot.TooManyRequestsError
	if errors.As(err, &tmr) {
		// Telegram may omit retry_after; one second keeps the caller from hammering.
		wait := time.Duration(max(tmr.RetryAfter, 1)) * time.Second
		return fmt.Errorf("telegram: %s: %w: %w", method, &bot.RateLimitedError{RetryAfter: wait}, err)
	}
	var mig *tgbot.MigrateError
	if errors.As(err, &mig) {
		// The group became a supergroup with a new id; the old id never works again.
		return fmt.Errorf("telegram: %s: group moved to chat %d: %w: %w", method, mig.MigrateToChatID, bot.ErrUnreachable, err)
	}
	if errors.Is(err, tgbot.ErrorForbidden) {
		return fmt.Errorf("telegram: %s: %w: %w", method, bot.ErrUnreachable, err)
	}
	if errors.Is(err, tgbot.ErrorBadRequest) {
		for _, s := range unreachableBadRequests {
			if strings.Contains(err.Error(), s) {
				return fmt.Errorf("telegram: %s: %w: %w", method, bot.ErrUnreachable, err)
			}
		}
		return fmt.Errorf("telegram: %s: %w", method, err)
	}
	if status >= 500 || status == 0 && !isAPIError(err) {
		return fmt.Errorf("telegram: %s: %w: %w", method, bot.ErrTemporary, err)
	}
	return fmt.Errorf("telegram: %s: %w", method, err)
}

// isAPIError reports an error the library made from an API answer (as opposed
// to a transport failure).
func isAPIError(err error) bool {
	for _, e := range []error{tgbot.ErrorUnauthorized, tgbot.ErrorNotFound, tgbot.ErrorConflict, tgbot.ErrorBadRequest, tgbot.ErrorForbidden} {
		if errors.Is(err, e) {
			return true
		}
	}
	return false
}
