# POSTs /app/event.json to $GLUE_RULES_URL every ${INTERVAL:-30} seconds and logs the answer.
# busybox sh; the image has nothing else.
url="${GLUE_RULES_URL:-http://127.0.0.1:8080/v1/events}"
while true; do
  # (no -T: busybox 1.35 wget crashes with a timeout set)
  if answer="$(/bin/busybox wget -q -O - \
      --header 'Content-Type: application/json' \
      --header "Authorization: Bearer ${GLUE_RULES_INTAKE_TOKEN:-}" \
      --post-file /app/event.json "$url" 2>&1)"; then
    echo "posted: $answer"
  else
    echo "post failed: $answer"
  fi
  /bin/busybox sleep "${INTERVAL:-30}"
done
