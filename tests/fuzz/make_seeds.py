#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""Regenerate the seed corpora in tests/fuzz/corpus/<target>/ (small files).

Each seed is a well-formed input for its target's layout (see the comment at
the top of each fuzz_*.c), so the fuzzer starts from valid rings, a working
virtio-mmio bring-up, real control commands, a valid Image/gzip/ELF and
realistic command lines, and mutates from there.
"""
import gzip
import os
import struct

HERE = os.path.dirname(os.path.abspath(__file__))
RAM = 0x40000000
F_NEXT, F_WRITE, F_INDIRECT = 1, 2, 4
PK_AVAIL, PK_USED = 1 << 7, 1 << 15
DESC, DRIVER, DEVICE, IND, BUF = 0x0, 0x80, 0x100, 0x180, 0x200


def write(target, name, data):
    d = os.path.join(HERE, "corpus", target)
    os.makedirs(d, exist_ok=True)
    with open(os.path.join(d, name), "wb") as f:
        f.write(data)


def put(img, off, data):
    if len(img) < off + len(data):
        img.extend(b"\0" * (off + len(data) - len(img)))
    img[off:off + len(data)] = data


def split_ring(size=8, writable_only=False):
    """Chains: 2-descriptor (out+in), indirect (out+in), and 1 in-only."""
    img = bytearray()
    if writable_only:
        for i in range(4):
            put(img, DESC + 16 * i, struct.pack("<QIHH", RAM + BUF + 0x100 * i, 0x100, F_WRITE, 0))
        put(img, DRIVER, struct.pack("<HH4HH", 0, 4, 0, 1, 2, 3, 0))
        return img
    put(img, DESC + 0, struct.pack("<QIHH", RAM + BUF, 64, F_NEXT, 1))
    put(img, DESC + 16, struct.pack("<QIHH", RAM + BUF + 0x40, 128, F_WRITE, 0))
    put(img, DESC + 32, struct.pack("<QIHH", RAM + IND, 32, F_INDIRECT, 0))
    put(img, DESC + 48, struct.pack("<QIHH", RAM + BUF + 0xc0, 16, F_WRITE, 0))
    put(img, IND, struct.pack("<QIHH", RAM + BUF + 0x100, 16, F_NEXT, 1))
    put(img, IND + 16, struct.pack("<QIHH", RAM + BUF + 0x110, 16, F_WRITE, 0))
    # avail: flags, idx, ring[size], used_event
    put(img, DRIVER, struct.pack("<HH3H", 0, 3, 0, 2, 3))
    put(img, BUF + 0x1ff, b"\0")
    return img


def packed_ring(writable_only=False):
    img = bytearray()
    a = PK_AVAIL  # first lap: wrap counter 1
    if writable_only:
        for i in range(4):
            put(img, DESC + 16 * i, struct.pack("<QIHH", RAM + BUF + 0x100 * i, 0x100, i, a | F_WRITE))
        return img
    put(img, DESC + 0, struct.pack("<QIHH", RAM + BUF, 64, 0, a | F_NEXT))
    put(img, DESC + 16, struct.pack("<QIHH", RAM + BUF + 0x40, 128, 0, a | F_WRITE))
    put(img, DESC + 32, struct.pack("<QIHH", RAM + IND, 32, 1, a | F_INDIRECT))
    put(img, DESC + 48, struct.pack("<QIHH", RAM + BUF + 0xc0, 16, 2, a | F_WRITE))
    put(img, IND, struct.pack("<QIHH", RAM + BUF + 0x100, 16, 0, 0))
    put(img, IND + 16, struct.pack("<QIHH", RAM + BUF + 0x110, 16, 0, F_WRITE))
    put(img, BUF + 0x1ff, b"\0")
    return img


def ring_ops(ops):
    return bytes([len(ops)]) + b"".join(struct.pack("<BBH", *o) for o in ops)


# op numbers from ring_fuzz.h
POP, PUSH, UNPOP, SHOULD_INT, SET_KICKS, HAS_AVAIL, DRV16, DESC16, BYTE, RESET = range(10)
RING_OPS = [(POP, 0, 0), (POP, 0, 0), (UNPOP, 0, 0), (POP, 0, 0), (PUSH, 1, 100),
            (SHOULD_INT, 0, 0), (POP, 0, 0), (PUSH, 0, 16), (PUSH, 0, 0), (SET_KICKS, 1, 0),
            (HAS_AVAIL, 0, 0), (DRV16, 1, 5), (POP, 0, 0), (SHOULD_INT, 0, 0), (RESET, 0, 0),
            (POP, 0, 0)]


def ring_hdr(size, flags):
    return struct.pack("<HBHHH", size, flags, DESC, DRIVER, DEVICE)


def seeds_rings():
    for flags in (0, 1, 3):
        write("split_ring", "chains-flags%d" % flags,
              ring_hdr(8, flags) + ring_ops(RING_OPS) + split_ring())
        write("packed_ring", "chains-flags%d" % flags,
              ring_hdr(8, flags) + ring_ops(RING_OPS) + packed_ring())
    write("packed_ring", "odd-size", ring_hdr(5, 3) + ring_ops(RING_OPS * 2) + packed_ring())


# virtio-mmio registers
R = dict(STATUS=0x70, DFSEL=0x24, DF=0x20, DEVFSEL=0x14, DEVF=0x10, QSEL=0x30, QMAX=0x34,
         QNUM=0x38, QREADY=0x44, QNOTIFY=0x50, ISR=0x60, ACK=0x64, DLO=0x80, DHI=0x84,
         DRLO=0x90, DRHI=0x94, DVLO=0xa0, DVHI=0xa4, GEN=0xfc,
         PAGESIZE=0x28, QALIGN=0x3c, QPFN=0x40)


def w(reg, v):
    return struct.pack("<BBI", 1, R[reg] // 4, v)


def rd(reg):
    return struct.pack("<BBI", 0, R[reg] // 4, 0)


def mmio_bringup(features_hi, features_lo, qbase=(0, 0x400)):
    ops = [w("STATUS", 1), w("STATUS", 3), rd("DEVF"), w("DEVFSEL", 1), rd("DEVF"),
           w("DFSEL", 0), w("DF", features_lo), w("DFSEL", 1), w("DF", features_hi),
           w("STATUS", 0xb), rd("STATUS")]
    for q, base in enumerate(qbase):
        ops += [w("QSEL", q), rd("QMAX"), w("QNUM", 8), w("DLO", RAM + base + DESC), w("DHI", 0),
                w("DRLO", RAM + base + DRIVER), w("DRHI", 0), w("DVLO", RAM + base + DEVICE),
                w("DVHI", 0), w("QREADY", 1)]
    ops += [w("STATUS", 0xf), w("QNOTIFY", 0), w("QNOTIFY", 1), rd("ISR"), w("ACK", 1),
            struct.pack("<BBI", 0x28, 0, 0), rd("STATUS"), w("STATUS", 0)]
    return ops


def seeds_mmio():
    lo = (1 << 28) | (1 << 29)  # INDIRECT_DESC, EVENT_IDX
    for name, hi, ring in (("split", 1, split_ring), ("packed", 1 | 4, packed_ring)):
        ops = mmio_bringup(hi, lo)
        img = bytearray()
        r = ring()
        put(img, 0, r)
        put(img, 0x400, r)
        write("virtio_mmio", name, struct.pack("<BHIBB", 2, 256, 0, 0, len(ops)) + b"".join(ops) + img)
    ops = mmio_bringup(1, 0)
    write("virtio_mmio", "no-ring-features", struct.pack("<BHIBB", 2, 256, 0, 0, len(ops)) + b"".join(ops) + split_ring())
    # Version 1 (mode bit 1): 1 KiB pages, QueueAlign 256 puts the used ring
    # at DEVICE, so the same ring images serve; then a rebind, and one PFN past RAM.
    img = bytearray()
    put(img, 0, split_ring())
    put(img, 0x400, split_ring())
    for name, pfns in (("legacy", (RAM // 1024, (RAM + 0x400) // 1024)),
                       ("legacy-pfn-outside-ram", (RAM // 1024, (RAM + 0x10000) // 1024))):
        ops = legacy_bringup(lo, pfns) + legacy_bringup(lo, pfns)
        write("virtio_mmio", name, struct.pack("<BHIBB", 2, 256, 0, 2, len(ops)) + b"".join(ops) + img)


def legacy_bringup(features, pfns):
    ops = [w("STATUS", 1), w("STATUS", 3), w("PAGESIZE", 1024), rd("DEVF"), w("DFSEL", 0),
           w("DF", features)]
    for q, pfn in enumerate(pfns):
        ops += [w("QSEL", q), rd("QPFN"), rd("QMAX"), w("QNUM", 8), w("QALIGN", 256),
                w("QPFN", pfn), rd("QPFN")]
    return ops + [w("STATUS", 7), w("QNOTIFY", 0), w("QNOTIFY", 1), rd("ISR"), w("ACK", 1),
                  rd("STATUS"), w("STATUS", 0)]


def seeds_net_ctrl():
    mac = bytes([2, 0, 0, 0, 0, 1])
    cmds = {
        "mq-pairs": bytes([4, 0]) + struct.pack("<H", 2),
        "rx-promisc": bytes([0, 0, 1]),
        "mac-addr": bytes([1, 1]) + mac,
        "mac-table": bytes([1, 0]) + struct.pack("<I", 1) + mac + struct.pack("<I", 2) + mac + mac,
        "vlan-add": bytes([2, 0, 5, 0]),
        "announce": bytes([3, 0]),
    }
    for name, c in cmds.items():
        write("net_ctrl", "parse-" + name, bytes([0, 16]) + c)
    for packed in (0, 1):
        img = bytearray()
        cmd = cmds["mq-pairs"]
        put(img, BUF, cmd)
        if packed:
            put(img, DESC, struct.pack("<QIHH", RAM + BUF, len(cmd), 0, PK_AVAIL | F_NEXT))
            put(img, DESC + 16, struct.pack("<QIHH", RAM + BUF + 0x100, 1, 0, PK_AVAIL | F_WRITE))
        else:
            put(img, DESC, struct.pack("<QIHH", RAM + BUF, 2, F_NEXT, 1))
            put(img, DESC + 16, struct.pack("<QIHH", RAM + BUF + 2, 2, F_NEXT, 2))
            put(img, DESC + 32, struct.pack("<QIHH", RAM + BUF + 0x100, 1, F_WRITE, 0))
            put(img, DRIVER, struct.pack("<HHH", 0, 1, 0))
        put(img, BUF + 0x1ff, b"\0")
        write("net_ctrl", "process-%s" % ("packed" if packed else "split"),
              bytes([1, 4, packed | 2]) + struct.pack("<HHHH", 8, DESC, DRIVER, DEVICE) + img)


def seeds_net_rx():
    frames = [(50, 0), (200, 0), (1500, 0), (40, 8)]
    body = bytes([len(frames)]) + b"".join(struct.pack("<HH", l, i) for l, i in frames)
    for name, flags, ring in (("split-mrg", 1 | 4, lambda: split_ring(writable_only=True)),
                              ("split-nomrg", 0, lambda: split_ring(writable_only=True)),
                              ("packed-mrg", 1 | 2 | 4, lambda: packed_ring(writable_only=True))):
        write("net_rx", name, bytes([flags]) + struct.pack("<HHHH", 8, DESC, DRIVER, DEVICE) + body + ring())


def arm64_image():
    hdr = struct.pack("<IIQQQQQQII", 0x91005a4d, 0x14000000, 0x80000, 0x10000, 0xa, 0, 0, 0,
                      0x644d5241, 0)
    return hdr + b"\x1f\x20\x03\xd5" * 16  # a few NOPs


def aarch64_elf():
    paddr, vaddr = 0x80010000, 0xffff800000010000
    code = b"\x1f\x20\x03\xd5" * 4
    eh = struct.pack("<16sHHIQQQIHHHHHH", b"\x7fELF\x02\x01\x01" + b"\0" * 9, 2, 183, 1, vaddr,
                     64, 0, 0, 64, 56, 1, 64, 0, 0)
    ph = struct.pack("<IIQQQQQQ", 1, 5, 64 + 56, vaddr, paddr, len(code), 0x1000, 0x10000)
    return eh + ph + code


def seeds_loader():
    initrd = struct.pack("<BHB", 2, 0x1000, 0)  # flags: initrd; 4 KiB
    write("loader", "image", initrd + arm64_image())
    write("loader", "image-unaligned-ram", struct.pack("<BHB", 3, 0x2345, 0) + arm64_image())
    write("loader", "image-gz", initrd + gzip.compress(arm64_image(), mtime=0))
    write("loader", "elf", initrd + aarch64_elf())
    write("loader", "elf-gz", struct.pack("<BHB", 0, 0, 0) + gzip.compress(aarch64_elf(), mtime=0))


def seeds_cli():
    lines = {
        "full": ["--kernel", "Image", "--mem", "512", "--cpus", "2", "--tap", "tap0", "--queues",
                 "4", "--mac", "02:00:00:00:00:01", "--vhost", "off", "--vhost-irq", "relay"],
        "equals": ["--kernel=vmlinuz", "--initrd=rd.cpio", "--cmdline=console=ttyS0", "--gic=v3",
                   "--timeout=10", "--quiet", "--console-log=log", "--dump-dtb=dtb",
                   "--tap=t", "--no-packed", "--vhost=auto"],
        "help": ["--help"],
        "version": ["--version"],
        "bad": ["--kernel", "k", "--cpus", "0x10", "--mem=15"],
        "smoke": ["--kernel", "k", "--expect", "login: ", "--fail-on", "(oops|BUG)",
                  "--fail-on=x[0-9]+$", "--no-default-fail-on", "--exit-device", "--timeout", "60"],
        "bad-regex": ["--kernel", "k", "--expect", "(x", "--fail-on", "a*"],
        "vhost-poll": ["--kernel", "k", "--tap", "t", "--vhost-poll-us", "50", "--vhost-poll-us=1001"],
        "worker-sched": ["--kernel", "k", "--tap", "t", "--worker-sched", "batch", "--worker-sched=fifo"],
        "worker-poll": ["--kernel", "k", "--tap", "t", "--vhost", "off", "--worker-poll-us", "50", "--worker-poll-us=1001"],
    }
    for name, argv in lines.items():
        write("cli", name, b"\0".join(a.encode() for a in argv))


def seeds_console():
    boot = (b"[    0.000000] Booting Linux\r\n[    1.0] Run /init as init process\r\n"
            b"guest-test: started\r\nlogin: ")
    write("console", "boot", bytes([6]) + boot)
    write("console", "panic", bytes([0]) + b"x\n[    2.1] Kernel panic - not syncing: VFS\r\n")
    write("console", "long-line", bytes([255]) + b"ab" * 5000 + b"\nERROR 42\n")


def seeds_guest_walk():
    """4 KiB granule, 39-bit kernel VAs (T1SZ 25: two table levels, so the
    seed fits libFuzzer's 8 KiB max_len): the kernel and a stack in 2 MiB
    blocks, three frame records on the stack; and the same with the MMU
    off. Guest RAM is at 0x80000000 in this target."""
    ram = 0x80000000
    tcr = (2 << 30) | (25 << 16) | 25
    l1, l2, frames = 0x0, 0x1000, 0x1800
    kva, sblock = 0xffffffc008000000, 0xffffffc010000000
    sva = sblock + frames
    img = bytearray()
    put(img, l1 + ((kva >> 30) & 0x1ff) * 8, struct.pack("<Q", ram + l2 | 3))
    put(img, l2 + ((kva >> 21) & 0x1ff) * 8, struct.pack("<Q", ram | 0x401))
    put(img, l2 + ((sblock >> 21) & 0x1ff) * 8, struct.pack("<Q", ram | 0x401))
    for i, (nxt, ret) in enumerate(((sva + 0x20, kva + 0x100), (sva + 0x40, kva + 0x200),
                                    (0, kva + 0x300))):
        put(img, frames + i * 0x20, struct.pack("<QQ", nxt, ret))
    regs = struct.pack("<QQQQQQQ", 1, tcr, 0, ram + l1, sva, kva + 0x80, kva + 0x90)
    write("guest_walk", "linux-4k-39bit", regs + bytes(img))
    flat = struct.pack("<QQQQQQQ", 0, 0, 0, 0, ram + 0x100, ram, ram + 4)
    write("guest_walk", "mmu-off", flat + struct.pack("<QQ", 0, ram + 8) * 17)


def pci_op(write, size, target, offset, value):
    code = {1: 0, 2: 1, 4: 2, 8: 3}[size]
    return struct.pack("<BII", (1 if write else 0) | code << 1 | target << 3, offset, value)


def seeds_pci():
    """Linux's bring-up of slot 3 (tests/fuzz/fuzz_pci.c): size and place
    both BARs, enable memory, enable MSI-X with the function masked, program
    and unmask four vectors, fire them, mask and fire one, read the PBA."""
    ECAM, WIN32, FIRE, CAP = 0, 2, 4, 0x40
    ops = [pci_op(0, 4, ECAM, 0, 0), pci_op(0, 2, ECAM, 0x06, 0), pci_op(0, 1, ECAM, 0x34, 0)]
    for bar in (0x10, 0x18, 0x1c):
        ops += [pci_op(1, 4, ECAM, bar, 0xffffffff), pci_op(0, 4, ECAM, bar, 0),
                pci_op(1, 4, ECAM, bar, 0)]
    ops += [pci_op(1, 4, ECAM, 0x10, 0x40000000), pci_op(1, 4, ECAM, 0x1c, 0x80),
            pci_op(1, 2, ECAM, 0x04, 0x6), pci_op(0, 2, ECAM, CAP + 2, 0),
            pci_op(1, 2, ECAM, CAP + 2, 0xc000)]
    for v in range(4):
        e = 16 * v
        ops += [pci_op(1, 4, WIN32, e, 0x08090040), pci_op(1, 4, WIN32, e + 4, 0),
                pci_op(1, 4, WIN32, e + 8, 32 + 64 + v), pci_op(1, 4, WIN32, e + 12, 0)]
    ops += [pci_op(1, 2, ECAM, CAP + 2, 0x8000)]
    ops += [pci_op(1, 4, FIRE, v, 0) for v in range(4)]
    ops += [pci_op(1, 4, WIN32, 16 + 12, 1), pci_op(1, 4, FIRE, 1, 0),
            pci_op(0, 8, WIN32, 0x800, 0), pci_op(1, 4, WIN32, 16 + 12, 0),
            pci_op(0, 4, 3, 0, 0), pci_op(0, 4, 1, 5 << 15, 0)]
    write("pci", "linux-bringup", struct.pack("<BB", 3, len(ops)) + b"".join(ops))
    # The same with all 64 vectors and the 64-bit window used for BAR2.
    write("pci", "max-vectors", struct.pack("<BB", 63, len(ops)) + b"".join(ops))
    # vhost holds a message for masked vector 1 (kind bits 6-7 = 1), INTx
    # raised (2) with INTX_DISABLE set and cleared, then a reboot (3) and
    # the bring-up again.
    extra = [pci_op(1, 4, WIN32, 16 + 12, 1), struct.pack("<BII", 0x40, 1, 0),
             pci_op(0, 8, WIN32, 0x800, 0), struct.pack("<BII", 0x80, 0, 1),
             pci_op(1, 2, ECAM, 0x04, 0x406), pci_op(0, 2, ECAM, 0x06, 0),
             pci_op(1, 2, ECAM, 0x04, 0x6), pci_op(1, 1, ECAM, 0x3c, 0x2b),
             struct.pack("<BII", 0xc0, 0, 0)]
    again = ops + extra + ops
    write("pci", "reboot", struct.pack("<BB", 3, len(again)) + b"".join(again))


def vpci_op(write, size, target, offset, value):
    code = {1: 0, 2: 1, 4: 2, 8: 3}[size]
    return struct.pack("<BHI", (1 if write else 0) | code << 1 | target << 3, offset, value)


def seeds_virtio_pci():
    """Linux's virtio_pci_modern bring-up (tests/fuzz/fuzz_virtio_pci.c):
    BARs at 0x40000000/0x40010000, MSI-X on (its capability follows the four
    virtio ones and the PCI_CFG one, at 0x98), features, one queue with vector 1, DRIVER_OK, a
    kick, vectors unmasked, interrupts; then the same with MSI-X off."""
    ECAM, COMMON, BAR0, BAR1, IRQ, CONFIG = 0, 1, 2, 3, 4, 5
    ops = [vpci_op(1, 4, ECAM, 0x10, 0x40000000), vpci_op(1, 4, ECAM, 0x14, 0x40010000),
           vpci_op(1, 2, ECAM, 0x04, 0x6), vpci_op(1, 2, ECAM, 0x9a, 0x8000)]
    ops += [vpci_op(1, 1, COMMON, 20, v) for v in (0, 1, 3)]
    ops += [vpci_op(0, 4, COMMON, 4, 0), vpci_op(1, 4, COMMON, 8, 1), vpci_op(1, 4, COMMON, 12, 1),
            vpci_op(1, 1, COMMON, 20, 11), vpci_op(0, 1, COMMON, 20, 0), vpci_op(1, 2, COMMON, 16, 0),
            vpci_op(1, 2, COMMON, 22, 0), vpci_op(0, 2, COMMON, 24, 0), vpci_op(1, 2, COMMON, 24, 64),
            vpci_op(1, 2, COMMON, 26, 1), vpci_op(1, 4, COMMON, 32, 0x80000000),
            vpci_op(1, 4, COMMON, 36, 0), vpci_op(1, 4, COMMON, 40, 0x80001000),
            vpci_op(1, 4, COMMON, 44, 0), vpci_op(1, 4, COMMON, 48, 0x80002000),
            vpci_op(1, 4, COMMON, 52, 0), vpci_op(1, 2, COMMON, 28, 1), vpci_op(1, 1, COMMON, 20, 15),
            vpci_op(1, 2, BAR0, 0x3000, 0)]
    ops += [vpci_op(1, 4, BAR1, 16 * v + 12, 0) for v in range(2)]
    ops += [vpci_op(1, 4, IRQ, 0, 1), vpci_op(1, 4, CONFIG, 0, 0), vpci_op(0, 1, BAR0, 0x1000, 0),
            vpci_op(0, 8, BAR1, 0x8000, 0), vpci_op(0, 1, BAR0, 0x2000, 0)]
    write("virtio_pci", "linux-bringup", struct.pack("<BBB", 2, 3, len(ops)) + b"".join(ops))
    intx = ops[:3] + ops[4:]
    write("virtio_pci", "intx", struct.pack("<BBB", 2, 0, len(intx)) + b"".join(intx))
    # INTx disabled and enabled around an interrupt, then a reboot (kind
    # bits 6-7) and the same bring-up again: the second boot starts clean.
    gate = [vpci_op(1, 2, ECAM, 0x04, 0x406), vpci_op(1, 4, IRQ, 0, 1),
            vpci_op(0, 2, ECAM, 0x06, 0), vpci_op(1, 2, ECAM, 0x04, 0x6),
            vpci_op(0, 1, BAR0, 0x1000, 0)]
    reboot = [struct.pack("<BHI", 0xc0, 0, 0)]
    again = intx + gate + reboot + intx
    write("virtio_pci", "intx-reboot", struct.pack("<BBB", 2, 0, len(again)) + b"".join(again))
    # A queue size above the maximum (256): DRIVER_OK must refuse it.
    big = [op if op != vpci_op(1, 2, COMMON, 24, 64) else vpci_op(1, 2, COMMON, 24, 512)
           for op in ops]
    write("virtio_pci", "oversized-queue", struct.pack("<BBB", 2, 3, len(big)) + b"".join(big))


def msi_op(kind, offset=0, value=0):
    return struct.pack("<BII", kind, offset, value)


def msi_seed(doorbell, data_base, bad_data):
    """tests/fuzz/fuzz_msi.c: Linux enables MSI-X with the function masked,
    programs and unmasks four vectors, vhost signals each; one is masked
    and signalled (the PBA shows it), KVM refuses a route while vhost
    signals another, a message goes bad, then a reboot and a second boot."""
    TABLE, READ, CTRL, FIRE, VHOST, REFUSE, REBOOT = 0, 1, 2, 3, 4, 5, 6
    boot = [msi_op(CTRL, 0, 0xc000)]
    for v in range(4):
        boot += [msi_op(TABLE, 16 * v, doorbell), msi_op(TABLE, 16 * v + 4, 0),
                 msi_op(TABLE, 16 * v + 8, data_base + v), msi_op(TABLE, 16 * v + 12, 0)]
    boot += [msi_op(CTRL, 0, 0x8000)]
    ops = boot + [msi_op(VHOST, v) for v in range(4)]
    ops += [msi_op(TABLE, 16 + 12, 1), msi_op(VHOST, 1), msi_op(READ | 8, 0x800),
            msi_op(REFUSE, 0, 1), msi_op(TABLE, 32 + 8, data_base + 9), msi_op(VHOST, 2),
            msi_op(FIRE, 2), msi_op(REFUSE, 0, 0), msi_op(TABLE, 32 + 8, data_base + 2),
            msi_op(TABLE, 48 + 8, bad_data), msi_op(VHOST, 3), msi_op(REFUSE, 0, 2),
            msi_op(TABLE, 16 + 12, 0), msi_op(REFUSE, 0, 0), msi_op(VHOST, 1),
            msi_op(TABLE, 12, 1), msi_op(VHOST, 0), msi_op(REBOOT)]
    ops += boot + [msi_op(VHOST, 0), msi_op(7)]
    return ops


def seeds_msi():
    its = msi_seed(0x08090040, 0, 0x7fffffff)
    write("msi", "its", struct.pack("<BBB", 2, 3, len(its)) + b"".join(its))
    v2m = msi_seed(0x08020040, 32 + 64, 33)
    write("msi", "gicv2m", struct.pack("<BBB", 1, 3, len(v2m)) + b"".join(v2m))


def prime_op(write, size, offset, value, action=0):
    """One step of fuzz_pl011.c / fuzz_pl031.c: an MMIO access (action 0) or a host event."""
    code = {0: 0, 1: 0, 2: 1, 4: 2, 8: 3, 3: 4}[size]  # 0: an event, no access
    return struct.pack("<BHI", (1 if write else 0) | code << 1 | action << 4, offset, value)


def seeds_pl011():
    """Linux on a PL011 (tests/fuzz/fuzz_pl011.c): the AMBA bus reads the IDs,
    earlycon writes bytes and polls FR, amba-pl011 programs 115200 8n1 with
    FIFOs and RX/RT interrupts, input arrives and is read, a reboot; then a
    loopback self-test and a polled bare-metal driver."""
    DR, FR, IBRD, FBRD, LCRH, CR, IFLS, IMSC, ICR = 0, 0x18, 0x24, 0x28, 0x2c, 0x30, 0x34, 0x38, 0x44
    ops = [prime_op(0, 4, 0xfe0 + 4 * i, 0) for i in range(8)]
    for c in b"Booting":
        ops += [prime_op(0, 4, FR, 0), prime_op(1, 1, DR, c), prime_op(0, 4, FR, 0)]
    ops += [prime_op(1, 2, CR, 0), prime_op(1, 2, IBRD, 13), prime_op(1, 2, FBRD, 1),
            prime_op(1, 2, LCRH, 0x70), prime_op(1, 2, IFLS, 0x12),
            prime_op(1, 2, CR, 0x301), prime_op(1, 2, ICR, 0x7f0), prime_op(1, 2, IMSC, 0x50),
            prime_op(0, 0, 0, 0x6c0005, 2), prime_op(0, 2, 0x40, 0)]
    ops += [prime_op(0, 2, FR, 0), prime_op(0, 2, DR, 0)] * 6
    ops += [prime_op(1, 2, IMSC, 0x70), prime_op(1, 2, DR, ord("$")), prime_op(0, 2, 0x3c, 0),
            prime_op(1, 2, ICR, 0x20), prime_op(0, 0, 0, 0x410012, 2), prime_op(0, 0, 0, 0, 3),
            prime_op(0, 4, CR, 0)]
    write("pl011", "linux", b"".join(ops))
    loop = [prime_op(1, 4, LCRH, 0x70), prime_op(1, 4, CR, 0x3f81), prime_op(1, 4, IMSC, 0x7ff)]
    loop += [prime_op(1, 4, DR, 0x41 + i) for i in range(18)]
    loop += [prime_op(0, 4, 0x04, 0), prime_op(1, 4, LCRH, 0x71), prime_op(0, 4, DR, 0)] * 2
    loop += [prime_op(0, 0, 0, 0x300003, 2), prime_op(1, 4, 0x04, 0), prime_op(1, 4, CR, 0x301)]
    write("pl011", "loopback", b"".join(loop))
    polled = [prime_op(1, 4, DR, c) for c in b"hello\n"]
    polled += [prime_op(0, 0, 0, 0x780001, 2), prime_op(0, 1, FR, 0), prime_op(0, 1, DR, 0),
               prime_op(0, 8, DR, 0), prime_op(1, 1, CR + 1, 0xff), prime_op(0, 3, 0xffd, 0)]
    write("pl011", "bare-metal", b"".join(polled))


def seeds_pl031():
    """Linux's rtc-pl031 (tests/fuzz/fuzz_pl031.c): IDs, start, read the time,
    set it, an alarm 5 s ahead that the host timer delivers, clear it; then a
    reboot, the host's clock set back, and a load that wraps the counter."""
    DR, MR, LR, CR, IMSC, RIS, MIS, ICR = 0, 4, 8, 0xc, 0x10, 0x14, 0x18, 0x1c
    ops = [prime_op(0, 4, 0xfe0 + 4 * i, 0) for i in range(8)]
    ops += [prime_op(0, 4, CR, 0), prime_op(1, 4, CR, 1), prime_op(0, 4, DR, 0),
            prime_op(1, 4, LR, 1700000100), prime_op(1, 4, MR, 1700000105),
            prime_op(1, 4, IMSC, 1), prime_op(0, 0, 0, 1000000000, 1),
            prime_op(0, 0, 0, 0, 2), prime_op(0, 0, 0, 1000000000, 1),
            prime_op(0, 0, 0, 0, 2), prime_op(0, 4, MIS, 0), prime_op(1, 4, ICR, 1),
            prime_op(0, 4, RIS, 0), prime_op(0, 0, 0, 0, 3),
            prime_op(1, 0, 0, 1600000000, 3), prime_op(1, 4, LR, 0xfffffffe),
            prime_op(1, 4, MR, 1), prime_op(0, 0, 0, 0xffffffff, 1), prime_op(0, 0, 0, 0, 2),
            prime_op(0, 1, DR + 2, 0), prime_op(0, 8, MR, 0)]
    write("pl031", "linux", b"".join(ops))


if __name__ == "__main__":
    seeds_rings()
    seeds_mmio()
    seeds_net_ctrl()
    seeds_net_rx()
    seeds_loader()
    seeds_cli()
    seeds_console()
    seeds_guest_walk()
    seeds_pci()
    seeds_virtio_pci()
    seeds_pl011()
    seeds_pl031()
    seeds_msi()
