#!/bin/sh
# Version 2: a different greeting, so only the COPY layer (and what follows it) changes.
echo "hello again from $(hostname): $(cat /app/banner)"
exec sleep 3600
