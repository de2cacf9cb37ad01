# syntax=docker/dockerfile:1

# Build: a static evalhouse binary (pure Go; purego needs no cgo on Linux).
FROM golang:1.26 AS build
WORKDIR /src
COPY go.mod go.sum ./
RUN --mount=type=cache,target=/go/pkg/mod go mod download
COPY . .
RUN --mount=type=cache,target=/go/pkg/mod --mount=type=cache,target=/root/.cache/go-build \
    CGO_ENABLED=0 go build -trimpath -ldflags="-s -w" -o /evalhouse ./cmd/evalhouse

# Run: a slim Debian with CA certificates, as a non-root user.
FROM debian:bookworm-slim
RUN apt-get update \
    && apt-get install -y --no-install-recommends ca-certificates \
    && rm -rf /var/lib/apt/lists/* \
    && groupadd --system --gid 10001 evalhouse \
    && useradd --system --uid 10001 --gid evalhouse --home-dir /var/lib/evalhouse --create-home --shell /usr/sbin/nologin evalhouse
COPY --from=build /evalhouse /usr/local/bin/evalhouse
USER evalhouse:evalhouse
WORKDIR /var/lib/evalhouse
EXPOSE 4318
ENTRYPOINT ["/usr/local/bin/evalhouse"]
CMD ["serve", "--listen", ":4318"]
