#!/bin/sh
# temporal-namespace job: creates the namespace Trellis runs in and registers the custom
# search attributes runs are listed by. Idempotent: existing ones are left alone, but an
# attribute registered with another type fails the job (Temporal cannot change a type).
# Settings: TEMPORAL_ADDRESS, TEMPORAL_NAMESPACE, NAMESPACE_RETENTION, SEARCH_ATTRIBUTES
# ("Name=Type Name=Type …"), as in the compose file.
set -eu
ADDRESS=${TEMPORAL_ADDRESS:-temporal:7233}
NAMESPACE=${TEMPORAL_NAMESPACE:-default}
RETENTION=${NAMESPACE_RETENTION:-168h} # the shortest plan retention (docs/decisions/034-backup-and-retention.md); the worker sets it at boot too
: "${SEARCH_ATTRIBUTES:?}"

t() { temporal --address "$ADDRESS" "$@"; }

# retry N COMMAND…: the frontend can report SERVING a little before a new namespace is
# visible to every service, so each step gets a few tries.
retry() {
  tries=$1; shift
  i=1
  until "$@"; do
    [ "$i" -lt "$tries" ] || { echo "gave up after $tries tries: $*" >&2; return 1; }
    i=$((i + 1)); sleep 2
  done
}

retry 30 sh -c "temporal --address '$ADDRESS' operator cluster health | grep -q SERVING"

if t operator namespace describe --namespace "$NAMESPACE" >/dev/null 2>&1; then
  echo "namespace $NAMESPACE exists"
else
  retry 5 t operator namespace create --namespace "$NAMESPACE" --retention "$RETENTION"
  echo "namespace $NAMESPACE created (retention $RETENTION)"
fi

retry 15 t operator search-attribute list --namespace "$NAMESPACE" >/dev/null
existing=$(t operator search-attribute list --namespace "$NAMESPACE")
for pair in $SEARCH_ATTRIBUTES; do
  name=${pair%%=*}
  type=${pair#*=}
  current=$(printf '%s\n' "$existing" | awk -v n="$name" '$1 == n { print $2 }')
  if [ -z "$current" ]; then
    retry 5 t operator search-attribute create --namespace "$NAMESPACE" --name "$name" --type "$type"
    echo "search attribute $name ($type) registered"
  elif [ "$(echo "$current" | tr '[:upper:]' '[:lower:]')" = "$(echo "$type" | tr '[:upper:]' '[:lower:]')" ]; then
    echo "search attribute $name ($type) exists"
  else
    echo "search attribute $name is registered as $current, expected $type" >&2
    exit 1
  fi
done
