#!/usr/bin/env python3
"""Packs a root filesystem directory into a one-layer OCI image-layout tar.

Used by scripts/build-nginx-image.sh. The output is what containerd's
`ctr images import` (and k1s's image import) expects: `oci-layout`,
`index.json` and the manifest, config and gzip layer blobs under
`blobs/sha256/`. Everything that could vary between two builds of the same
files is pinned (mtimes, owners, entry order, gzip header, JSON key order), so
the same host files give the same digests.
"""

import argparse
import gzip
import hashlib
import io
import json
import os
import stat
import sys
import tarfile
import time

# 2020-01-01T00:00:00Z: any fixed instant will do; 0 upsets some tools.
DEFAULT_EPOCH = 1577836800

MT_INDEX = "application/vnd.oci.image.index.v1+json"
MT_MANIFEST = "application/vnd.oci.image.manifest.v1+json"
MT_CONFIG = "application/vnd.oci.image.config.v1+json"
MT_LAYER_GZIP = "application/vnd.oci.image.layer.v1.tar+gzip"

# dpkg architecture names -> (GOARCH, variant) as image configs spell them.
DPKG_TO_OCI_ARCH = {
    "amd64": ("amd64", None),
    "arm64": ("arm64", "v8"),
    "armhf": ("arm", "v7"),
    "armel": ("arm", "v6"),
    "i386": ("386", None),
    "ppc64el": ("ppc64le", None),
    "s390x": ("s390x", None),
    "riscv64": ("riscv64", None),
}


def normalize_reference(name):
    """Completes a short image name the way the CRI does when it looks one
    up (`nginx` -> `docker.io/library/nginx:latest`), so the imported image
    is found under the name a pod spec uses."""
    first, sep, rest = name.partition("/")
    if not sep or not ("." in first or ":" in first or first == "localhost"):
        name = "docker.io/" + ("library/" + name if not sep else name)
    last = name.rsplit("/", 1)[-1]
    if "@" not in last and ":" not in last:
        name += ":latest"
    return name


def sha256_digest(data):
    return "sha256:" + hashlib.sha256(data).hexdigest()


def canonical_json(obj):
    return json.dumps(obj, sort_keys=True, separators=(",", ":")).encode()


def layer_entry(root, rel, epoch):
    """One tar header for rootfs path `rel`, owned by root, fixed mtime. Built
    from lstat by hand so tarfile never turns copies into hard links."""
    path = os.path.join(root, rel)
    st = os.lstat(path)
    info = tarfile.TarInfo(rel)
    info.mode = stat.S_IMODE(st.st_mode)
    info.uid = info.gid = 0
    info.uname = info.gname = "root"
    info.mtime = epoch
    if stat.S_ISDIR(st.st_mode):
        info.type = tarfile.DIRTYPE
    elif stat.S_ISLNK(st.st_mode):
        info.type = tarfile.SYMTYPE
        info.linkname = os.readlink(path)
    elif stat.S_ISREG(st.st_mode):
        info.type = tarfile.REGTYPE
        info.size = st.st_size
    else:
        raise SystemExit(f"oci_layout: {path}: only files, dirs and symlinks")
    return info, path


def build_layer(root, epoch):
    """The uncompressed layer tar of `root`, entries in sorted order."""
    rels = []
    for dirpath, dirnames, filenames in os.walk(root):
        dirnames.sort()
        base = os.path.relpath(dirpath, root)
        for n in sorted(dirnames + filenames):
            rels.append(n if base == "." else os.path.join(base, n))
    rels.sort()
    buf = io.BytesIO()
    with tarfile.open(fileobj=buf, mode="w", format=tarfile.PAX_FORMAT) as tar:
        for rel in rels:
            info, path = layer_entry(root, rel, epoch)
            if info.type == tarfile.REGTYPE:
                with open(path, "rb") as f:
                    tar.addfile(info, f)
            else:
                tar.addfile(info)
    return buf.getvalue()


def add_bytes(tar, name, data, epoch, mode=0o644):
    info = tarfile.TarInfo(name)
    info.size = len(data)
    info.mode = mode
    info.mtime = epoch
    info.uname = info.gname = "root"
    tar.addfile(info, io.BytesIO(data))


def add_dir(tar, name, epoch):
    info = tarfile.TarInfo(name)
    info.type = tarfile.DIRTYPE
    info.mode = 0o755
    info.mtime = epoch
    info.uname = info.gname = "root"
    tar.addfile(info)


