package campaign

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"golang.org/x/text/unicode/norm"
)

// examplePath is the template officials copy for a new campaign.
const examplePath = "../examples/campaign-2026-2027.toml"

func TestParseGoodFiles(t *testing.T) {
	files, err := filepath.Glob("testdata/good/*.toml")
	if err != nil || len(files) == 0 {
		t.Fatalf("no good fixtures: %v", err)
	}
	files = append(files, examplePath)
	for _, f := range files {
		t.Run(filepath.Base(f), func(t *testing.T) {
			if _, err := Load(f); err != nil {
				t.Fatalf("Load: %v", err)
			}
		})
	}
}

func TestExampleTemplate(t *testing.T) {
	c, err := Load(examplePath)
	if err != nil {
		t.Fatal(err)
	}
	if c.ID == Default().ID {
		t.Errorf("the template reuses the default campaign's id %q", c.ID)
	}
	want := []Phase{
		{ID: "dot1", Start: NewDate(2026, 12, 1), End: NewDate(2027, 5, 31)},
		{ID: "dot2", Start: NewDate(2027, 6, 1), End: NewDate(2027, 11, 30)},
	}
	if len(c.Phases) != len(want) {
		t.Fatalf("got %d phases, want %d", len(c.Phases), len(want))
	}
	for i, w := range want {
		if p := c.Phases[i]; p.ID != w.ID || p.Start != w.Start || p.End != w.End {
			t.Errorf("phase %d = %s, want %s", i, p, w)
		}
	}
	if len(c.Contents) != 7 || len(c.Kinds) != 8 {
		t.Errorf("template has %d contents and %d kinds, want the plan's 7 and 8", len(c.Contents), len(c.Kinds))
	}
}

func TestParseMinimal(t *testing.T) {
	c, err := Load("testdata/good/minimal.toml")
	if err != nil {
		t.Fatal(err)
	}
	// name = "Đợt 1" (a plain string) is read as Vietnamese.
	if got := c.Phases[0].Name.In("en"); got != "Đợt 1" {
		t.Errorf("phase name = %q, want the Vietnamese fallback", got)
	}
	tg := c.Contents[0].Targets[0]
	if tg.Content != "c1" {
		t.Errorf("target content = %q, want it filled from the enclosing content", tg.Content)
	}
	if got := c.Figures(); len(got) != 1 || got[0] != FigureViolatingBusinesses {
		t.Errorf("Figures = %v", got)
	}
}

// TestParseBadFiles runs every file in testdata/bad; each one states the
// problems it must be rejected for in "# want: ..." lines.
func TestParseBadFiles(t *testing.T) {
	files, err := filepath.Glob("testdata/bad/*.toml")
	if err != nil || len(files) == 0 {
		t.Fatalf("no bad fixtures: %v", err)
	}
	for _, f := range files {
		t.Run(strings.TrimSuffix(filepath.Base(f), ".toml"), func(t *testing.T) {
			data, err := os.ReadFile(f)
			if err != nil {
				t.Fatal(err)
			}
			var wants []string
			for _, line := range strings.Split(string(data), "\n") {
				if w, ok := strings.CutPrefix(line, "# want: "); ok {
					wants = append(wants, w)
				}
			}
			if len(wants) == 0 {
				t.Fatal("fixture has no '# want: ' line")
			}
			_, err = Parse(data)
			if err == nil {
				t.Fatal("Parse accepted the file")
			}
			for _, w := range wants {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("error does not mention %q; got:\n%v", w, err)
				}
			}
		})
	}
}

func TestParseReportsEveryProblem(t *testing.T) {
	data, err := os.ReadFile("testdata/bad/bad_op_scope_period.toml")
	if err != nil {
		t.Fatal(err)
	}
	_, err = Parse(data)
	if err == nil {
		t.Fatal("Parse accepted the file")
	}
	// One line per problem, after the summary line.
	if got := strings.Count(err.Error(), "\n"); got != 4 {
		t.Errorf("got %d problem lines, want 4:\n%v", got, err)
	}
	if !strings.Contains(err.Error(), "(4 problems)") {
		t.Errorf("summary missing: %v", err)
	}
}

