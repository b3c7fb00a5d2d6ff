"""vitcpp: Vision Transformer inference on CPUs without PyTorch.

    import vitcpp
    m = vitcpp.Model("folder", dtype="auto", threads=0, cache_dir=None)
    m.classify(["a.jpg", "b.png"], topk=5)   # [[(index, label, prob), ...], ...]
    m.embed(["a.jpg"])                       # np.ndarray [N, D] float32, as `vitrun --embed`
    m.run(pixels, outputs=("logits",))       # pixels [N, 3, H, W] float32 -> {name: array}
    m.preprocess(["a.jpg"])                  # np.ndarray [N, 3, H, W], as `vitrun --dump-pixels`
"""
from ._vitcpp import Model, __version__

__all__ = ["Model", "__version__"]
