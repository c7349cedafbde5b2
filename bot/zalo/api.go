package zalo

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"mime/multipart"
	"net/http"
	"net/textproto"
	"strconv"
	"time"

	"github.com/anttbot/anttbot/bot"
)

// maxResponse bounds what we read from Zalo; real answers are a few hundred bytes.
const maxResponse = 1 << 20

// request is one API call, kept as bytes so it can be replayed after a token refresh.
type request struct {
	api         string // apiOA or apiZNS
	op          string // for errors and logs, e.g. "send"
	url         string
	contentType string
	body        []byte
}

// envelope is the shape of every OA and ZNS answer.
type envelope struct {
	Error   int             `json:"error"`
	Message string          `json:"message"`
	Data    json.RawMessage `json:"data"`
}

// call performs r with the current access token. Zalo answers errors with
// HTTP 200 and a negative "error", so every answer is checked; a token error
// earns exactly one refresh and one retry.
func (a *Adapter) call(ctx context.Context, r request) (json.RawMessage, error) {
	var bad string
	for attempt := 0; ; attempt++ {
		if err := a.waiter.Wait(ctx, "zalo:"+r.api+":"+a.cfg.AppID); err != nil {
			return nil, fmt.Errorf("zalo: %s: rate limiter: %w", r.op, err)
		}
		var (
			token string
			err   error
		)
		if bad == "" {
			token, err = a.tokens.Token(ctx)
		} else {
			token, err = a.tokens.replace(ctx, bad)
		}
		if err != nil {
			return nil, fmt.Errorf("zalo: %s: %w", r.op, err)
		}
		env, err := a.post(ctx, r, token)
		if err != nil {
			return nil, err
		}
		if env.Error == 0 {
			return env.Data, nil
		}
		apiErr := &APIError{API: r.api, Code: env.Error, Message: env.Message}
		if isTokenError(r.api, env.Error) && attempt == 0 {
			a.log.Warn("access token rejected, refreshing", "op", r.op, "code", env.Error)
			bad = token
			continue
		}
		if r.api == apiZNS {
			return nil, fmt.Errorf("zalo: %s: %w", r.op, mapZNSError(apiErr))
		}
		return nil, fmt.Errorf("zalo: %s: %w", r.op, mapOAError(apiErr))
	}
}

// post sends one HTTP request and decodes the envelope.
func (a *Adapter) post(ctx context.Context, r request, token string) (envelope, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, r.url, bytes.NewReader(r.body))
	if err != nil {
		return envelope{}, fmt.Errorf("zalo: %s: build request: %w", r.op, err)
	}
	req.Header.Set("Content-Type", r.contentType)
	// Zalo's header is literally "access_token", not Authorization: Bearer.
	req.Header["access_token"] = []string{token}
	resp, err := a.client.Do(req)
	if err != nil {
		if ctx.Err() != nil {
			return envelope{}, fmt.Errorf("zalo: %s: %w", r.op, err)
		}
		return envelope{}, fmt.Errorf("zalo: %s: %w: %w", r.op, bot.ErrTemporary, err)
	}
	defer resp.Body.Close()
	raw, err := io.ReadAll(io.LimitReader(resp.Body, maxResponse))
	if err != nil {
		return envelope{}, fmt.Errorf("zalo: %s: read response: %w: %w", r.op, bot.ErrTemporary, err)
	}
	switch {
	case resp.StatusCode == http.StatusTooManyRequests:
		return envelope{}, fmt.Errorf("zalo: %s: %w", r.op, &bot.RateLimitedError{RetryAfter: retryAfter(resp, rateLimitBackoff)})
	case resp.StatusCode >= 500:
		return envelope{}, fmt.Errorf("zalo: %s: http %d: %w", r.op, resp.StatusCode, bot.ErrTemporary)
	case resp.StatusCode != http.StatusOK:
		return envelope{}, fmt.Errorf("zalo: %s: unexpected http %d", r.op, resp.StatusCode)
	}
	var env envelope
	if err := json.Unmarshal(raw, &env); err != nil {
		return envelope{}, fmt.Errorf("zalo: %s: decode response: %w", r.op, err)
	}
	return env, nil
}

// retryAfter reads a Retry-After header in seconds, if any.
func retryAfter(resp *http.Response, def time.Duration) time.Duration {
	if s, err := strconv.Atoi(resp.Header.Get("Retry-After")); err == nil && s > 0 {
		return time.Duration(s) * time.Second
	}
	return def
}

// jsonRequest builds an OA or ZNS JSON call.
func jsonRequest(api, op, url string, payload any) (request, error) {
	body, err := json.Marshal(payload)
	if err != nil {
		return request{}, fmt.Errorf("zalo: %s: encode: %w", op, err)
	}
	return request{api: api, op: op, url: url, contentType: "application/json", body: body}, nil
}

// upload sends a file to /v2.0/oa/upload/{kind} as multipart field "file"
// and returns the decoded data object.
func (a *Adapter) upload(ctx context.Context, kind, name, mime string, data []byte) (json.RawMessage, error) {
	var buf bytes.Buffer
	w := multipart.NewWriter(&buf)
	h := make(textproto.MIMEHeader)
	h.Set("Content-Disposition", multipart.FileContentDisposition("file", name))
	h.Set("Content-Type", mime)
	part, err := w.CreatePart(h)
	if err != nil {
		return nil, fmt.Errorf("zalo: upload %s: %w", kind, err)
	}
	if _, err := part.Write(data); err != nil {
		return nil, fmt.Errorf("zalo: upload %s: %w", kind, err)
	}
	if err := w.Close(); err != nil {
		return nil, fmt.Errorf("zalo: upload %s: %w", kind, err)
	}
	return a.call(ctx, request{
		api: apiOA, op: "upload " + kind,
		url:         a.cfg.APIURL + "/v2.0/oa/upload/" + kind,
		contentType: w.FormDataContentType(),
		body:        buf.Bytes(),
	})
}

// errNoData is returned when a success answer lacks the field we need.
var errNoData = errors.New("zalo: success answer without the expected data")
