// Package delivery is the durable queue for every message the bot sends on
// its own initiative: a new tip pushed to commune police, a status change
// told to the reporter, reminders, digests, phase summaries. Direct replies
// to what a user just did do not go through it.
//
// It runs on River (github.com/riverqueue/river) in the store's own
// database: River's database/sql driver on PostgreSQL, on the store's pool
// (GORM runs pgx's stdlib driver), and its SQLite driver on the embedded
// database, where River gets a one-connection pool of its own on the same
// file (see NewQueue). Jobs are inserted and completed in the store's
// transactions. Migrate creates River's tables (river_*) next to the
// store's. Queues poll for due jobs (Options.PollInterval): the
// database/sql driver has no LISTEN.
//
// # Enqueueing
//
// Enqueue inserts jobs through the transaction of a Store obtained inside
// Store.InTx, so a tip and its push to the police commit or roll back
// together. EnqueueNow is for messages that accompany no other change. A
// Job names a Recipient (a person, or a raw chat), a bot.Message, a Kind, and
// optionally a DedupeKey (a second job with the same key is dropped while
// the first is kept, see Options.Retention), NotBefore, Scheduled and
// Urgent.
//
// # Guarantees
//
// A job whose transaction rolled back is never sent. A committed job is
// sent, or given up and recorded (unreachable, skipped, failed), even if the
// process stops or dies right after the commit: jobs live in the database,
// and any Queue on it sends them.
//
// A job is sent at least once, and in the normal course exactly once: when
// the platform has accepted the message, the job is marked completed in one
// transaction together with Options.OnSent's writes (where the police flow
// stores the message id), and a completed job never runs again. A message is
// sent twice only when the platform accepted it but that transaction did not
// commit, that is when
//   - the process died or lost its database between the platform's answer
//     and the commit (milliseconds); the job stays "running" until its lease
//     (Options.Lease, counted from the start of the attempt) has run out,
//     then River's rescuer, run by the elected leader replica every 30 s,
//     gives it to another worker;
//   - the send outlived Options.SendTimeout, or the Queue was stopped
//     (Stop's context ended) during the send, after the request had reached
//     the platform: the job is retried (after a back-off, or right away on
//     the next start) and the platform may already have the message;
//   - the platform accepted the message but answered with an error.
//
// Several Queues (replicas) may share one database: River hands each job to
// one worker at a time (FOR UPDATE SKIP LOCKED on PostgreSQL; SQLite has
// one writer), and one elected replica runs the maintenance (rescue,
// scheduling of delayed jobs, cleanup).
//
// # Recipients
//
// A person is resolved at send time to one of their identities: the most
// recently seen one (Identity.LastSeenAt; ties broken by
// Options.ChannelOrder) among those not marked unreachable and on a channel
// the Queue has. An inactive or deleted person is skipped and recorded
// (AuditSkipped). Message.ChatID is filled from the identity.
//
// # Errors
//
// Per send:
//   - *bot.RateLimitedError: the job is put back for RetryAfter (a River
//     snooze), which does not count as an attempt;
//   - bot.ErrUnreachable: the identity is marked unreachable
//     (Store.MarkUnreachable) and the person's next identity is tried; when
//     none is left the job is recorded as unreachable (AuditUnreachable,
//     Options.OnUnreachable) and not retried. Unreachable lists those people
//     per unit for the summaries;
//   - anything else (bot.ErrTemporary, timeouts): retried after an
//     exponential back-off (Options.RetryBase doubling up to RetryMax) up to
//     Options.MaxAttempts attempts, then recorded as failed (AuditFailed) and
//     logged at error level.
//
// Logs and audit entries carry job ids, kinds, channels and refs, never the
// message text; the text stays in River's job table until the job is cleaned
// up (Options.Retention).
//
// # Order
//
// Two jobs for the same recipient are sent in the order of (NotBefore or
// enqueue time, insertion order): a tip's status update never overtakes the
// tip, while a reminder scheduled for tomorrow does not hold back today's
// messages. Before sending, a worker looks in the job table for an earlier
// unfinished job of the same recipient. If this Queue is sending it, the
// worker waits for it in place (River fetches by scheduled time, so a job
// put back would queue behind a whole broadcast); otherwise (another replica
// sends it, or it waits for a retry) the job is put back shortly, without
// counting an attempt. Jobs enqueued in concurrent transactions are ordered
// by commit, as far as any observer can tell.
//
// # Timing and rate limits
//
// A job never leaves before its NotBefore, and normally within a few
// seconds after it (River moves delayed jobs every 5 s, then the Queue
// polls every Options.PollInterval). Quiet hours are the scheduler's
// business: it sets NotBefore. Platform limits are enforced where the
// messages leave: each channel's Send waits on the shared rate limiter
// (Redis, so every replica draws on one budget); the Queue honours the
// platform's retry_after. Options.Workers bounds the sends in flight per
// replica.
//
// # Metrics
//
// Queue.Stats gives the depth and the age of the oldest due job;
// Queue.Outcomes and Options.OnOutcome count attempts by Outcome.
package delivery
