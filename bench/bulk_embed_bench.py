#!/usr/bin/env python3
"""Images per second of `vitcpp.bulk_embed` on a local Dask cluster of 1 and of 2 workers.

    PYTHONPATH=<where vitcpp is> bench/bulk_embed_bench.py --model DIR --images LIST_OR_FOLDER [--repeat 20]

Each worker's engine gets cores / workers threads (OMP_NUM_THREADS), so the cluster never
oversubscribes the machine. The list is repeated --repeat times; each configuration writes to
a fresh folder and is timed from submitting the shards to the last manifest write.
"""
import argparse
import os
import tempfile
import time

from distributed import Client, LocalCluster

from vitcpp import bulk_embed


def images_per_second(model, images, workers, shard_size):
    os.environ["OMP_NUM_THREADS"] = str(max(1, os.cpu_count() // workers))
    with LocalCluster(n_workers=workers, threads_per_worker=1, dashboard_address=None) as cluster, \
            Client(cluster) as client, tempfile.TemporaryDirectory() as out:
        client.run(lambda: bulk_embed._model(os.path.abspath(model)) and None)  # load first, on every worker
        start = time.perf_counter()
        bulk_embed.run(client, model, images, out, shard_size)
        return len(images) / (time.perf_counter() - start)


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--model", required=True)
    parser.add_argument("--images", required=True)
    parser.add_argument("--repeat", type=int, default=20)
    parser.add_argument("--shard-size", type=int, default=256)
    args = parser.parse_args()
    images = bulk_embed.image_list(args.images) * args.repeat
    for workers in (1, 2):
        rate = images_per_second(args.model, images, workers, args.shard_size)
        print(f"{workers} worker{'s' if workers > 1 else ''}: {rate:8.1f} images/s over {len(images)} images")


if __name__ == "__main__":
    main()
