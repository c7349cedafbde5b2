# Multi-stage build: one static binary (locales, migrations, campaign embedded)
# in a minimal image, running as a non-root user.
FROM golang:1.26-bookworm AS build
WORKDIR /src
COPY go.mod go.sum ./
RUN go mod download
COPY . .
RUN CGO_ENABLED=0 go build -trimpath -ldflags "-s -w" -o /out/anttbot ./cmd/anttbot \
 && mkdir -p /out/data

FROM gcr.io/distroless/static-debian12:nonroot
COPY --from=build /out/anttbot /anttbot
COPY --from=build --chown=nonroot:nonroot /out/data /data
USER nonroot:nonroot
WORKDIR /
ENV ANTTBOT_APP_HTTP_ADDR=0.0.0.0:8080 \
    ANTTBOT_APP_DATA_DIR=/data \
    ANTTBOT_LOG_FORMAT=json
EXPOSE 8080
VOLUME ["/data"]
HEALTHCHECK --interval=30s --timeout=3s --start-period=20s --retries=3 \
  CMD ["/anttbot", "healthcheck"]
ENTRYPOINT ["/anttbot"]
CMD ["serve"]
