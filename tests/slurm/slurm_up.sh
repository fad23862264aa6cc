#!/usr/bin/env bash
# Bring up a throw-away single-node Slurm cluster on this machine, for testing
# profiles/slurm-gpu against a live controller (tests/test_slurm.py does this itself).
#
#   tests/slurm/slurm_up.sh STATE_DIR [N_GPUS]     # as root
#   tests/slurm/slurm_down.sh STATE_DIR            # stops exactly what this started
#
# Installs the Debian packages slurmctld, slurmd, slurm-client and munge if they are
# missing, writes /etc/slurm/slurm.conf and /etc/slurm/gres.conf (the plugin's job steps
# only find the config there), starts munged (unless one already answers), slurmctld
# and slurmd, and records "NAME PID" lines in STATE_DIR/pids. Logs, state and spool live
# under STATE_DIR. The node offers every CPU, the memory less 1 GiB, and N_GPUS (default
# 2) fake GPUs: character devices with /dev/null's numbers, so Slurm's gres/gpu plugin
# allocates them and sets CUDA_VISIBLE_DEVICES while TensorFlow still runs on the CPU.
# Partitions: `main` (default, CPU jobs) and `gpu_test` (GPU jobs), both on this node.
# proctrack/pgid: a cancelled or requeued job's whole process group is killed (with
# proctrack/linuxproc a requeued job's inner snakemake was seen to survive as an orphan).
# Jobs stay visible to `squeue --states=all` for an hour (MinJobAge=3600); there is no
# slurmdbd, so use `--slurm-status-command squeue` with the snakemake plugin.
# Measured recipe and pitfalls: FIELD-NOTES.md, "Slurm on one machine".
set -euo pipefail

