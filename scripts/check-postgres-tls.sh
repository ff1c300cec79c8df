#!/usr/bin/env bash
# Connects the given roundtable binary to the local PostgreSQL over TLS, as `.ci/run`
# does after it has started the server: a certificate authority and a server certificate
# for localhost are made here, the server is told to use them, and then
#   - sslmode=verify-full with that authority as root connects (migrate, then serve),
#   - sslmode=require connects,
#   - sslmode=verify-full with another authority is refused,
#   - sslmode=verify-full with sslrootcert=system is refused with the host's own roots and
#     accepted once SSL_CERT_FILE names the authority (the binary's OpenSSL reads the
#     system trust store, not a directory of its build).
# Run as root (it writes into the postgres user's home and alters the server's settings).
# Usage: scripts/check-postgres-tls.sh BINARY
set -euo pipefail
bin=$(realpath "$1")
server_dir=/var/lib/postgresql/roundtable-tls
client_dir=$(mktemp -d)
trap 'rm -rf "$client_dir"' EXIT

fail() { printf 'TLS check failed: %s\n' "$*" >&2; exit 1; }

# The authority, a stranger authority, and the server's certificate signed by the first.
make_authority() {
  openssl req -x509 -newkey rsa:2048 -nodes -days 2 -subj "/CN=$2" \
    -keyout "$client_dir/$1.key" -out "$client_dir/$1.pem" 2>/dev/null
}
make_authority ca "Roundtable CI authority"
make_authority stranger "Someone else's authority"
openssl req -newkey rsa:2048 -nodes -subj "/CN=localhost" \
  -keyout "$client_dir/server.key" -out "$client_dir/server.csr" 2>/dev/null
printf 'subjectAltName=DNS:localhost,IP:127.0.0.1,IP:::1\n' >"$client_dir/san.ext"
openssl x509 -req -in "$client_dir/server.csr" -days 2 -CA "$client_dir/ca.pem" \
  -CAkey "$client_dir/ca.key" -CAcreateserial -extfile "$client_dir/san.ext" \
  -out "$client_dir/server.pem" 2>/dev/null

install -d -o postgres -g postgres -m 700 "$server_dir"
install -o postgres -g postgres -m 600 "$client_dir/server.key" "$server_dir/server.key"
install -o postgres -g postgres -m 644 "$client_dir/server.pem" "$server_dir/server.pem"
su postgres -c "psql -v ON_ERROR_STOP=1 -q" <<SQL
ALTER SYSTEM SET ssl = on;
ALTER SYSTEM SET ssl_cert_file = '$server_dir/server.pem';
ALTER SYSTEM SET ssl_key_file = '$server_dir/server.key';
SELECT pg_reload_conf();
DROP DATABASE IF EXISTS roundtable_tls;
CREATE DATABASE roundtable_tls OWNER roundtable;
SQL
# The reload is asynchronous: wait until a new connection is offered the new certificate.
for _ in $(seq 1 50); do
  PGSSLMODE=verify-full PGSSLROOTCERT="$client_dir/ca.pem" PGPASSWORD=roundtable \
    psql -h localhost -U roundtable -d roundtable_tls -tAc 'SELECT 1' >/dev/null 2>&1 && break
  sleep 0.1
done

base="postgres://roundtable:roundtable@localhost:5432/roundtable_tls"
# migrate [env arguments]: connects with $url, the given variables set or unset.
migrate() { env -u SSL_CERT_DIR "$@" "$bin" migrate --database-url "$url" >"$client_dir/out" 2>&1; }

url="$base?sslmode=verify-full&sslrootcert=$client_dir/ca.pem"
migrate || { cat "$client_dir/out"; fail "verify-full with the server's authority did not connect"; }
echo "verify-full with the server's authority: connected"

url="$base?sslmode=require"
migrate || { cat "$client_dir/out"; fail "sslmode=require did not connect"; }
echo "require: connected"

url="$base?sslmode=verify-full&sslrootcert=$client_dir/stranger.pem"
if migrate; then fail "verify-full trusted a certificate another authority signed"; fi
grep -qi "certificate verify failed" "$client_dir/out" || { cat "$client_dir/out"; fail "refused, but not for the certificate"; }
echo "verify-full with another authority: refused (certificate verify failed)"

url="$base?sslmode=verify-full&sslrootcert=system"
if migrate -u SSL_CERT_FILE; then fail "the host's roots trusted the CI authority"; fi
grep -qi "certificate verify failed" "$client_dir/out" || { cat "$client_dir/out"; fail "sslrootcert=system refused, but not for the certificate"; }
migrate SSL_CERT_FILE="$client_dir/ca.pem" || { cat "$client_dir/out"; fail "sslrootcert=system ignored SSL_CERT_FILE"; }
echo "verify-full with sslrootcert=system: refused with the host's roots, connected with SSL_CERT_FILE"

# The service itself: its pooled connections are encrypted.
url="$base?sslmode=verify-full&sslrootcert=$client_dir/ca.pem"
ROUNDTABLE_ANSWER_KEY=$(openssl rand -base64 32) "$bin" serve --bind 127.0.0.1:18090 \
  --database-url "$url" >"$client_dir/serve" 2>&1 &
server=$!
trap 'kill $server 2>/dev/null || true; rm -rf "$client_dir"' EXIT
for _ in $(seq 1 100); do curl -sf http://127.0.0.1:18090/readyz >/dev/null && break; sleep 0.1; done
curl -sf http://127.0.0.1:18090/readyz >/dev/null || { cat "$client_dir/serve"; fail "the service did not become ready"; }
read -r encrypted plain < <(su postgres -c "psql -tA -F ' ' -c \"SELECT count(*) FILTER (WHERE s.ssl), count(*) FILTER (WHERE NOT s.ssl) FROM pg_stat_activity a JOIN pg_stat_ssl s USING (pid) WHERE a.datname = 'roundtable_tls'\"")
kill $server
wait $server 2>/dev/null || true
[ "$encrypted" -ge 1 ] && [ "$plain" -eq 0 ] || fail "service connections: $encrypted encrypted, $plain plain"
echo "serve: $encrypted pooled connections, all encrypted"
