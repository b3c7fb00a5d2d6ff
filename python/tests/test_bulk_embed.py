"""bulk_embed on a local Dask cluster of 2 workers: the digits test images (with an unreadable
file among them) and a list 20 times longer, one worker killed mid-run, the result equal to
`vitrun --embed` bit for bit; a second run redoes only a missing shard."""
import os
import signal
import subprocess
import threading
import time
from pathlib import Path

import numpy as np
import pytest

from conftest import ROOT, tool

import distributed
from vitcpp import bulk_embed

DIGITS = ROOT.parent / "shared" / "digits" / "images"


def vitrun_embed(model, images, tmp_path):
    listing = tmp_path / "vitrun_list.txt"
    listing.write_text("".join(i + "\n" for i in images))
    out = tmp_path / "vitrun_embed.npy"
    subprocess.run([tool("vitrun"), "--no-cache", "--model", model, "@" + str(listing), "--embed", str(out)],
                   capture_output=True)  # exit 3: the unreadable image is reported, the rest embedded
    return np.load(out)


@pytest.fixture(scope="module")
def cluster():
    with distributed.LocalCluster(n_workers=2, threads_per_worker=1, dashboard_address=None) as c:
        with distributed.Client(c) as client:
            yield client


@pytest.fixture
def images(tmp_path):
    if not DIGITS.is_dir():
        pytest.skip("../shared/digits is absent")
    bad = tmp_path / "unreadable.png"
    bad.write_bytes(b"this is not a PNG")
    good = sorted(str(p) for p in DIGITS.glob("*.png"))
    return good[:100] + [str(bad)] + good[100:]


def test_digits_on_two_workers_equal_vitrun(cluster, digits, images, tmp_path):
    manifest = bulk_embed.run(cluster, digits, images, tmp_path / "out", shard_size=64)
    failed = [f["image"] for s in manifest["shards"].values() for f in s["failed"]]
    assert failed == [images[100]]
    rows, names = bulk_embed.load(tmp_path / "out")
    assert names == images[:100] + images[101:]
    assert np.array_equal(rows, vitrun_embed(digits, images, tmp_path))


def test_a_killed_worker_loses_nothing_and_a_rerun_redoes_only_what_is_missing(cluster, digits, images, tmp_path):
    long_list = images * 20
    out = tmp_path / "out"
    done = {}
    job = threading.Thread(target=lambda: done.update(bulk_embed.run(cluster, digits, long_list, out, shard_size=64)))
    job.start()
    manifest = out / "manifest.json"
    deadline = time.time() + 60
    while time.time() < deadline and not (manifest.exists() and manifest.read_text().count('"rows"') >= 3):
        time.sleep(0.05)
    pids = cluster.run(os.getpid)  # worker address -> its process
    os.kill(pids[sorted(pids)[0]], signal.SIGKILL)  # its nanny starts a new one
    shards_done_at_kill = manifest.read_text().count('"rows"')
    job.join(timeout=300)
    assert not job.is_alive()
    shards = -(-len(long_list) // 64)
    assert 3 <= shards_done_at_kill < shards  # killed mid-run
    assert len(done["shards"]) == shards
    rows, names = bulk_embed.load(out)
    expected_names = [i for i in long_list if i != images[100]]
    assert names == expected_names
    assert np.array_equal(rows, vitrun_embed(digits, long_list, tmp_path))
    # Resume: only the shard whose files are gone is embedded again.
    mtimes = {p.name: p.stat().st_mtime_ns for p in out.glob("shard-*.npy")}
    (out / "shard-00005.npy").unlink()
    bulk_embed.run(cluster, digits, long_list, out, shard_size=64)
    changed = [p.name for p in out.glob("shard-*.npy") if mtimes.get(p.name) != p.stat().st_mtime_ns]
    assert changed == ["shard-00005.npy"]
    assert np.array_equal(bulk_embed.load(out)[0], rows)


def test_image_lists_and_bad_arguments(tmp_path):
    listing = tmp_path / "list.txt"
    listing.write_text("# comment\na.png\n\nb c.jpg\r\n")
    assert bulk_embed.image_list(str(listing)) == ["a.png", "b c.jpg"]
    with pytest.raises(ValueError, match="multiple of 8"):
        bulk_embed.run(None, "model", ["a.png"], tmp_path / "out", shard_size=12)


def test_the_command_line_runs_on_its_own_local_cluster(digits, images, tmp_path):
    import sys
    env = dict(os.environ, PYTHONPATH=os.pathsep.join(sys.path))
    listing = tmp_path / "list.txt"
    listing.write_text("".join(i + "\n" for i in images[90:130]))  # the unreadable one is 100
    done = subprocess.run([sys.executable, "-m", "vitcpp.bulk_embed", "--model", digits, "--images", str(listing),
                           "--out", str(tmp_path / "out"), "--shard-size", "16", "--workers", "2"],
                          capture_output=True, text=True, env=env)
    assert done.returncode == 0, done.stderr
    assert "39 images embedded in 3 shards, 1 unreadable" in done.stdout
    assert np.array_equal(bulk_embed.load(tmp_path / "out")[0], vitrun_embed(digits, images[90:130], tmp_path))