die() { echo "slurm_up.sh: $*" >&2; exit 1; }
[ $# -ge 1 ] || die "usage: $0 STATE_DIR [N_GPUS]"
[ "$(id -u)" = 0 ] || die "must run as root (installs packages, writes /etc/slurm, starts munged/slurmctld/slurmd)"
mkdir -p "$1"
state=$(cd "$1" && pwd)
ngpus=${2:-2}
marker="# written by DEGU tests/slurm/slurm_up.sh"
conf=/etc/slurm/slurm.conf

# -- packages
missing=()
for exe in slurmctld slurmd sbatch squeue munged mungekey; do
  command -v "$exe" >/dev/null || missing+=("$exe")
done
if [ ${#missing[@]} -gt 0 ]; then
  command -v apt-get >/dev/null || die "missing ${missing[*]} and no apt-get: install slurmctld slurmd slurm-client munge"
  echo "slurm_up.sh: installing slurmctld slurmd slurm-client munge (missing: ${missing[*]})"
  export DEBIAN_FRONTEND=noninteractive
  { apt-get update -q && apt-get install -y -q slurmctld slurmd slurm-client munge; } \
    >"$state/apt.log" 2>&1 || die "apt-get failed, see $state/apt.log"
fi

# -- refuse to touch a real installation
if [ -e "$conf" ] && ! grep -qF "$marker" "$conf"; then
  die "$conf exists and was not written by this script; refusing to replace a real cluster's configuration"
fi
for d in slurmctld slurmd; do
  for p in /proc/[0-9]*; do
    if [ "$(cat "$p/comm" 2>/dev/null)" = "$d" ]; then
      die "a $d is already running (pid ${p#/proc/}); stop it first (slurm_down.sh STATE_DIR of the run that started it)"
    fi
  done
done

: >"$state/pids"
record() { echo "$1 $2" >>"$state/pids"; }
wait_for_pidfile() {  # FILE SECONDS
  for _ in $(seq $(($2 * 10))); do
    [ -s "$1" ] && kill -0 "$(cat "$1")" 2>/dev/null && return 0
    sleep 0.1
  done
  return 1
}

# -- munge
key=/etc/munge/munge.key
if [ ! -s "$key" ]; then
  mungekey --create --keyfile="$key"
fi
chown munge:munge "$key" && chmod 0400 "$key"
install -d -o munge -g munge -m 0755 /run/munge
if munge -n </dev/null 2>/dev/null | unmunge >/dev/null 2>&1; then
  echo "slurm_up.sh: reusing the munged that is already running"
else
  rm -f /run/munge/munged.pid
  runuser -u munge -- munged --pid-file=/run/munge/munged.pid ||
    die "munged did not start, see /var/log/munge/munged.log"
  wait_for_pidfile /run/munge/munged.pid 10 || die "munged wrote no pid file"
  record munged "$(cat /run/munge/munged.pid)"
fi

# -- configuration
host=$(hostname -s)
cpus=$(nproc)
mem=$(( $(awk '/^MemTotal/ {print int($2 / 1024)}' /proc/meminfo) - 1024 ))
mkdir -p "$state/ctld" "$state/spool" "$state/gpus"
gpu_files="$state/gpus/fake[0-$((ngpus - 1))]"
for i in $(seq 0 $((ngpus - 1))); do
  if ! { [ -e "$state/gpus/fake$i" ] || mknod "$state/gpus/fake$i" c 1 3 2>/dev/null; }; then
    echo "slurm_up.sh: cannot create device nodes here; one fake GPU on /dev/null instead"
    ngpus=1 gpu_files=/dev/null
    break
  fi
done
cat >"$conf" <<CONF
$marker
# state: $state
ClusterName=degutest
SlurmctldHost=$host(127.0.0.1)
SlurmUser=root
SlurmdUser=root
AuthType=auth/munge
ProctrackType=proctrack/pgid
TaskPlugin=task/none
SelectType=select/cons_tres
SelectTypeParameters=CR_Core_Memory
DefMemPerCPU=500
GresTypes=gpu
JobAcctGatherType=jobacct_gather/none
AccountingStorageType=accounting_storage/none
JobCompType=jobcomp/none
ReturnToService=2
MinJobAge=3600
StateSaveLocation=$state/ctld
SlurmdSpoolDir=$state/spool
SlurmctldPidFile=$state/slurmctld.pid
SlurmdPidFile=$state/slurmd.pid
SlurmctldLogFile=$state/slurmctld.log
SlurmdLogFile=$state/slurmd.log
NodeName=$host NodeAddr=127.0.0.1 CPUs=$cpus RealMemory=$mem Gres=gpu:$ngpus State=UNKNOWN
PartitionName=main Nodes=ALL Default=YES MaxTime=INFINITE State=UP
PartitionName=gpu_test Nodes=ALL MaxTime=INFINITE State=UP
CONF
cat >/etc/slurm/gres.conf <<CONF
$marker
AutoDetect=off
NodeName=$host Name=gpu Count=$ngpus File=$gpu_files
CONF

# -- daemons (both daemonize and write their pid files)
slurmctld -c || die "slurmctld did not start, see $state/slurmctld.log"
wait_for_pidfile "$state/slurmctld.pid" 20 || die "slurmctld wrote no pid file, see $state/slurmctld.log"
record slurmctld "$(cat "$state/slurmctld.pid")"
slurmd || die "slurmd did not start, see $state/slurmd.log"
wait_for_pidfile "$state/slurmd.pid" 20 || die "slurmd wrote no pid file, see $state/slurmd.log"
record slurmd "$(cat "$state/slurmd.pid")"

for _ in $(seq 60); do
  st=$(sinfo -h -n "$host" -o %T 2>/dev/null | head -1 || true)
  [ "$st" = idle ] && { echo "slurm_up.sh: node $host idle (CPUs=$cpus RealMemory=$mem gpu:$ngpus), state in $state"; exit 0; }
  sleep 0.5
done
die "node $host did not become idle (state '${st:-?}'), see $state/slurmctld.log and $state/slurmd.log"
