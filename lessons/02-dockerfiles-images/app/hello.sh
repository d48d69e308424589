#!/bin/sh
# Says hello once, then becomes `sleep` (exec), so sleep is PID 1 and the container stays up.
echo "hello from $(hostname): $(cat /app/banner)"
exec sleep 3600
