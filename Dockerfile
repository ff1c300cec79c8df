# Build stage: compiles SQLite, libpq and the OpenSSL libpq encrypts with from bundled
# sources (the image's perl and make run OpenSSL's configure), so the binary links only
# the C library.
FROM rust:1.95-bookworm AS build
WORKDIR /src
COPY Cargo.toml Cargo.lock rustfmt.toml ./
COPY src ./src
COPY migrations ./migrations
COPY openapi ./openapi
RUN cargo build --release --locked && strip target/release/roundtable

# Runtime stage: the binary, the TLS roots `sslrootcert=system` trusts, and an
# unprivileged user.
FROM debian:bookworm-slim
RUN apt-get update \
 && apt-get install -y --no-install-recommends ca-certificates \
 && rm -rf /var/lib/apt/lists/* \
 && useradd --system --home /var/lib/roundtable --create-home roundtable
COPY --from=build /src/target/release/roundtable /usr/local/bin/roundtable
USER roundtable
WORKDIR /var/lib/roundtable
ENV ROUNDTABLE_BIND=0.0.0.0:8080 \
    ROUNDTABLE_LOG_JSON=true
EXPOSE 8080
HEALTHCHECK --interval=10s --timeout=3s CMD ["/bin/sh", "-c", "exec 3<>/dev/tcp/127.0.0.1/8080"]
ENTRYPOINT ["roundtable"]
CMD ["serve"]
