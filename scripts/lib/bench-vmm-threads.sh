# shellcheck shell=sh
# Sourced by bench-host.sh and bench-latency.sh (in the emulated host, from
# the share): where a VMM's KVM counters and its threads' run time are.

# kvm_dir: the VM's debugfs directory for $PID (QEMU also makes a
# short-lived scratch VM to probe the CPU: take the live one with the most
# exits).
kvm_dir() {
  best='' bestn=-1
  for d in /sys/kernel/debug/kvm/"$PID"-*; do
    [ -r "$d/exits" ] || continue
    n=$(cat "$d/exits" 2>/dev/null) || continue
    [ "$n" -gt "$bestn" ] && best=$d bestn=$n
  done
  echo "$best"
}

# vmm_threads: one "CLASS TID NS" line per thread of $PID and per vhost
# worker, NS its run time (schedstat). CLASS g: a vCPU thread (tinyvmm
# vcpuN, QEMU "CPU N/KVM"); v: a vhost-PID worker, a kernel thread (Linux
# < 6.4) or a thread of the VMM (6.4+); o: every other thread of the VMM.
vmm_threads() {
  for t in /proc/"$PID"/task/[0-9]*; do
    read -r name <"$t/comm" 2>/dev/null || continue
    read -r ns _ <"$t/schedstat" 2>/dev/null || continue
    case $name in
      vcpu[0-9]* | "CPU "*/KVM) echo "g ${t##*/} $ns" ;;
      vhost-*) echo "v ${t##*/} $ns" ;;
      *) echo "o ${t##*/} $ns" ;;
    esac
  done
  for c in /proc/[0-9]*/comm; do
    read -r name <"$c" 2>/dev/null || continue
    [ "$name" = "vhost-$PID" ] || continue
    p=${c%/comm}
    [ "${p#/proc/}" = "$PID" ] && continue
    read -r ns _ <"$p/schedstat" 2>/dev/null && echo "v ${p#/proc/} $ns"
  done
}
