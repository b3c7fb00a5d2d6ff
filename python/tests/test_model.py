"""The Python package against vitrun on the digits model: the same top-k, embeddings and
pixels, errors as exceptions, several threads on one model, and no torch."""
import json
import subprocess
import sys
import threading
import time

import numpy as np
import pytest

import vitcpp
from conftest import tool


def vitrun(*args):
    return subprocess.run([tool("vitrun"), "--no-cache", *args], check=True, capture_output=True, text=True).stdout


def true_digit(path):
    return int(path[-5])


def test_classify_equals_vitrun_json(digits, images):
    model = vitcpp.Model(digits)
    got = model.classify(images, topk=3)
    lines = [json.loads(line) for line in vitrun("--model", digits, "--topk", "3", "--json", *images).splitlines()]
    assert len(got) == len(images) == len(lines)
    for image, ours, theirs in zip(images, got, lines):
        assert [(p["index"], p["label"]) for p in theirs["topk"]] == [(i, label) for i, label, _ in ours]
        assert [p["prob"] for p in theirs["topk"]] == pytest.approx([prob for _, _, prob in ours], abs=1e-6)
    assert sum(ours[0][0] == true_digit(image) for image, ours in zip(images, got)) >= 0.95 * len(images)


def test_embed_and_preprocess_equal_vitrun_bit_for_bit(digits, images, tmp_path):
    model = vitcpp.Model(digits)
    vitrun("--model", digits, "--embed", str(tmp_path / "embed.npy"), "--dump-pixels", str(tmp_path / "pixels.npy"),
           *images)
    embeddings = model.embed(images)
    assert embeddings.dtype == np.float32 and embeddings.shape == (len(images), model.embedding_size)
    assert np.array_equal(embeddings, np.load(tmp_path / "embed.npy"))
    assert np.array_equal(model.preprocess(images), np.load(tmp_path / "pixels.npy"))


def test_run_gives_every_requested_output(digits, images):
    model = vitcpp.Model(digits)
    pixels = model.preprocess(images[:8])
    out = model.run(pixels, outputs=("logits", "pre_logits", "features"))
    assert out["logits"].shape == (8, 10)
    assert out["pre_logits"].shape == (8, model.embedding_size)
    assert out["features"].shape[0] == 8 and out["features"].ndim == 3
    assert all(type(a.base).__name__ == "PyCapsule" for a in out.values())  # the engine's buffers, not copies
    assert np.array_equal(out["pre_logits"], model.embed(images[:8]))
    assert np.argmax(out["logits"], axis=1).tolist() == [c[0][0] for c in model.classify(images[:8], topk=1)]


def test_errors_are_exceptions_with_the_message(digits, images, tmp_path):
    with pytest.raises(RuntimeError, match="config.json"):
        vitcpp.Model(str(tmp_path / "missing"))
    with pytest.raises(ValueError, match="dtype must be"):
        vitcpp.Model(digits, dtype="f16")
    model = vitcpp.Model(digits)
    (tmp_path / "bad.png").write_bytes(b"not an image")
    with pytest.raises(RuntimeError, match="bad.png"):
        model.embed([str(tmp_path / "bad.png")])
    with pytest.raises(ValueError, match="unknown output"):
        model.run(model.preprocess(images[:1]), outputs=("scores",))
    with pytest.raises(RuntimeError, match="no visual projection"):
        model.run(model.preprocess(images[:1]), outputs=("image_embeds",))
    with pytest.raises(ValueError, match="asked for twice"):
        model.run(model.preprocess(images[:1]), outputs=("logits", "logits"))
    with pytest.raises(ValueError, match="shape"):
        model.run(np.zeros((3, 32, 32), np.float32))


def test_threads_on_one_model_give_identical_results(digits, images):
    model = vitcpp.Model(digits)
    want = model.embed(images[:16])
    results, errors = [], []

    def work():
        try:
            for _ in range(3):
                results.append(model.embed(images[:16]))
        except Exception as e:  # pragma: no cover - reported below
            errors.append(e)

    threads = [threading.Thread(target=work) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert not errors
    assert len(results) == 12 and all(np.array_equal(r, want) for r in results)


def test_no_torch_and_a_version():
    assert "torch" not in sys.modules
    assert vitcpp.__version__ == "0.1.0"


def test_the_gil_is_released_while_the_engine_works(digits, images):
    model = vitcpp.Model(digits)
    many = images * 40
    ticks = []
    running = threading.Event()
    running.set()

    def tick():
        while running.is_set():
            ticks.append(1)
            time.sleep(0.001)

    ticker = threading.Thread(target=tick)
    ticker.start()
    start = time.perf_counter()
    model.embed(many)
    seconds = time.perf_counter() - start
    running.clear()
    ticker.join()
    # A held GIL would stop the ticker for the whole call; released, it ticks about once a ms.
    assert seconds > 0.05 and len(ticks) > 0.2 * seconds * 1000, (len(ticks), seconds)
