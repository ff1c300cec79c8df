#!/bin/sh
# Run once by the postgres image when it creates the primary's data directory: lets the
# standby copy it and stream from it as the roundtable role (a superuser in this image).
echo "host replication roundtable all scram-sha-256" >> "$PGDATA/pg_hba.conf"
