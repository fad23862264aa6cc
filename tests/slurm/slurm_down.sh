#!/usr/bin/env bash
# Stop what tests/slurm/slurm_up.sh STATE_DIR started, by the PIDs it recorded (never by
# name): cancel the throw-away cluster's jobs, stop slurmd, slurmctld and munged (only if
# it started that munged), and remove the /etc/slurm files it wrote.
#   tests/slurm/slurm_down.sh STATE_DIR
set -uo pipefail
[ $# -ge 1 ] || { echo "usage: $0 STATE_DIR" >&2; exit 2; }
state=$1
marker="# written by DEGU tests/slurm/slurm_up.sh"
[ -f "$state/pids" ] || { echo "slurm_down.sh: no $state/pids, nothing to stop"; exit 0; }

if grep -q '^slurmctld ' "$state/pids"; then
  ids=$(squeue -h -t PENDING,RUNNING,SUSPENDED,REQUEUED -o %i 2>/dev/null)
  [ -n "$ids" ] && scancel $ids
  for _ in $(seq 20); do
    [ -z "$(squeue -h -t RUNNING,COMPLETING 2>/dev/null)" ] && break
    sleep 0.5
  done
fi
# stop in reverse start order: slurmd, slurmctld, munged
status=0
while read -r name pid; do
  [ -n "$pid" ] || continue
  if [ "$(cat /proc/"$pid"/comm 2>/dev/null)" != "$name" ]; then
    continue  # already gone (or the pid was reused by something else: leave it)
  fi
  kill -TERM "$pid"
  for _ in $(seq 100); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
  if kill -0 "$pid" 2>/dev/null; then
    kill -KILL "$pid"; echo "slurm_down.sh: $name ($pid) needed SIGKILL"
    for _ in $(seq 50); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
  fi
  kill -0 "$pid" 2>/dev/null && { echo "slurm_down.sh: could not stop $name ($pid)" >&2; status=1; }
done < <(tac "$state/pids")
for f in /etc/slurm/slurm.conf /etc/slurm/gres.conf; do
  grep -qF "$marker" "$f" 2>/dev/null && rm -f "$f"
done
exit $status
