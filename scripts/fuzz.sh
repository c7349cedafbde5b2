#!/usr/bin/env bash
# Runs every fuzz target of the module for the given time each (default 10s).
# A real finding (a crasher written under testdata/fuzz) fails the run. The Go
# fuzzer sometimes ends a short run with a bare "context deadline exceeded"
# when its time is up while a worker is still busy (no failing input); that
# run is repeated, and only a repeat of the same is reported as a warning.
set -euo pipefail
cd "$(dirname "$0")/.."
t=${1:-10s}
log=$(mktemp)
trap 'rm -f "$log"' EXIT
for pkg in $(go list ./...); do
	dir=$(go list -f '{{.Dir}}' "$pkg")
	for f in $(grep -hoE '^func (Fuzz[A-Za-z0-9_]+)\(' "$dir"/*_test.go 2>/dev/null | sed -E 's/^func (Fuzz[A-Za-z0-9_]+)\(/\1/' | sort -u); do
		for attempt in 1 2 3; do
			echo "fuzz: $pkg $f ($t)"
			if go test -run '^$' -fuzz "^$f\$" -fuzztime "$t" -fuzzminimizetime 3s "$pkg" >"$log" 2>&1; then
				break
			fi
			if grep -q 'context deadline exceeded' "$log" && ! grep -q 'Failing input written' "$log"; then
				if [ "$attempt" -lt 3 ]; then
					echo "fuzz: $f stopped at its deadline without a finding; running it again"
					continue
				fi
				echo "fuzz: warning: $f kept stopping at its deadline without a finding"
				break
			fi
			cat "$log"
			exit 1
		done
	done
done
