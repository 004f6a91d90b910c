#!/usr/bin/python3
"""Writes each byte array of protobuf_captures.h (kubectl 1.33's protobuf
request bodies) as one seed file for fuzz_protobuf.
Usage: seed_protobuf.py CAPTURES_H OUT_DIR"""
import os
import re
import sys


def main():
    text = open(sys.argv[1]).read()
    n = 0
    for name, body in re.findall(r"unsigned char (\w+)\[\] = \{(.*?)\};", text, re.S):
        data = bytes(int(x, 16) for x in re.findall(r"0x([0-9a-fA-F]{2})", body))
        with open(os.path.join(sys.argv[2], name), "wb") as f:
            f.write(data)
        n += 1
    if n == 0:
        sys.exit("seed_protobuf: no byte arrays in %s" % sys.argv[1])


if __name__ == "__main__":
    main()
