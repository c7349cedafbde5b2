package orgimport

import (
	"bytes"
	"os"
	"testing"
)

func benchmarkParse(b *testing.B, path string) {
	data, err := os.ReadFile(path)
	if err != nil {
		b.Fatal(err)
	}
	for b.Loop() {
		if _, err := Parse(bytes.NewReader(data), path); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkParseExampleCSV(b *testing.B)  { benchmarkParse(b, "../examples/to-chuc-mau.csv") }
func BenchmarkParseExampleXLSX(b *testing.B) { benchmarkParse(b, "../examples/to-chuc-mau.xlsx") }
