#!/usr/bin/env python3
"""Writes the seed corpora of the fuzz targets into tests/fuzz/corpus/<target>/.

Seeds are small: hand-made files (a complete 8x8 ViT in every checkpoint format, .npy arrays
of every dtype, tiny images including baseline JPEGs written here), pieces of the shared
fixtures (one 32px torch.save file, its data.pkl, config/preprocessor JSONs that vitimport
wrote for fixtures), the hostile files of tests/importer/data/hostile and the small test
files of tests/formats/data and tests/engine/data. Stdlib only:

    python3 tests/fuzz/make_corpus.py [--fixtures ../shared/fixtures] [--imported DIR]

--imported names a folder of vitimport outputs (<fixture>/config.json, ...); without it the
JSON seeds already in the corpus are kept.
"""
import argparse
import glob
import hashlib
import importlib.util
import io
import json
import os
import shutil
import struct
import zipfile
import zlib

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.normpath(os.path.join(HERE, "..", ".."))
CORPUS = os.path.join(HERE, "corpus")

spec = importlib.util.spec_from_file_location("hostile", os.path.join(ROOT, "tests", "generators", "make_hostile_files.py"))
hostile = importlib.util.module_from_spec(spec)
spec.loader.exec_module(hostile)


def put(target, name, data):
    os.makedirs(os.path.join(CORPUS, target), exist_ok=True)
    with open(os.path.join(CORPUS, target, name), "wb") as f:
        f.write(data)


def read(path):
    with open(path, "rb") as f:
        return f.read()


# ---- a tiny ViT in every checkpoint layout ---------------------------------------------------

def vit_storages():
    header, data = hostile.vit_tensors()
    tensors = []
    for i, (name, info) in enumerate(sorted(header.items(), key=lambda kv: kv[1]["data_offsets"][0])):
        begin, end = info["data_offsets"]
        shape = tuple(info["shape"])
        stride = tuple(int(x) for x in _strides(shape))
        tensors.append((name, str(i), data[begin:end], shape, stride))
    return tensors


def _strides(shape):
    out, s = [], 1
    for d in reversed(shape):
        out.append(s)
        s *= d
    return list(reversed(out))


