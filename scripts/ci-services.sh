#!/usr/bin/env bash
# Make sure PostgreSQL, MariaDB and Redis are installed, running and answering, and that the
# store tests' databases exist. Idempotent: safe to run any number of times. Run as root.
#
#   PostgreSQL  database argus_test, user postgres, trust auth on 127.0.0.1 and ::1
#               -> postgresql://postgres@127.0.0.1:5432/argus_test
#   MariaDB     database argus_test, user argus/argus on localhost and 127.0.0.1
#               -> mysql://argus:argus@127.0.0.1:3306/argus_test
#   Redis       127.0.0.1:6379, no persistence
set -euo pipefail

WAIT_S=${CI_SERVICES_WAIT_S:-30}
DB=argus_test

log() { printf '%s\n' "$*"; }
die() { printf 'ci-services: %s\n' "$*" >&2; exit 1; }

[ "$(id -u)" -eq 0 ] || die "run as root"

# wait_for NAME CMD...: poll CMD (quietly) until it succeeds or WAIT_S seconds have passed.
wait_for() {
    local name=$1; shift
    local deadline=$((SECONDS + WAIT_S))
    until "$@" >/dev/null 2>&1; do
        if [ "$SECONDS" -ge "$deadline" ]; then
            die "$name did not answer within ${WAIT_S}s"
        fi
        sleep 0.5
    done
}

# --- install what is missing (apt-get update only when something is) -------------------------
missing=()
command -v pg_ctlcluster >/dev/null 2>&1 || missing+=(postgresql)
[ -x /usr/sbin/mariadbd ] || missing+=(mariadb-server)
command -v redis-server >/dev/null 2>&1 || missing+=(redis-server)
if [ "${#missing[@]}" -gt 0 ]; then
    log "installing: ${missing[*]}"
    export DEBIAN_FRONTEND=noninteractive
    apt-get update -qq
    apt-get install -y -qq "${missing[@]}" >/dev/null
fi

# --- PostgreSQL ------------------------------------------------------------------------------
[ -d /etc/postgresql ] || die "PostgreSQL is installed but has no cluster under /etc/postgresql"
pg_version=$(ls /etc/postgresql | sort -V | tail -n 1)
[ -n "$pg_version" ] || die "no PostgreSQL cluster under /etc/postgresql"
pg_hba=/etc/postgresql/$pg_version/main/pg_hba.conf
marker="# argus ci-services: trust for the test database"
pg_hba_changed=0
if ! grep -qF "$marker" "$pg_hba"; then
    # First matching line wins: put ours before the distribution's defaults.
    tmp=$(mktemp)
    {
        echo "$marker"
        echo "host    $DB    postgres    127.0.0.1/32    trust"
        echo "host    $DB    postgres    ::1/128         trust"
        cat "$pg_hba"
    } >"$tmp"
    cat "$tmp" >"$pg_hba"
    rm -f "$tmp"
    pg_hba_changed=1
fi
if ! pg_isready -q -h 127.0.0.1 -p 5432; then
    pg_ctlcluster --skip-systemctl-redirect "$pg_version" main start || true
elif [ "$pg_hba_changed" -eq 1 ]; then
    pg_ctlcluster --skip-systemctl-redirect "$pg_version" main reload
fi
wait_for PostgreSQL pg_isready -q -h 127.0.0.1 -p 5432
psql_su() { (cd / && runuser -u postgres -- psql -X -q -v ON_ERROR_STOP=1 -tA "$@"); }
if [ "$(psql_su -c "SELECT 1 FROM pg_database WHERE datname = '$DB'")" != "1" ]; then
    psql_su -c "CREATE DATABASE $DB"
fi
wait_for "PostgreSQL ($DB)" psql -X -h 127.0.0.1 -U postgres -d "$DB" -tAc "SELECT 1"
log "postgresql $pg_version: up on 127.0.0.1:5432, database $DB (user postgres, trust)"

# --- MariaDB ---------------------------------------------------------------------------------
mkdir -p /run/mysqld
chown mysql:mysql /run/mysqld
if ! mariadb-admin ping --silent >/dev/null 2>&1; then
    if [ ! -d /var/lib/mysql/mysql ]; then
        install_db=$(command -v mariadb-install-db || command -v mysql_install_db)
        "$install_db" --user=mysql --datadir=/var/lib/mysql >/dev/null
    fi
    start-stop-daemon --start --oknodo --background --exec /usr/sbin/mariadbd
fi
wait_for MariaDB mariadb-admin ping --silent
mariadb -u root <<SQL
CREATE DATABASE IF NOT EXISTS $DB CHARACTER SET utf8mb4 COLLATE utf8mb4_bin;
CREATE USER IF NOT EXISTS 'argus'@'localhost' IDENTIFIED BY 'argus';
CREATE USER IF NOT EXISTS 'argus'@'127.0.0.1' IDENTIFIED BY 'argus';
ALTER USER 'argus'@'localhost' IDENTIFIED BY 'argus';
ALTER USER 'argus'@'127.0.0.1' IDENTIFIED BY 'argus';
GRANT ALL PRIVILEGES ON $DB.* TO 'argus'@'localhost';
GRANT ALL PRIVILEGES ON $DB.* TO 'argus'@'127.0.0.1';
FLUSH PRIVILEGES;
SQL
wait_for "MariaDB ($DB)" mariadb -h 127.0.0.1 -P 3306 -u argus -pargus "$DB" -e "SELECT 1"
log "mariadb $(mariadb -N -B -u root -e 'SELECT VERSION()'): up on 127.0.0.1:3306, database $DB (user argus)"

# --- Redis -----------------------------------------------------------------------------------
if ! redis-cli -h 127.0.0.1 -p 6379 ping 2>/dev/null | grep -q PONG; then
    mkdir -p /var/lib/redis /var/log/redis
    redis-server --daemonize yes --bind 127.0.0.1 -::1 --port 6379 --save "" --appendonly no \
        --dir /var/lib/redis --logfile /var/log/redis/ci.log
fi
redis_ping() { redis-cli -h 127.0.0.1 -p 6379 ping | grep -q PONG; }
wait_for Redis redis_ping
log "redis $(redis-server --version | sed -n 's/.*v=\([^ ]*\).*/\1/p'): up on 127.0.0.1:6379"
