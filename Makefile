# The README's two commands are `make run` and `make test`.
GO ?= go
PKGS = ./...

.PHONY: run test lint build fuzz bench

run:
	$(GO) run ./cmd/anttbot

build:
	CGO_ENABLED=0 $(GO) build -trimpath -ldflags "-s -w" -o bin/anttbot ./cmd/anttbot

lint:
	@out=$$(gofmt -l $$(git ls-files '*.go' 2>/dev/null || find . -name '*.go')); \
	if [ -n "$$out" ]; then echo "gofmt needed:"; echo "$$out"; exit 1; fi
	$(GO) vet $(PKGS)

test: lint
	$(GO) test -race -count=1 -timeout 15m $(PKGS)
	# Skipped under -race for speed; it renders every scheduled message in both languages.
	$(GO) test -count=1 -run '^TestExamples$$' ./scheduler/
	./scripts/fuzz.sh 10s

# Longer fuzzing on demand: make fuzz FUZZTIME=5m
FUZZTIME ?= 2m
fuzz:
	./scripts/fuzz.sh $(FUZZTIME)

bench:
	$(GO) test -run '^$$' -bench . -benchmem $(PKGS)
