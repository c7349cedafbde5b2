package store

import (
	"database/sql/driver"
	"reflect"
	"testing"
)

func TestJSONMapScan(t *testing.T) {
	tests := []struct {
		name    string
		src     any
		want    JSONMap
		wantErr bool
	}{
		{name: "text", src: `{"a":"Có","n":1}`, want: JSONMap{"a": "Có", "n": float64(1)}},
		{name: "bytes", src: []byte(`{"a":true}`), want: JSONMap{"a": true}},
		{name: "null", src: nil, want: JSONMap{}},
		{name: "empty", src: "", want: JSONMap{}},
		{name: "not an object", src: `[1]`, wantErr: true},
		{name: "wrong type", src: 42, wantErr: true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var m JSONMap
			err := m.Scan(tt.src)
			if (err != nil) != tt.wantErr {
				t.Fatalf("Scan err = %v, wantErr %v", err, tt.wantErr)
			}
			if !tt.wantErr && !reflect.DeepEqual(m, tt.want) {
				t.Fatalf("Scan = %#v, want %#v", m, tt.want)
			}
		})
	}
}

func TestJSONValues(t *testing.T) {
	tests := []struct {
		name string
		v    driver.Valuer
		want string
	}{
		{name: "nil map", v: JSONMap(nil), want: "{}"},
		{name: "nil list", v: JSONList(nil), want: "[]"},
		{name: "list", v: JSONList{{Type: AttachmentPhoto, Channel: "zalo", URL: "https://x/y.jpg"}},
			want: `[{"type":"photo","channel":"zalo","url":"https://x/y.jpg"}]`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := tt.v.Value()
			if err != nil || got != tt.want {
				t.Fatalf("Value = %v, %v, want %s", got, err, tt.want)
			}
		})
	}
	var l JSONList
	if err := l.Scan(`[{"type":"file","channel":"telegram","file_id":"F"}]`); err != nil || len(l) != 1 || l[0].FileID != "F" {
		t.Fatalf("JSONList.Scan = %+v, %v", l, err)
	}
}
