package simulator

import (
	"crypto/rand"
	"encoding/hex"
	"strings"
	"sync"
	"time"
)

// fileIDPrefix marks a photo's FileID as one the simulator keeps: "sim:<id>".
const fileIDPrefix = "sim:"

// file is an uploaded photo or a generated attachment.
type file struct {
	id      string
	name    string
	mime    string
	data    []byte
	created time.Time
}

// fileStore keeps files in memory within a byte budget, dropping the oldest.
type fileStore struct {
	mu     sync.Mutex
	budget int64
	used   int64
	byID   map[string]*file
	order  []string // oldest first
}

func newFileStore(budget int64) *fileStore {
	return &fileStore{budget: budget, byID: make(map[string]*file)}
}

func (fs *fileStore) put(name, mime string, data []byte) *file {
	if mime == "" {
		mime = "application/octet-stream"
	}
	f := &file{id: newFileID(), name: name, mime: mime, data: data, created: time.Now()}
	fs.mu.Lock()
	defer fs.mu.Unlock()
	fs.byID[f.id] = f
	fs.order = append(fs.order, f.id)
	fs.used += int64(len(data))
	// Keep at least the newest file even if it alone exceeds the budget.
	for fs.used > fs.budget && len(fs.order) > 1 {
		old := fs.byID[fs.order[0]]
		fs.order = fs.order[1:]
		delete(fs.byID, old.id)
		fs.used -= int64(len(old.data))
	}
	return f
}

func (fs *fileStore) get(id string) (*file, bool) {
	fs.mu.Lock()
	defer fs.mu.Unlock()
	f, ok := fs.byID[id]
	return f, ok
}

func (fs *fileStore) has(id string) bool {
	_, ok := fs.get(id)
	return ok
}

// newFileID returns an unguessable id, so one demo chat cannot enumerate
// another's photos.
func newFileID() string {
	var b [12]byte
	_, _ = rand.Read(b[:])
	return hex.EncodeToString(b[:])
}

// simFileID extracts the simulator's file id from a photo FileID.
func simFileID(fileID string) (string, bool) {
	id, ok := strings.CutPrefix(fileID, fileIDPrefix)
	return id, ok && id != ""
}

// fileURL is relative so that the handler can be mounted under any path.
func fileURL(id string) string { return "api/files/" + id }
