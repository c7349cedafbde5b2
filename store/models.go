package store

import (
	"time"
)

// Submission statuses. A submission starts pending (written, not yet seen by
// the police chain), becomes received when an officer has opened it, and ends
// verified or rejected.
const (
	StatusPending  = "pending"
	StatusReceived = "received"
	StatusVerified = "verified"
	StatusRejected = "rejected"
)

// Unit changes recorded in UnitHistory.
const (
	ChangeRename = "rename"
	ChangeMove   = "move"
	ChangeMerge  = "merge"
)

// Identity channels. They mirror the bot package's channel names; store does
// not import bot so the dependency points one way only.
const (
	ChannelTelegram  = "telegram"
	ChannelZalo      = "zalo"
	ChannelSimulator = "simulator"
)

// Attachment types.
const (
	AttachmentPhoto = "photo"
	AttachmentFile  = "file"
)

// Unit is a node of the organisation tree: province, optional district,
// commune, team. Units are renamed, moved and merged over time; a merged unit
// keeps its row (MergedIntoID set) so old reports keep pointing at it.
type Unit struct {
	ID       int64
	Level    Level
	Name     string
	ParentID *int64
	// Code is a stable key, the normalized path of names such as
	// "hai-duong/xa-a/thon-1"; unique among live (not merged) units.
	Code         string
	MergedIntoID *int64
	MergedAt     *time.Time
	CreatedAt    time.Time
	UpdatedAt    time.Time
}

// UnitHistory records one rename, move or merge of a unit.
type UnitHistory struct {
	ID           int64
	UnitID       int64
	Change       string // ChangeRename, ChangeMove or ChangeMerge
	OldName      string
	OldParentID  *int64
	NewName      string
	NewParentID  *int64
	MergedIntoID *int64
	At           time.Time
}

// TableName keeps the table name singular like the migration.
func (UnitHistory) TableName() string { return "unit_history" }

// Person is a member of a team or a police officer.
type Person struct {
	ID    int64
	Name  string
	Phone string // normalized "+84…", unique
	Role  Role
	// UnitID is the team for team roles and the commune, district or province
	// unit for police roles.
	UnitID    int64
	Locale    string
	Active    bool
	CreatedAt time.Time
	UpdatedAt time.Time
}

// TableName names the table "people" rather than GORM's "persons".
func (Person) TableName() string { return "people" }

// Identity links a person to one chat platform account. A person may have one
// identity per channel; (Channel, ExternalID) is unique.
type Identity struct {
	ID         int64
	PersonID   int64
	Channel    string // ChannelTelegram, ChannelZalo or ChannelSimulator
	ExternalID string // platform user id
	ChatID     string
	Locale     string
	LinkedAt   time.Time
	LastSeenAt time.Time
	// UnreachableAt is set when the platform said the user blocked the bot or
	// is outside the messaging window; cleared when they write again.
	UnreachableAt     *time.Time
	UnreachableReason string
}

// Submission is one confirmed report (/baocao). Its ID is the public
// reference number shown to users as "#<ID>".
type Submission struct {
	ID          int64
	Kind        string // report kind from the campaign ("tip", "good_deed", ...)
	Status      string // StatusPending, StatusReceived, StatusVerified, StatusRejected
	Answers     JSONMap
	Attachments JSONList
	Lat         *float64
	Lon         *float64
	OccurredAt  time.Time
	ReporterID  int64
	// TeamID is the team unit the report was made in; it never changes, even
	// when the reporter moves or the team is merged later.
	TeamID int64
	// CommuneID is denormalized from TeamID for counting.
	CommuneID int64
	// PhaseID is the campaign phase OccurredAt falls in, "" outside every phase.
	PhaseID string
	Urgent  bool
	// IdempotencyKey makes re-delivered or double-tapped confirmations write
	// one row only.
	IdempotencyKey string
	VerifiedByID   *int64
	VerifiedAt     *time.Time
	RejectReason   string
	CreatedAt      time.Time
	UpdatedAt      time.Time
}

// Attachment is a photo or file the reporter sent, kept on the platform and
// referenced by id (Telegram) or URL (Zalo).
type Attachment struct {
	Type    string `json:"type"` // AttachmentPhoto or AttachmentFile
	Channel string `json:"channel"`
	FileID  string `json:"file_id,omitempty"`
	URL     string `json:"url,omitempty"`
	Caption string `json:"caption,omitempty"`
}

// TipSource is who gave a tip. It is kept out of Submission.Answers so only
// the police chain can ever read it.
type TipSource struct {
	SubmissionID int64 `gorm:"primaryKey;autoIncrement:false"`
	Source       string
	CreatedAt    time.Time
}

// Invite is a single-use, expiring deep-link code that attaches whoever
// redeems it to a unit with a role; the fallback when phone onboarding fails.
type Invite struct {
	Code        string `gorm:"primaryKey"`
	UnitID      int64
	Role        Role
	CreatedByID *int64
	ExpiresAt   time.Time
	UsedAt      *time.Time
	UsedByID    *int64
	CreatedAt   time.Time
}

// AuditLog is one recorded action (status change, relink, import, ...).
type AuditLog struct {
	ID          int64
	At          time.Time
	ActorID     *int64
	Action      string
	SubjectType string
	SubjectID   string
	Detail      string
}

// TableName keeps the table name singular like the migration.
func (AuditLog) TableName() string { return "audit_log" }

// KV is a small durable setting (Telegram last update id, Zalo token pair, ...).
type KV struct {
	Key       string `gorm:"primaryKey"`
	Value     string
	UpdatedAt time.Time
}

// TableName names the table "kv".
func (KV) TableName() string { return "kv" }

// InboxEvent is one incoming platform update in the durable journal: written
// before it is handled, marked processed after, so a crashed replica's work is
// picked up again and two replicas never handle the same update.
type InboxEvent struct {
	ID          int64
	Channel     string
	UpdateID    string
	ChatID      string
	Payload     []byte // JSON of the bot.Update
	ReceivedAt  time.Time
	ClaimedAt   *time.Time
	ClaimedBy   string
	ProcessedAt *time.Time
	Attempts    int
}

// TableName keeps the table name singular like the migration.
func (InboxEvent) TableName() string { return "inbox" }