def vit_state_pickle(prefix=""):
    return hostile.state_dict([(prefix + name, hostile.tensor_pickle(key, len(raw) // 4, shape, stride))
                               for name, key, raw, shape, stride in vit_storages()])


def vit_zip(pkl=None, prefix="archive"):
    storages = [(key, raw) for _, key, raw, _, _ in vit_storages()]
    return hostile.torch_zip(pkl or vit_state_pickle(), storages, prefix=prefix)


def vit_legacy():
    return hostile.legacy(vit_state_pickle(), [(key, raw) for _, key, raw, _, _ in vit_storages()])


def training_checkpoint():
    """{'epoch', 'state_dict' (module.-prefixed), 'state_dict_ema', 'args': Namespace with model_kwargs}."""
    b = hostile.binunicode
    sd = vit_state_pickle("module.")[2:-1]  # the dict's opcodes, without PROTO and STOP
    ema = vit_state_pickle()[2:-1]
    args = hostile.glob("argparse", "Namespace") + b")\x81}(" + b("model_kwargs") + b"}(" + b("num_heads") + \
        b"K\x02" + b("embed_dim") + b"K\x08" + b("depth") + b"K\x01u" + b("lr") + b"G?\xb9\x99\x99\x99\x99\x99\x9a" + b"ub"
    pkl = b"\x80\x02}(" + b("epoch") + b"K\x03" + b("state_dict") + sd + \
        b("state_dict_ema") + ema + b("args") + args + b"u."
    return vit_zip(pkl, prefix="tmp.pth")


def vit_safetensors():
    header, data = hostile.vit_tensors()
    header["__metadata__"] = {"format": "pt"}
    return hostile.safetensors(header, data)


# ---- .npy / .npz -------------------------------------------------------------------------------

def npy(descr, shape, payload, fortran=False, version=1):
    header = "{'descr': '%s', 'fortran_order': %s, 'shape': (%s), }" % (
        descr, fortran, "".join("%d," % s for s in shape) if len(shape) != 1 else "%d," % shape[0])
    prefix = 10 if version == 1 else 12
    header += " " * (-(len(header) + 1 + prefix) % 64) + "\n"
    size = struct.pack("<H", len(header)) if version == 1 else struct.pack("<I", len(header))
    return b"\x93NUMPY" + bytes([version, 0]) + size + header.encode("latin-1" if version < 3 else "utf-8") + payload


def npy_seeds():
    seeds = {
        "f4_2x3.npy": npy("<f4", (2, 3), struct.pack("<6f", 1, 2, 3, 4, 5, 6)),
        "f2_4.npy": npy("<f2", (4,), struct.pack("<4e", 0.5, -2, 65504, 1e-3)),
        "f8_fortran.npy": npy("<f8", (2, 2), struct.pack("<4d", 1, 2, 3, 4), fortran=True),
        "i8_scalar.npy": npy("<i8", (), struct.pack("<q", -7)),
        "u1_3.npy": npy("|u1", (3,), b"\x00\x7f\xff"),
        "b1_2.npy": npy("|b1", (2,), b"\x01\x00"),
        "i2_empty.npy": npy("<i2", (0, 5), b""),
        "f4_v2.npy": npy("<f4", (1,), struct.pack("<f", 3.5), version=2),
        "f4_v3.npy": npy("<f4", (1,), struct.pack("<f", -1), version=3),
    }
    return seeds


def npz(members, compressed):
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED if compressed else zipfile.ZIP_STORED) as z:
        for name, data in members:
            with z.open(name + ".npy", "w", force_zip64=True) as f:  # numpy's savez does this
                f.write(data)
    return buf.getvalue()


# ---- images ------------------------------------------------------------------------------------

def png(width, height, color_type, rows, bit_depth=8, palette=None, interlace=0, pixel_bytes=0):
    """rows: packed scanlines. interlace=1 (Adam7) needs whole-byte pixels of pixel_bytes each."""
    def chunk(kind, body):
        return struct.pack(">I", len(body)) + kind + body + struct.pack(">I", zlib.crc32(kind + body))
    raw = b"".join(b"\x00" + r for r in rows)
    if interlace:
        raw = b""
        for x0, y0, dx, dy in ((0, 0, 8, 8), (4, 0, 8, 8), (0, 4, 4, 8), (2, 0, 4, 4), (0, 2, 2, 4), (1, 0, 2, 2),
                               (0, 1, 1, 2)):
            for y in range(y0, height, dy):
                line = b"".join(rows[y][x * pixel_bytes:(x + 1) * pixel_bytes] for x in range(x0, width, dx))
                if line:
                    raw += b"\x00" + line
    out = b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", struct.pack(">IIBBBBB", width, height, bit_depth, color_type, 0, 0, interlace))
    if palette:
        out += chunk(b"PLTE", palette)
    return out + chunk(b"IDAT", zlib.compress(raw)) + chunk(b"IEND", b"")


# Baseline JPEG with the example Huffman tables of the standard (ITU T.81 Annex K).
DC_BITS = [0, 1, 5, 1, 1, 1, 1, 1, 1, 0, 0, 0, 0, 0, 0, 0]
DC_VALS = list(range(12))
AC_BITS = [0, 2, 1, 3, 3, 2, 4, 3, 5, 5, 4, 4, 0, 0, 1, 0x7D]
AC_VALS = bytes.fromhex(
    "01020300041105122131410613516107227114328191a1082342b1c11552d1f02433627282090a161718191a25262728292a3435363738"
    "393a434445464748494a535455565758595a636465666768696a737475767778797a838485868788898a92939495969798999aa2a3a4a5"
    "a6a7a8a9aab2b3b4b5b6b7b8b9bac2c3c4c5c6c7c8c9cad2d3d4d5d6d7d8d9dae1e2e3e4e5e6e7e8e9eaf1f2f3f4f5f6f7f8f9fa")
ZIGZAG = [0, 1, 8, 16, 9, 2, 3, 10, 17, 24, 32, 25, 18, 11, 4, 5, 12, 19, 26, 33, 40, 48, 41, 34, 27, 20, 13, 6, 7, 14,
          21, 28, 35, 42, 49, 56, 57, 50, 43, 36, 29, 22, 15, 23, 30, 37, 44, 51, 58, 59, 52, 45, 38, 31, 39, 46, 53, 60,
          61, 54, 47, 55, 62, 63]


def huffman_codes(bits, vals):
    codes, code, k = {}, 0, 0
    for length in range(1, 17):
        for _ in range(bits[length - 1]):
            codes[vals[k]] = (code, length)
            code += 1
            k += 1
        code <<= 1
    return codes


class BitWriter:
    def __init__(self):
        self.out, self.acc, self.n = bytearray(), 0, 0

    def put(self, value, length):
        for i in range(length - 1, -1, -1):
            self.acc = (self.acc << 1) | ((value >> i) & 1)
            self.n += 1
            if self.n == 8:
                self.out.append(self.acc)
                if self.acc == 0xFF:
                    self.out.append(0)
                self.acc, self.n = 0, 0

    def flush(self):
        while self.n:
            self.put(1, 1)
        return bytes(self.out)


def jpeg(width, height, components, dc_of, restart=0):
    """A baseline JPEG whose 8x8 blocks hold only DC values dc_of(component, block_index):
    1 or 3 components, no subsampling, optional restart interval."""
    dc, ac = huffman_codes(DC_BITS, DC_VALS), huffman_codes(AC_BITS, list(AC_VALS))

    def seg(marker, body):
        return b"\xff" + bytes([marker]) + struct.pack(">H", len(body) + 2) + body
    out = b"\xff\xd8" + seg(0xE0, b"JFIF\0\x01\x01\0\0\x01\0\x01\0\0")
    out += seg(0xDB, b"\x00" + bytes([1] * 64))
    ids = range(1, components + 1)
    out += seg(0xC0, struct.pack(">BHHB", 8, height, width, components) + b"".join(bytes([i, 0x11, 0]) for i in ids))
    out += seg(0xC4, b"\x00" + bytes(DC_BITS) + bytes(DC_VALS) + b"\x10" + bytes(AC_BITS) + AC_VALS)
    if restart:
        out += seg(0xDD, struct.pack(">H", restart))
    out += seg(0xDA, bytes([components]) + b"".join(bytes([i, 0x00]) for i in ids) + b"\x00\x3f\x00")
    blocks = ((width + 7) // 8) * ((height + 7) // 8)
    w = BitWriter()
    pred = [0] * components
    data = b""
    for b in range(blocks):
        if restart and b and b % restart == 0:
            data += w.flush() + bytes([0xFF, 0xD0 + (b // restart - 1) % 8])
            w, pred = BitWriter(), [0] * components
        for c in range(components):
            value = dc_of(c, b)
            diff = value - pred[c]
            pred[c] = value
            size = abs(diff).bit_length()
            w.put(*dc[size])
            if size:
                w.put(diff if diff > 0 else diff + (1 << size) - 1, size)
            w.put(*ac[0x00])  # EOB
    return out + data + w.flush() + b"\xff\xd9"


def image_seeds():
    seeds = {}
    rgb_rows = [bytes((x * 40 + y * 20) % 256 for x in range(15)) for y in range(4)]
    seeds["rgb8.png"] = png(5, 4, 2, rgb_rows)
    seeds["rgba8_interlaced.png"] = png(4, 4, 6, [bytes(range(y * 16, y * 16 + 16)) for y in range(4)], interlace=1,
                                        pixel_bytes=4)
    seeds["palette2.png"] = png(8, 2, 3, [b"\x1b\xe4", b"\xe4\x1b"], bit_depth=2, palette=bytes(range(12)))
    seeds["gray8.jpg"] = jpeg(16, 8, 1, lambda c, b: (b * 37) % 200 - 100)
    seeds["rgb_restart.jpg"] = jpeg(24, 16, 3, lambda c, b: (b * 11 + c * 50) % 300 - 150, restart=2)
    for path in sorted(glob.glob(os.path.join(ROOT, "tests", "engine", "data", "*"))):
        if os.path.isfile(path) and not path.endswith(".json"):  # not the pillow*/ folders
            seeds[os.path.basename(path)] = read(path)
    # Pillow-written JPEGs: progressive, CMYK (Adobe), 4:4:4 and 4:2:2 sampling.
    for path in sorted(glob.glob(os.path.join(ROOT, "tests", "engine", "data", "pillow_codecs", "jpeg_*.jpg"))):
        seeds[os.path.basename(path)] = read(path)
    return seeds


# ---- JSON configs --------------------------------------------------------------------------------

def json_seeds(imported):
    configs, processors = {}, {}
    if imported:
        for folder in sorted(glob.glob(os.path.join(imported, "*"))):
            name = os.path.basename(folder)
            config = json.loads(read(os.path.join(folder, "config.json")))
            if len(config.get("id2label", {})) > 10:  # keep seeds small: 1000 labels add nothing
                config["id2label"] = {k: v for k, v in list(config["id2label"].items())[:10]}
                config["label2id"] = {v: int(k) for k, v in config["id2label"].items()}
                config["num_labels"] = 10
            configs[name + ".json"] = json.dumps(config, indent=1).encode()
            processors[name + ".json"] = read(os.path.join(folder, "preprocessor_config.json"))
    processors["timm_eval.json"] = json.dumps({
        "image_processor_type": "TimmEvalTransform", "input_size": [3, 32, 40], "interpolation": "bicubic",
        "crop_pct": 0.9, "crop_mode": "border", "mean": [0.5, 0.5, 0.5], "std": [0.25, 0.25, 0.25]}).encode()
    processors["vit_legacy_feature_extractor.json"] = json.dumps({
        "feature_extractor_type": "ViTFeatureExtractor", "size": 30, "resample": 1, "image_mean": 0.5}).encode()
    configs["hf_minimal.json"] = json.dumps({
        "model_type": "vit", "patch_size": 4, "hidden_size": 8, "num_hidden_layers": 1, "num_attention_heads": 2,
        "intermediate_size": 16, "image_size": [8, 12], "hidden_act": "gelu"}).encode()
    return configs, processors


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--fixtures", default=os.path.join(ROOT, "..", "shared", "fixtures"))
    parser.add_argument("--imported", default="")
    args = parser.parse_args()
    keep = {}
    if not args.imported:  # JSON seeds came from vitimport outputs: keep them
        for target in ("vit_config", "preprocessor_config"):
            for path in glob.glob(os.path.join(CORPUS, target, "*")):
                keep[(target, os.path.basename(path))] = read(path)
    shutil.rmtree(CORPUS, ignore_errors=True)
    for (target, name), data in keep.items():
        put(target, name, data)

    formats_data = os.path.join(ROOT, "tests", "formats", "data")
    hostile_data = os.path.join(ROOT, "tests", "importer", "data", "hostile")
    small = lambda p: os.path.getsize(p) <= 64 * 1024
    fixture_bin = os.path.join(args.fixtures, "vit_gap_noclass", "pytorch_model.bin")

    # torch.save in every layout, and what it is made of.
    checkpoints = {"tiny_vit_zip.pt": vit_zip(), "tiny_vit_legacy.pt": vit_legacy(),
                   "tiny_training_checkpoint.pth.tar": training_checkpoint()}
    for name, data in checkpoints.items():
        for target in ("torch", "import", "check", "zip"):
            if target != "zip" or name.endswith("zip.pt"):
                put(target, name, data)
    for path in sorted(glob.glob(os.path.join(formats_data, "*.pt"))):
        put("torch", os.path.basename(path), read(path))
    if os.path.exists(fixture_bin):  # one real torch.save file (32px ViT, 350 KiB)
        put("torch", "fixture_vit_gap_noclass.bin", read(fixture_bin))
        put("pickle", "fixture_vit_gap_noclass_data.pkl", zipfile.ZipFile(fixture_bin).read("pytorch_model/data.pkl"))
    for path in sorted(glob.glob(os.path.join(formats_data, "*.pkl"))):
        put("pickle", os.path.basename(path), read(path))
    put("pickle", "tiny_vit_data.pkl", vit_state_pickle())
    for path in sorted(glob.glob(os.path.join(hostile_data, "*"))):
        name = os.path.basename(path)
        if not small(path) or name.endswith(".json") or name.endswith(".npy"):
            continue
        if name.endswith(".safetensors"):
            put("safetensors", name, read(path))
            put("check", name, read(path))
        else:
            put("torch", name, read(path))
            if name.startswith("zip_"):
                put("zip", name, read(path))
            if name.startswith("stride0") or name.startswith("global_reduce_os"):
                put("check", name, read(path))
                put("import", name, read(path))
    put("safetensors", "tiny_vit_metadata.safetensors", vit_safetensors())
    put("check", "tiny_vit_metadata.safetensors", vit_safetensors())

    # ZIP layouts beyond torch's.
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as z:
        z.writestr("a.txt", b"hello " * 50)
        z.writestr("dir/b.bin", bytes(range(256)))
    put("zip", "deflated.zip", buf.getvalue())

    npys = npy_seeds()
    for name, data in npys.items():
        put("npy", name, data)
    fixture_npy = os.path.join(args.fixtures, "vit_classifier", "logits.npy")
    if os.path.exists(fixture_npy):
        put("npy", "fixture_logits.npy", read(fixture_npy))
    members = [(name[:-4], data) for name, data in sorted(npys.items())]
    put("npz", "stored.npz", npz(members[:4], False))
    put("npz", "deflated.npz", npz(members[4:], True))
    put("zip", "stored.npz", npz(members[:4], False))

    for name, data in image_seeds().items():
        put("image", name, data)
    configs, processors = json_seeds(args.imported)
    for name, data in configs.items():
        put("vit_config", name, data)
    for name, data in processors.items():
        put("preprocessor_config", name, data)

    total = 0
    for target in sorted(os.listdir(CORPUS)):
        files = os.listdir(os.path.join(CORPUS, target))
        size = sum(os.path.getsize(os.path.join(CORPUS, target, f)) for f in files)
        total += size
        print("%-20s %3d files %8d bytes" % (target, len(files), size))
    print("total %d bytes" % total)


if __name__ == "__main__":
    main()
