#!/bin/busybox sh
# /init of vmmi's lab guest (BusyBox initramfs, Debian cloud kernel, no disk).
# The cloud kernel has virtio as modules and no CONFIG_IP_PNP (`ip=` does nothing), so this script loads
# the modules in dependency order and takes its addresses from custom kernel command-line keys:
#   labip=198.18.10.100/24 labgw=198.18.10.1 labip6=2001:2:0:10::100/64 labgw6=2001:2:0:10::1
#   labudp=7 labtcp=7   (reflector ports; defaults 7 and 7)
#   labctl=0            (reflector's control port; 0: none)
#   labmem=16 labmemu=1000 labmemv=8192
#                       (memcheck: MiB under check, page rewrites/s, page verifications/s; labmem=0: off)
# The memory dirtier (/bin/dirtier) is not started here: the reflector starts and stops it on the control
# port's `dirty start RATE_MIBS WSS_MIB` / `dirty stop` (lab-assets/udprefl.c).
# It prints "LAB-GUEST-READY <uptime> <labip>" on the serial console once the reflector runs.
/bin/busybox --install -s /bin
mount -t proc proc /proc
mount -t sysfs sys /sys
mount -t devtmpfs dev /dev
for m in virtio_ring virtio virtio_pci_legacy_dev virtio_pci_modern_dev virtio_pci failover net_failover virtio_net; do
  [ -e /lib/modules/$m.ko ] && insmod /lib/modules/$m.ko
done
labudp=7
labtcp=7
labctl=0
labmem=16
labmemu=1000
labmemv=8192
for kv in $(cat /proc/cmdline); do
  case "$kv" in lab*=*) export "$kv" ;; esac
done
ip link set dev lo up
n=0
while [ ! -e /sys/class/net/eth0 ] && [ $n -lt 50 ]; do sleep 0.1; n=$((n + 1)); done
# BusyBox ip rejects `nodad`; turn DAD off before adding the IPv6 address so it is usable at once.
echo 0 > /proc/sys/net/ipv6/conf/eth0/accept_dad 2>/dev/null
echo 0 > /proc/sys/net/ipv6/conf/default/accept_dad 2>/dev/null
ip link set dev eth0 up
[ -n "$labip" ] && ip addr add "$labip" dev eth0
[ -n "$labgw" ] && ip route add default via "$labgw"
[ -n "$labip6" ] && ip -6 addr add "$labip6" dev eth0
[ -n "$labgw6" ] && ip -6 route add default via "$labgw6" dev eth0
[ "$labmem" != 0 ] && /bin/memcheck -m "$labmem" -u "$labmemu" -v "$labmemv" &
/bin/udprefl "$labudp" "$labtcp" "$labctl" &
echo "LAB-GUEST-READY $(cut -d' ' -f1 /proc/uptime) $labip $labip6"
exec setsid sh -c 'exec sh </dev/ttyS0 >/dev/ttyS0 2>&1'
