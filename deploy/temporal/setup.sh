#!/bin/sh
# Once the Temporal services serve: Herald's namespace and the search attributes its workflows set
# (runtime/dev-server.ts lists them). Run again, it changes nothing. docker-compose.yml's temporal-setup
# job and `npm run cluster` both run this file, with TEMPORAL_ADDRESS, TEMPORAL_NAMESPACE and
#   TEMPORAL_CLI   the Temporal CLI (temporal in the admin-tools image)
set -eu
cli=${TEMPORAL_CLI:-temporal}
namespace=${TEMPORAL_NAMESPACE:-default}

# Runs a command until it succeeds, once a second, for at most two minutes.
retry() {
  tries=0
  until "$@" >/dev/null 2>&1; do
    tries=$((tries + 1))
    if [ "$tries" -ge 120 ]; then "$@"; return 1; fi
    sleep 1
  done
}

retry "$cli" operator cluster health
"$cli" operator namespace describe -n "$namespace" >/dev/null 2>&1 ||
  "$cli" operator namespace create -n "$namespace"
# A new namespace reaches every frontend's cache within 10 s.
retry "$cli" operator search-attribute list -n "$namespace"
for name in DeliveryId DeliveryStatus; do
  "$cli" operator search-attribute list -n "$namespace" | grep -qw "$name" ||
    "$cli" operator search-attribute create -n "$namespace" --name "$name" --type Keyword
done
