//go:build race

package scheduler

// raceDetector is true when the tests run with -race, which makes chart and
// workbook rendering about ten times slower.
const raceDetector = true
