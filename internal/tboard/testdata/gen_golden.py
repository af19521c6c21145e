"""Writes golden.tfevents: two TFRecord-framed tensorflow.Event records built by hand, independently
of the Go encoder (protobuf fields written byte by byte, CRC-32C from crcmod, masked as TensorFlow's
record writer does). Run with /usr/bin/python3 (Debian's python3-crcmod):

    python3 internal/tboard/testdata/gen_golden.py > internal/tboard/testdata/golden.tfevents
"""
import struct
import sys

import crcmod.predefined

crc32c = crcmod.predefined.mkCrcFun("crc-32c")


def masked(b):
    c = crc32c(b)
    return ((c >> 15) | (c << 17)) + 0xA282EAD8 & 0xFFFFFFFF


def record(payload):
    head = struct.pack("<Q", len(payload))
    return head + struct.pack("<I", masked(head)) + payload + struct.pack("<I", masked(payload))


def ld(field, b):  # length-delimited field, lengths below 128
    assert len(b) < 128
    return bytes([field << 3 | 2, len(b)]) + b


first = b"\x09" + struct.pack("<d", 1.5) + ld(3, b"brain.Event:2")
value = ld(1, b"train/loss") + b"\x15" + struct.pack("<f", 2.25)
second = b"\x09" + struct.pack("<d", 2.5) + b"\x10" + bytes([300 & 0x7F | 0x80, 300 >> 7]) + ld(5, ld(1, value))
sys.stdout.buffer.write(record(first) + record(second))
