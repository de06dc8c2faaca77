#!/bin/sh
# Registers Mailroom's custom search attributes on its namespace. Safe to run again: attributes that
# exist already are left alone. Run by the temporal-search-attributes service in docker-compose.yml.
set -eu

namespace="${TEMPORAL_NAMESPACE:-default}"
attributes="MailroomStatus MailroomCampaignId MailroomRecipientDomain MailroomEmailId MailroomRecipient"

attempt=1
until temporal operator namespace describe --namespace "$namespace" >/dev/null 2>&1; do
  if [ "$attempt" -ge 60 ]; then
    echo "namespace $namespace did not appear on $TEMPORAL_ADDRESS" >&2
    exit 1
  fi
  echo "waiting for namespace $namespace"
  attempt=$((attempt + 1))
  sleep 2
done

for name in $attributes; do
  attempt=1
  until temporal operator search-attribute list --namespace "$namespace" | grep -qw "$name"; do
    if [ "$attempt" -ge 10 ]; then
      echo "could not register search attribute $name" >&2
      exit 1
    fi
    echo "registering search attribute $name (Keyword)"
    temporal operator search-attribute create --namespace "$namespace" --name "$name" --type Keyword ||
      sleep 2
    attempt=$((attempt + 1))
  done
  echo "search attribute $name is registered"
done
