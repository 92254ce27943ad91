#!/usr/bin/env bash
# A one-node SLURM cluster on this machine, for trying and testing `xproj study run --executor submitit --cluster
# slurm` against a real controller: munge, MariaDB + slurmdbd (so that `sacct` works), slurmctld and slurmd, one
# partition named `xproj` (the study's default, `--partition`) with this machine's CPUs and memory (from `free`).
#   bash scripts/slurm_local.sh start    # install Debian's slurm-wlm, slurmdbd, munge, mariadb when missing; start
#   bash scripts/slurm_local.sh status   # sinfo and the daemons' state
#   bash scripts/slurm_local.sh stop     # cancel every job and stop the daemons
# Needs root (it writes /etc/slurm and /etc/munge) and no systemd: the daemons are started directly.
set -euo pipefail
PARTITION="${XPROJ_SLURM_PARTITION:-xproj}"
CLUSTER=xproj
STATE=/var/lib/xproj-slurm
CONF=/etc/slurm

install() {
  command -v slurmctld >/dev/null && command -v slurmdbd >/dev/null && command -v munged >/dev/null \
    && command -v mariadbd >/dev/null && return
  echo "[slurm] installing slurm-wlm, slurmdbd, munge, mariadb-server (Debian)" >&2
  apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq slurm-wlm slurmdbd munge mariadb-server >/dev/null
}

running() { pgrep -x "$1" >/dev/null; }

wait_for() {  # wait_for SECONDS COMMAND...: until the command succeeds
  local limit=$1; shift
  for _ in $(seq "$limit"); do "$@" >/dev/null 2>&1 && return 0; sleep 1; done
  echo "[slurm] gave up waiting for: $*" >&2
  return 1
}

start_munge() {
  [ -s /etc/munge/munge.key ] || { dd if=/dev/urandom of=/etc/munge/munge.key bs=1024 count=1 status=none; }
  chown munge:munge /etc/munge/munge.key && chmod 400 /etc/munge/munge.key
  mkdir -p /run/munge && chown munge:munge /run/munge
  running munged || su -s /bin/sh munge -c /usr/sbin/munged
  wait_for 10 munge -n
}

start_database() {
  mkdir -p /run/mysqld && chown mysql:mysql /run/mysqld
  running mariadbd || (mysqld_safe --user=mysql >/dev/null 2>&1 &)
  wait_for 30 mysqladmin ping
  mysql -e "CREATE DATABASE IF NOT EXISTS slurm_acct_db; CREATE USER IF NOT EXISTS 'slurm'@'localhost'
            IDENTIFIED BY 'xproj-local'; GRANT ALL ON slurm_acct_db.* TO 'slurm'@'localhost'; FLUSH PRIVILEGES;"
}

write_config() {
  local host cpus mem
  host="$(hostname -s)"
  cpus="$(nproc)"
  mem="$(free -m | awk '/^Mem:/ {print int($2 * 0.9)}')"  # MB, leaving a tenth to the system
  mkdir -p "$CONF" "$STATE"/{ctld,d} /var/log/slurm
  cat > "$CONF/slurmdbd.conf" <<EOF
AuthType=auth/munge
DbdHost=localhost
SlurmUser=root
StorageType=accounting_storage/mysql
StorageHost=localhost
StorageUser=slurm
StoragePass=xproj-local
StorageLoc=slurm_acct_db
LogFile=/var/log/slurm/slurmdbd.log
PidFile=/run/slurmdbd.pid
EOF
  chmod 600 "$CONF/slurmdbd.conf"
  cat > "$CONF/slurm.conf" <<EOF
ClusterName=$CLUSTER
SlurmctldHost=$host
SlurmUser=root
AuthType=auth/munge
StateSaveLocation=$STATE/ctld
SlurmdSpoolDir=$STATE/d
SlurmctldPidFile=/run/slurmctld.pid
SlurmdPidFile=/run/slurmd.pid
SlurmctldLogFile=/var/log/slurm/slurmctld.log
SlurmdLogFile=/var/log/slurm/slurmd.log
ProctrackType=proctrack/linuxproc
TaskPlugin=task/none
JobAcctGatherType=jobacct_gather/linux
AccountingStorageType=accounting_storage/slurmdbd
AccountingStorageHost=localhost
SelectType=select/cons_tres
SelectTypeParameters=CR_CPU_Memory
MpiDefault=none
ReturnToService=2
MinJobAge=600
MaxArraySize=1001
NodeName=$host CPUs=$cpus RealMemory=$mem State=UNKNOWN
PartitionName=$PARTITION Nodes=$host Default=YES MaxTime=INFINITE State=UP
EOF
}

start() {
  install
  start_munge
  start_database
  write_config
  running slurmdbd || slurmdbd
  wait_for 30 sacctmgr -n list cluster
  sacctmgr -i -Q add cluster "$CLUSTER" >/dev/null 2>&1 || true
  running slurmctld || slurmctld
  running slurmd || slurmd
  wait_for 30 scontrol ping
  scontrol update nodename="$(hostname -s)" state=resume >/dev/null 2>&1 || true
  wait_for 30 sh -c "sinfo -h -p $PARTITION -o %t | grep -qE 'idle|mix|alloc'"
  sinfo
}

stop() {
  scancel --user="$(id -un)" >/dev/null 2>&1 || true
  for daemon in slurmd slurmctld slurmdbd; do pkill -x "$daemon" || true; done
  mysqladmin shutdown >/dev/null 2>&1 || true
  pkill -x munged || true
  echo "[slurm] stopped"
}

status() {
  for daemon in munged mariadbd slurmdbd slurmctld slurmd; do
    printf '%-10s %s\n' "$daemon" "$(running "$daemon" && echo running || echo stopped)"
  done
  sinfo 2>/dev/null || true
}

case "${1:-}" in
  start) start ;;
  stop) stop ;;
  status) status ;;
  *) echo "usage: $0 start|stop|status" >&2; exit 2 ;;
esac