def image_config(args, diff_id, arch, variant, created):
    cfg = {
        "Env": args.env,
        "Cmd": args.cmd,
    }
    if args.entrypoint:
        cfg["Entrypoint"] = args.entrypoint
    if args.port:
        cfg["ExposedPorts"] = {p if "/" in p else p + "/tcp": {} for p in args.port}
    if args.stop_signal:
        cfg["StopSignal"] = args.stop_signal
    if args.label:
        cfg["Labels"] = dict(kv.split("=", 1) for kv in args.label)
    config = {
        "created": created,
        "architecture": arch,
        "os": "linux",
        "config": cfg,
        "rootfs": {"type": "layers", "diff_ids": [diff_id]},
        "history": [{"created": created, "created_by": args.created_by}],
    }
    if variant:
        config["variant"] = variant
    return config


def build(args):
    epoch = args.epoch
    created = time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(epoch))
    arch, variant = DPKG_TO_OCI_ARCH.get(args.arch, (args.arch, None))
    name = normalize_reference(args.name)

    layer_tar = build_layer(args.rootfs, epoch)
    diff_id = sha256_digest(layer_tar)
    # mtime=0 and no file name keep the gzip header identical across builds.
    layer = gzip.compress(layer_tar, compresslevel=args.level, mtime=0)

    config = canonical_json(image_config(args, diff_id, arch, variant, created))
    manifest = canonical_json({
        "schemaVersion": 2,
        "mediaType": MT_MANIFEST,
        "config": {"mediaType": MT_CONFIG, "digest": sha256_digest(config),
                   "size": len(config)},
        "layers": [{"mediaType": MT_LAYER_GZIP, "digest": sha256_digest(layer),
                    "size": len(layer)}],
    })
    platform = {"architecture": arch, "os": "linux"}
    if variant:
        platform["variant"] = variant
    index = canonical_json({
        "schemaVersion": 2,
        "mediaType": MT_INDEX,
        "manifests": [{
            "mediaType": MT_MANIFEST,
            "digest": sha256_digest(manifest),
            "size": len(manifest),
            "platform": platform,
            # containerd 1.6 keeps the name only from its own annotation;
            # the OCI one is for every other reader of image layouts.
            "annotations": {"io.containerd.image.name": name,
                            "org.opencontainers.image.ref.name": name},
        }],
    })

    tmp = args.out + ".tmp"
    with tarfile.open(tmp, mode="w", format=tarfile.PAX_FORMAT) as tar:
        add_bytes(tar, "oci-layout", canonical_json({"imageLayoutVersion": "1.0.0"}), epoch)
        add_bytes(tar, "index.json", index, epoch)
        add_dir(tar, "blobs", epoch)
        add_dir(tar, "blobs/sha256", epoch)
        for blob in (manifest, config, layer):
            add_bytes(tar, "blobs/sha256/" + sha256_digest(blob)[7:], blob, epoch)
    os.replace(tmp, args.out)
    print(f"image {name}: manifest {sha256_digest(manifest)}, "
          f"layer {len(layer_tar)} bytes -> {len(layer)} gzip")


def main(argv):
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--rootfs", required=True, help="directory to pack as the layer")
    p.add_argument("--name", required=True, help="image reference, e.g. k8s.gcr.io/nginx-slim:0.8")
    p.add_argument("--out", required=True, help="OCI layout tar to write")
    p.add_argument("--arch", default="amd64", help="dpkg or Go architecture name")
    p.add_argument("--cmd", action="append", default=[], help="one Cmd word (repeat)")
    p.add_argument("--entrypoint", action="append", default=[], help="one Entrypoint word")
    p.add_argument("--env", action="append", default=[], help="KEY=VALUE (repeat)")
    p.add_argument("--port", action="append", default=[], help="exposed port, e.g. 80/tcp")
    p.add_argument("--label", action="append", default=[], help="KEY=VALUE (repeat)")
    p.add_argument("--stop-signal", default=None)
    p.add_argument("--created-by", default="scripts/oci_layout.py")
    p.add_argument("--level", type=int, default=6, help="gzip level")
    p.add_argument("--epoch", type=int,
                   default=int(os.environ.get("SOURCE_DATE_EPOCH", DEFAULT_EPOCH)),
                   help="mtime of every entry (default $SOURCE_DATE_EPOCH or 2020-01-01)")
    args = p.parse_args(argv)
    if not os.path.isdir(args.rootfs):
        p.error(f"{args.rootfs}: not a directory")
    build(args)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