func TestParseNormalizesToNFC(t *testing.T) {
	data, err := os.ReadFile("testdata/good/minimal.toml")
	if err != nil {
		t.Fatal(err)
	}
	decomposed := norm.NFD.Bytes(data)
	if bytes.Equal(decomposed, data) {
		t.Fatal("fixture has no precomposed letters to decompose")
	}
	c, err := Parse(decomposed)
	if err != nil {
		t.Fatal(err)
	}
	if got, want := c.Name.In("vi"), "Thử nghiệm"; got != want || !norm.NFC.IsNormalString(got) {
		t.Errorf("name = %q (% x), want NFC %q", got, got, want)
	}
	if got := c.Kinds[0].Questions[0].Prompt.In("vi"); !norm.NFC.IsNormalString(got) {
		t.Errorf("prompt %q is not NFC", got)
	}
}

func TestParseTrimsText(t *testing.T) {
	data, err := os.ReadFile("testdata/good/minimal.toml")
	if err != nil {
		t.Fatal(err)
	}
	data = bytes.Replace(data, []byte(`name.vi = "Nguồn tin"`), []byte(`name.vi = "  Nguồn tin\n"`), 1)
	c, err := Parse(data)
	if err != nil {
		t.Fatal(err)
	}
	if got := c.Kinds[0].Name.In("vi"); got != "Nguồn tin" {
		t.Errorf("kind name = %q, want it trimmed", got)
	}
}

func TestParseSortsPhases(t *testing.T) {
	data := DefaultTOML()
	// Swap the order of the two phase blocks.
	i1 := bytes.Index(data, []byte("[[phases]]\nid = \"dot1\""))
	i2 := bytes.Index(data, []byte("[[phases]]\nid = \"dot2\""))
	end := i2 + bytes.Index(data[i2:], []byte("# -----"))
	if i1 < 0 || i2 < 0 || end < i2 {
		t.Fatal("default.toml layout changed; update this test")
	}
	var swapped []byte
	swapped = append(swapped, data[:i1]...)
	swapped = append(swapped, data[i2:end]...)
	swapped = append(swapped, data[i1:i2]...)
	swapped = append(swapped, data[end:]...)
	c, err := Parse(swapped)
	if err != nil {
		t.Fatal(err)
	}
	if c.Phases[0].ID != "dot1" || c.Phases[1].ID != "dot2" {
		t.Errorf("phases = %v, want date order", c.Phases)
	}
}

func TestLoadMissingFile(t *testing.T) {
	_, err := Load("testdata/does-not-exist.toml")
	if err == nil || !strings.Contains(err.Error(), "does-not-exist.toml") || !os.IsNotExist(unwrapAll(err)) {
		t.Fatalf("Load = %v, want a not-exist error naming the file", err)
	}
}

func unwrapAll(err error) error {
	for {
		u, ok := err.(interface{ Unwrap() error })
		if !ok {
			return err
		}
		err = u.Unwrap()
	}
}

func FuzzParse(f *testing.F) {
	f.Add(DefaultTOML())
	for _, pattern := range []string{"testdata/good/*.toml", "testdata/bad/*.toml", examplePath} {
		files, err := filepath.Glob(pattern)
		if err != nil {
			f.Fatal(err)
		}
		for _, name := range files {
			data, err := os.ReadFile(name)
			if err != nil {
				f.Fatal(err)
			}
			f.Add(data)
		}
	}
	loc := hoChiMinh(f)
	f.Fuzz(func(t *testing.T, data []byte) {
		c, err := Parse(data)
		if err != nil {
			return
		}
		// Whatever Parse accepts must hold the invariants the rest of the bot relies on.
		if c.Name.In("vi") == "" {
			t.Fatal("accepted a campaign without a Vietnamese name")
		}
		for _, p := range c.Phases {
			from, to := p.Bounds(loc)
			if got, ok := c.PhaseAt(from, loc); !ok || got.ID != p.ID {
				t.Fatalf("PhaseAt(start of %s) = %v, %v", p, got, ok)
			}
			if got, ok := c.PhaseAt(to.Add(-1), loc); !ok || got.ID != p.ID {
				t.Fatalf("PhaseAt(end of %s) = %v, %v", p, got, ok)
			}
		}
		for _, k := range c.Kinds {
			if len(k.Questions) == 0 {
				t.Fatalf("accepted kind %s without questions", k.ID)
			}
		}
	})
}
