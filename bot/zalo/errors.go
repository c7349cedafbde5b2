package zalo

import (
	"errors"
	"fmt"
	"time"

	"github.com/anttbot/anttbot/bot"
)

// Which API answered: the OA API and the ZNS API use different error tables
// in which the same number means different things.
const (
	apiOA    = "oa"
	apiZNS   = "zns"
	apiOAuth = "oauth"
)

// Reasons carried by an UnreachableError.
const (
	// ReasonOutsideWindow: the user has not interacted in the last 7 days (-230, -232),
	// or a scheduled message found the last interaction too old.
	ReasonOutsideWindow = "outside_window"
	// ReasonNotFollower: the user does not follow (or blocked) the OA (-213).
	ReasonNotFollower = "not_follower"
	// ReasonNoPhone: outside the window, ZNS configured, but no phone number known.
	ReasonNoPhone = "no_phone"
	// ReasonInvalidPhone: ZNS says the number is invalid or has no Zalo account.
	ReasonInvalidPhone = "invalid_phone"
	// ReasonRefused: the user refused this kind of ZNS message.
	ReasonRefused = "refused"
)

// rateLimitBackoff is how long to wait after Zalo's -32: the limit is counted
// per minute and the response says nothing more precise.
const rateLimitBackoff = 60 * time.Second

// APIError is an error answer from a Zalo API. It never holds a token.
type APIError struct {
	API     string // "oa", "zns" or "oauth"
	Code    int
	Message string
}

// Error implements error.
func (e *APIError) Error() string {
	return fmt.Sprintf("zalo %s api error %d: %s", e.API, e.Code, e.Message)
}

// UnreachableError says why a user cannot be messaged; errors.Is(err,
// bot.ErrUnreachable) is true for it.
type UnreachableError struct {
	Reason string
	Err    error // the API error behind it, if any
}

// Error implements error.
func (e *UnreachableError) Error() string {
	if e.Err != nil {
		return fmt.Sprintf("%v (%s): %v", bot.ErrUnreachable, e.Reason, e.Err)
	}
	return fmt.Sprintf("%v (%s)", bot.ErrUnreachable, e.Reason)
}

// Is makes errors.Is(err, bot.ErrUnreachable) true.
func (e *UnreachableError) Is(target error) bool { return target == bot.ErrUnreachable }

// Unwrap returns the API error behind it.
func (e *UnreachableError) Unwrap() error { return e.Err }

// UnreachableReason returns the reason of an UnreachableError in err's chain, or "".
func UnreachableReason(err error) string {
	var u *UnreachableError
	if errors.As(err, &u) {
		return u.Reason
	}
	return ""
}

// isTokenError says whether code means "this access token is no good", which
// earns one refresh and one retry.
func isTokenError(api string, code int) bool {
	switch api {
	case apiOA:
		return code == -216 || code == -220
	case apiZNS:
		return code == -124
	}
	return false
}

// mapOAError maps an OA API error code onto the bot's error model.
func mapOAError(e *APIError) error {
	switch e.Code {
	case -230, -232:
		return &UnreachableError{Reason: ReasonOutsideWindow, Err: e}
	case -213:
		return &UnreachableError{Reason: ReasonNotFollower, Err: e}
	case -32:
		return fmt.Errorf("%w: %w", &bot.RateLimitedError{RetryAfter: rateLimitBackoff}, e)
	}
	return e
}

// mapZNSError maps a ZNS API error code; the table differs from the OA one
// (ChatbotX integrations/zalo/src/lib/error-mapper.ts lists the categories).
func mapZNSError(e *APIError) error {
	switch e.Code {
	case -108, -118: // invalid phone number; Zalo account missing or disabled
		return &UnreachableError{Reason: ReasonInvalidPhone, Err: e}
	case -139, -140, -141, -216: // refused this template type / not eligible / refused phone messages / blocked the OA
		return &UnreachableError{Reason: ReasonRefused, Err: e}
	case -32:
		return fmt.Errorf("%w: %w", &bot.RateLimitedError{RetryAfter: rateLimitBackoff}, e)
	}
	return e
}
