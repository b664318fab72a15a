#!/usr/bin/env bash
# Serves the portal on the embedded default with a Celery worker and beat beside it.
# Ctrl-C (or any exit) stops all three: each is ended by the PID we started it with.
set -euo pipefail
cd "$(dirname "$0")/.."
BIN=.venv/bin
PORT="${PORT:-8000}"
export LAPOR_BASE_URL="${LAPOR_BASE_URL:-http://127.0.0.1:${PORT}}"
mkdir -p var/celery/queue var/celery/processed var/log
# Reports by SMS and WhatsApp without a phone: the demo page /demo/ponsel/ plays the phone, and
# the worker writes what the portal sends to var/demo-phone/ for it (demo/phone.py). Exported
# before the worker starts, so it sends through the same gateways; Kannel or the Cloud API, when
# configured, keep their channel.
if [ -z "${LAPOR_SMS_BACKEND:-}" ] && [ -z "${LAPOR_KANNEL_SENDSMS_URL:-}" ]; then
  export LAPOR_SMS_BACKEND=demo.phone.DemoPhoneBackend
fi
if [ -z "${LAPOR_WHATSAPP_BACKEND:-}" ] && [ -z "${LAPOR_WHATSAPP_TOKEN:-}" ]; then
  export LAPOR_WHATSAPP_BACKEND=demo.phone.DemoWhatsAppBackend
fi
export LAPOR_DEMO_PHONE="${LAPOR_DEMO_PHONE:-1}"

pids=()
stop() {
  trap - INT TERM EXIT
  for pid in "${pids[@]}"; do kill "$pid" 2>/dev/null || true; done
  wait 2>/dev/null || true
  echo "Stopped."
}
trap stop INT TERM EXIT

# One worker takes routing (queue celery) and e-mail (queue mail); production runs one per queue.
"$BIN/celery" -A lapor worker -Q celery,mail --loglevel=INFO --concurrency=1 >var/log/worker.log 2>&1 &
pids+=($!)
"$BIN/celery" -A lapor beat --loglevel=INFO >var/log/beat.log 2>&1 &
pids+=($!)
# The e-mail door: mail to LAPOR_INBOUND_ADDRESS on 127.0.0.1:LAPOR_SMTP_PORT becomes a report.
"$BIN/python" manage.py run_mail_listener >var/log/mail-door.log 2>&1 &
pids+=($!)

cat <<MSG

  LAPOR is running at http://127.0.0.1:${PORT}/
  Admin: http://127.0.0.1:${PORT}/admin/  login admin / lapor-demo-2026 (demo only)
  Demo officers, password lapor-demo-2026 (demo only):
    nasional           national coordinator (Kementerian PANRB)
    kaltim             Diskominfo Provinsi Kalimantan Timur
    samarinda          Diskominfo Kota Samarinda
    dinkes.samarinda   Dinas Kesehatan Kota Samarinda
    dinkes.balikpapan  Dinas Kesehatan Kota Balikpapan
    pupr.samarinda     Dinas Pekerjaan Umum dan Penataan Ruang Kota Samarinda
  API docs: http://127.0.0.1:${PORT}/api/docs/
  Reports by e-mail: send to ${LAPOR_INBOUND_ADDRESS:-lapor@localhost} through 127.0.0.1:${LAPOR_SMTP_PORT:-2525}, e.g.
    .venv/bin/python scripts/send_test_mail.py
  E-mail the portal sends (receipts, answers) is written to var/log/worker.log
  Reports by SMS and WhatsApp: a phone to try them at http://127.0.0.1:${PORT}/demo/ponsel/
  Worker, beat and e-mail door logs: var/log/worker.log, var/log/beat.log, var/log/mail-door.log
  Ctrl-C stops the web server, the worker, beat and the e-mail door.

MSG
"$BIN/python" manage.py runserver "127.0.0.1:${PORT}" --noreload &
pids+=($!)
wait "${pids[3]}"
