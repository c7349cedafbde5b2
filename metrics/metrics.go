// Package metrics holds the service's Prometheus metrics: one registry per
// service instance (no global state, so tests can start several), the
// collectors the components report to, and the /metrics handler.
package metrics

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/prometheus/client_golang/prometheus/promhttp"

	"github.com/anttbot/anttbot/bot"
)

const namespace = "anttbot"

// Metrics is the service's registry and the metrics components report to.
type Metrics struct {
	reg *prometheus.Registry
	log *slog.Logger

	updates   *prometheus.CounterVec
	handle    *prometheus.HistogramVec
	throttled *prometheus.CounterVec
	sends     *prometheus.CounterVec
	jobRuns   *prometheus.CounterVec
	jobTime   *prometheus.HistogramVec
}

// New returns a registry with the Go runtime and process collectors and the
// service's own metrics registered.
func New(log *slog.Logger) *Metrics {
	if log == nil {
		log = slog.Default()
	}
	m := &Metrics{
		reg: prometheus.NewRegistry(),
		log: log.With("comp", "metrics"),
		updates: prometheus.NewCounterVec(prometheus.CounterOpts{
			Namespace: namespace, Name: "updates_total",
			Help: "Updates handled, by channel, kind and outcome (ok, error, panic).",
		}, []string{"channel", "kind", "outcome"}),
		handle: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Namespace: namespace, Name: "update_handle_seconds",
			Help:    "Time to handle one update (one flow step, including its replies), by channel and kind.",
			Buckets: []float64{.01, .025, .05, .1, .25, .5, 1, 2.5, 5, 10, 30},
		}, []string{"channel", "kind"}),
		throttled: prometheus.NewCounterVec(prometheus.CounterOpts{
			Namespace: namespace, Name: "updates_throttled_total",
			Help: "Updates dropped because their sender exceeded the per-user inbound rate, by channel.",
		}, []string{"channel"}),
		sends: prometheus.NewCounterVec(prometheus.CounterOpts{
			Namespace: namespace, Name: "sends_total",
			Help: "Messages sent to a platform, by channel and outcome (ok, rate_limited, unreachable, temporary, error).",
		}, []string{"channel", "outcome"}),
		jobRuns: prometheus.NewCounterVec(prometheus.CounterOpts{
			Namespace: namespace, Name: "scheduler_runs_total",
			Help: "Scheduled job runs, by job and outcome.",
		}, []string{"job", "outcome"}),
		jobTime: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Namespace: namespace, Name: "scheduler_run_seconds",
			Help:    "Duration of scheduled job runs, by job.",
			Buckets: []float64{.1, .5, 1, 5, 15, 60, 300},
		}, []string{"job"}),
	}
	m.reg.MustRegister(
		collectors.NewGoCollector(),
		collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}),
		m.updates, m.handle, m.throttled, m.sends, m.jobRuns, m.jobTime,
	)
	return m
}

// Registry returns the registry, for components that register their own collectors.
func (m *Metrics) Registry() *prometheus.Registry { return m.reg }

// Handler serves the registry in the Prometheus text format.
func (m *Metrics) Handler() http.Handler {
	return promhttp.HandlerFor(m.reg, promhttp.HandlerOpts{ErrorLog: slogErrorLog{m.log}, Registry: m.reg})
}

// ObserveUpdate records one handled update; it fits bot.DispatcherOptions.Observe.
func (m *Metrics) ObserveUpdate(u bot.Update, outcome string, d time.Duration) {
	kind := string(u.Kind)
	if kind == "" {
		kind = string(bot.KindOther)
	}
	m.updates.WithLabelValues(u.Channel, kind, outcome).Inc()
	m.handle.WithLabelValues(u.Channel, kind).Observe(d.Seconds())
}

// ObserveThrottled records an update dropped by the inbound rate limit.
func (m *Metrics) ObserveThrottled(channel string) { m.throttled.WithLabelValues(channel).Inc() }

// ObserveSend records one send attempt and its error (nil for success).
func (m *Metrics) ObserveSend(channel string, err error) {
	m.sends.WithLabelValues(channel, SendOutcome(err)).Inc()
}

// ObserveJobRun records one run of a scheduled job; err nil means success.
func (m *Metrics) ObserveJobRun(job string, err error, d time.Duration) {
	outcome := "ok"
	if err != nil {
		outcome = "error"
	}
	m.jobRuns.WithLabelValues(job, outcome).Inc()
	m.jobTime.WithLabelValues(job).Observe(d.Seconds())
}

// SendOutcome names the outcome of a send for the sends_total label.
func SendOutcome(err error) string {
	var rl *bot.RateLimitedError
	switch {
	case err == nil:
		return "ok"
	case errors.As(err, &rl):
		return "rate_limited"
	case errors.Is(err, bot.ErrUnreachable):
		return "unreachable"
	case errors.Is(err, bot.ErrTemporary), errors.Is(err, context.DeadlineExceeded):
		return "temporary"
	default:
		return "error"
	}
}

// GaugeFunc registers a gauge whose value f reads at scrape time.
func (m *Metrics) GaugeFunc(name, help string, f func() float64) {
	m.reg.MustRegister(prometheus.NewGaugeFunc(prometheus.GaugeOpts{Namespace: namespace, Name: name, Help: help}, f))
}

// QueueStats is what the delivery queue reports at scrape time.
type QueueStats struct {
	// Depth counts notifications not yet finished.
	Depth int
	// Due counts those that could be sent now.
	Due int
	// OldestDue is how long the oldest due notification has waited.
	OldestDue time.Duration
}

// WatchQueue registers gauges of the delivery queue read through f at scrape
// time (bounded to 2 s; a failing read leaves the gauges out of that scrape).
func (m *Metrics) WatchQueue(f func(ctx context.Context) (QueueStats, error)) {
	m.reg.MustRegister(&queueCollector{f: f, log: m.log,
		depth:  prometheus.NewDesc(namespace+"_delivery_queue_depth", "Notifications queued and not finished.", nil, nil),
		due:    prometheus.NewDesc(namespace+"_delivery_queue_due", "Notifications that could be sent now.", nil, nil),
		oldest: prometheus.NewDesc(namespace+"_delivery_oldest_due_seconds", "Age of the oldest notification waiting to be sent.", nil, nil),
	})
}

type queueCollector struct {
	f                  func(ctx context.Context) (QueueStats, error)
	log                *slog.Logger
	depth, due, oldest *prometheus.Desc
}

func (c *queueCollector) Describe(ch chan<- *prometheus.Desc) {
	ch <- c.depth
	ch <- c.due
	ch <- c.oldest
}

func (c *queueCollector) Collect(ch chan<- prometheus.Metric) {
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
	defer cancel()
	s, err := c.f(ctx)
	if err != nil {
		c.log.Warn("delivery queue stats", "err", err)
		return
	}
	ch <- prometheus.MustNewConstMetric(c.depth, prometheus.GaugeValue, float64(s.Depth))
	ch <- prometheus.MustNewConstMetric(c.due, prometheus.GaugeValue, float64(s.Due))
	ch <- prometheus.MustNewConstMetric(c.oldest, prometheus.GaugeValue, s.OldestDue.Seconds())
}

// slogErrorLog adapts slog to promhttp's error logger.
type slogErrorLog struct{ log *slog.Logger }

func (l slogErrorLog) Println(v ...any) { l.log.Warn("serve metrics", "err", fmt.Sprint(v...)) }
