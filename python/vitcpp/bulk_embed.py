"""Embeds a long image list on a Dask cluster, in shards that survive restarts and lost workers.

    python3 -m vitcpp.bulk_embed --model DIR --images LIST_OR_FOLDER --out OUTDIR
                                 [--scheduler ADDRESS] [--shard-size N] [--workers N]

The list (a text file, one path per line, or a folder's images, sorted) is cut into shards of
--shard-size images (a multiple of 8). Each shard becomes OUTDIR/shard-NNNNN.npy (float32
[rows, D]) and OUTDIR/shard-NNNNN.txt (the images of those rows, one per line), both written
atomically by the worker; OUTDIR/manifest.json records the shards done and the images that
could not be read (they get no row, and never stop the job). A second run redoes only the
missing shards; a shard whose worker dies is recomputed elsewhere. load(OUTDIR) gives every row
in list order: equal, bit for bit, to `vitrun --embed` on the same list, because each shard
batches its images exactly as vitrun does (positions 0-7, 8-15, ... of the list).
Without --scheduler a local cluster of --workers processes runs the job.
"""
import argparse
import json
import os
import sys
import threading
from pathlib import Path

import numpy as np

BATCH = 8  # vitrun's batch: results depend on which images share a forward pass
IMAGE_SUFFIXES = {".png", ".jpg", ".jpeg", ".bmp", ".gif", ".tga", ".psd", ".pnm", ".pgm", ".ppm"}

_models = {}
_models_lock = threading.Lock()


def image_list(source):
    """The images of a list file (one per line; blank lines and '#' lines skipped) or a folder."""
    path = Path(source)
    if path.is_dir():
        return sorted(str(p) for p in path.iterdir() if p.is_file() and p.suffix.lower() in IMAGE_SUFFIXES)
    lines = path.read_text().split("\n")
    return [line.rstrip("\r") for line in lines if line.strip() and not line.startswith("#")]


def _model(folder):
    """The worker's model for this folder, loaded once and kept."""
    import vitcpp
    with _models_lock:
        if folder not in _models:
            _models[folder] = vitcpp.Model(folder)
        return _models[folder]


def _atomic_write(path, write):
    temp = path.with_name(f".{path.name}.{os.getpid()}.{threading.get_ident()}.tmp")
    with open(temp, "wb") as f:
        write(f)
        f.flush()
        os.fsync(f.fileno())
    os.replace(temp, path)


def shard_path(out, index, suffix):
    return Path(out) / f"shard-{index:05d}.{suffix}"


def embed_shard(folder, images, out, index):
    """Runs on a worker: embeds one shard and writes its files; returns what the manifest needs."""
    model = _model(folder)
    rows, kept, failed = [], [], []
    for start in range(0, len(images), BATCH):
        pixels = []
        for image in images[start:start + BATCH]:
            try:
                pixels.append(model.preprocess([image])[0])
                kept.append(image)
            except (RuntimeError, ValueError) as e:
                failed.append({"image": image, "error": str(e)})
        if pixels:
            rows.append(model.run(np.stack(pixels), outputs=(model.embedding_output,))[model.embedding_output])
    embeddings = np.concatenate(rows) if rows else np.zeros((0, model.embedding_size), np.float32)
    _atomic_write(shard_path(out, index, "npy"), lambda f: np.save(f, embeddings))
    _atomic_write(shard_path(out, index, "txt"), lambda f: f.write("".join(i + "\n" for i in kept).encode()))
    return {"index": index, "rows": len(kept), "failed": failed}


def _read_manifest(out, folder, images, shard_size):
    path = Path(out) / "manifest.json"
    job = {"model": folder, "images": len(images), "shard_size": shard_size, "first": images[0], "last": images[-1]}
    if not path.exists():
        return {"job": job, "shards": {}}
    manifest = json.loads(path.read_text())
    if manifest.get("job") != job:
        sys.exit(f"bulk_embed: {path}: written for another job (model, list or shard size differ); use another --out")
    return manifest


def _done(out, manifest, index):
    return str(index) in manifest["shards"] and shard_path(out, index, "npy").exists() and \
        shard_path(out, index, "txt").exists()


def run(client, folder, images, out, shard_size=256):
    """Embeds every missing shard with the Dask client; returns the manifest."""
    from distributed import as_completed
    if shard_size <= 0 or shard_size % BATCH:
        raise ValueError(f"--shard-size must be a positive multiple of {BATCH}")
    if not images:
        raise ValueError("no images to embed")
    folder = str(Path(folder).resolve())
    Path(out).mkdir(parents=True, exist_ok=True)
    manifest = _read_manifest(out, folder, images, shard_size)
    shards = [images[i:i + shard_size] for i in range(0, len(images), shard_size)]
    todo = [i for i in range(len(shards)) if not _done(out, manifest, i)]
    futures = [client.submit(embed_shard, folder, shards[i], str(Path(out).resolve()), i, pure=False,
                             key=f"shard-{i:05d}-{os.getpid()}") for i in todo]
    for future in as_completed(futures):
        result = future.result()
        manifest["shards"][str(result["index"])] = {"rows": result["rows"], "failed": result["failed"]}
        _atomic_write(Path(out) / "manifest.json", lambda f: f.write(json.dumps(manifest, indent=1).encode()))
    return manifest


def load(out):
    """Every shard's rows in list order, and the images they are."""
    manifest = json.loads((Path(out) / "manifest.json").read_text())
    count = -(-manifest["job"]["images"] // manifest["job"]["shard_size"])
    arrays, names = [], []
    for index in range(count):
        arrays.append(np.load(shard_path(out, index, "npy")))
        names += shard_path(out, index, "txt").read_text().splitlines()
    return np.concatenate(arrays), names


def main(argv=None):
    parser = argparse.ArgumentParser(prog="python3 -m vitcpp.bulk_embed", description=__doc__.split("\n")[0])
    parser.add_argument("--model", required=True)
    parser.add_argument("--images", required=True, help="a list file (one path per line) or a folder")
    parser.add_argument("--out", required=True)
    parser.add_argument("--scheduler", help="a running Dask scheduler's address (default: a local cluster)")
    parser.add_argument("--shard-size", type=int, default=256)
    parser.add_argument("--workers", type=int, default=2, help="local cluster only")
    args = parser.parse_args(argv)
    from distributed import Client, LocalCluster
    images = image_list(args.images)
    if args.scheduler:
        client = Client(args.scheduler)
    else:
        client = Client(LocalCluster(n_workers=args.workers, threads_per_worker=1, dashboard_address=None))
    # Run through the package's module, not __main__: workers then import embed_shard by name
    # instead of receiving a pickled copy of this script's globals.
    from vitcpp import bulk_embed
    with client:
        manifest = bulk_embed.run(client, args.model, images, args.out, args.shard_size)
    failed = sum(len(s["failed"]) for s in manifest["shards"].values())
    print(f"bulk_embed: {len(images) - failed} images embedded in {len(manifest['shards'])} shards, "
          f"{failed} unreadable (listed in {Path(args.out) / 'manifest.json'})")
    return 0


if __name__ == "__main__":
    sys.exit(main())
