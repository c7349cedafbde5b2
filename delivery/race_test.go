//go:build race

package delivery

// raceEnabled is true when the tests run under the race detector.
const raceEnabled = true
