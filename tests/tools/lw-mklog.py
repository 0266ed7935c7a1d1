#!/usr/bin/env python3
"""Write a synthetic dm-log-writes log in the kernel's on-disk format, and the
device images lw-replay is expected to produce from it (for selftest.sh).

Format (drivers/md/dm-log-writes.c, version 1, little-endian):
  block 0: struct log_write_super {u64 magic, u64 version, u64 nr_entries,
           u32 sectorsize} = 28 bytes + 4 bytes tail padding, zero-filled
           to one sectorsize block.
  then per entry: one block holding struct log_write_entry {u64 sector,
           u64 nr_sectors, u64 flags, u64 data_len} (32 bytes), followed for
           a MARK by the name (data_len bytes, no NUL), zero-filled to the
           block; then nr_sectors blocks of data unless DISCARD.
  sector / nr_sectors count sectorsize blocks.

usage:
  lw-mklog.py log FILE [--sectorsize N] [--pad-blocks N] [--magic X]
                       [--version V] [--nr-entries N] [--truncate BYTES]
  lw-mklog.py image FILE [--sectorsize N] [--entries I,J,...]
      FILE = a DEV_BLOCKS-block device pre-filled with 0xEE, then the given
      scenario entries applied in the given order (write data, or zeros for
      a discard).  --entries '' gives the fresh device.
  lw-mklog.py info    print the scenario
"""
import argparse
import random
import struct
import sys

FLUSH, FUA, DISCARD, MARK, META = 1, 2, 4, 8, 16
MAGIC = 0x6a736677736872
VERSION = 1
DEV_BLOCKS = 64
FILL = 0xEE


def scenario(ss):
    """(kind, sector, nr_sectors, flags, mark name) for every entry."""
    long_mark = 'L' * (ss - 32 - 1)  # longest mark the kernel keeps
    return [
        ('w', 0, 4, 0, None),              # 0
        ('w', 16, 8, META, None),          # 1
        ('m', 0, 0, MARK, 'mkfs'),         # 2
        ('w', 2, 4, 0, None),              # 3 overlaps 0
        ('d', 18, 2, DISCARD, None),       # 4 discards part of 1
        ('f', 0, 0, FLUSH, None),          # 5 empty flush
        ('w', 30, 2, 0, None),             # 6
        ('w', 40, 1, FUA, None),           # 7
        ('w', 24, 2, FLUSH, None),         # 8 flush with data, no FUA
        ('w', 44, 2, FLUSH | FUA, None),   # 9 commit block: last flush
        ('m', 0, 0, MARK, 'fsync'),        # 10
        ('w', 0, 2, 0, None),              # 11 not durable
        ('w', 50, 3, FUA, None),           # 12 durable by FUA
        ('d', 40, 1, DISCARD, None),       # 13 not durable
        ('w', 44, 1, META, None),          # 14 not durable
        ('m', 0, 0, MARK, long_mark),      # 15
        ('m', 0, 0, MARK, 'dm-log-writes-end'),  # 16
    ]


def data_for(i, nbytes, ss):
    return random.Random(i * 7919 + ss).randbytes(nbytes)


def block(payload, ss):
    assert len(payload) <= ss
    return payload + bytes(ss - len(payload))


def write_log(a):
    ss = a.sectorsize
    ents = scenario(ss)
    nr = len(ents) if a.nr_entries is None else a.nr_entries
    out = bytearray(block(struct.pack('<QQQI', a.magic, a.version, nr, ss)
                          + bytes(4), ss))
    for i, (kind, sector, n, flags, name) in enumerate(ents):
        name_b = name.encode() if name is not None else b''
        out += block(struct.pack('<QQQQ', sector, n, flags, len(name_b))
                     + name_b, ss)
        if not flags & DISCARD:
            out += data_for(i, n * ss, ss)
    out += bytes(a.pad_blocks * ss)  # unused rest of the log device
    if a.truncate is not None:
        del out[a.truncate:]
    with open(a.file, 'wb') as f:
        f.write(out)


def write_image(a):
    ss = a.sectorsize
    ents = scenario(ss)
    img = bytearray([FILL]) * (DEV_BLOCKS * ss)
    idx = [int(x) for x in a.entries.split(',') if x.strip()]
    for i in idx:
        kind, sector, n, flags, _ = ents[i]
        assert kind in 'wd', 'entry %d writes nothing' % i
        data = bytes(n * ss) if kind == 'd' else data_for(i, n * ss, ss)
        img[sector * ss:(sector + n) * ss] = data
    with open(a.file, 'wb') as f:
        f.write(img)


def main():
    p = argparse.ArgumentParser()
    sub = p.add_subparsers(dest='cmd', required=True)
    pl = sub.add_parser('log')
    pl.add_argument('file')
    pl.add_argument('--sectorsize', type=int, default=512)
    pl.add_argument('--pad-blocks', type=int, default=32)
    pl.add_argument('--magic', type=lambda s: int(s, 0), default=MAGIC)
    pl.add_argument('--version', type=int, default=VERSION)
    pl.add_argument('--nr-entries', type=int)
    pl.add_argument('--truncate', type=int)
    pi = sub.add_parser('image')
    pi.add_argument('file')
    pi.add_argument('--sectorsize', type=int, default=512)
    pi.add_argument('--entries', default='')
    sub.add_parser('info')
    a = p.parse_args()
    if a.cmd == 'log':
        write_log(a)
    elif a.cmd == 'image':
        write_image(a)
    else:
        for i, e in enumerate(scenario(512)):
            print(i, e[:4], (e[4] or '')[:20])
    return 0


if __name__ == '__main__':
    sys.exit(main())
