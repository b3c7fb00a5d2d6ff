#!/usr/bin/env python3
"""Writes the hostile checkpoints of tests/importer/data/hostile/ and their manifest.

Every file is something vitimport could be pointed at from the internet: torch.save archives
whose pickle would run code on torch.load (every opcode that can reach a callable), broken or
ambiguous ZIP layouts, lying safetensors headers, NaN/Inf weights. The manifest says what
tests/importer/hostile_files_test.cpp expects of `vitimport` and `vitimport --check` for each.

Stdlib only, and nothing is ever unpickled: the payloads are written by hand or pickled by
reference (pickle stores a function's module and name, it does not call it). Each payload
would create MARKER; the tests assert that it never appears. Run from anywhere:

    python3 tests/generators/make_hostile_files.py
"""
import io
import json
import math
import os
import pickle
import struct
import zipfile
import zlib

OUT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "importer", "data", "hostile")
MARKER = "/tmp/vitcpp_hostile_import_marker"
COMMAND = "touch " + MARKER

manifest = []


def write(name, data, import_exit, check_exit, mentions, why, **extra):
    """import_exit/check_exit: expected exit codes; mentions: text vitimport's error (or the
    --check report) must contain."""
    with open(os.path.join(OUT, name), "wb") as f:
        f.write(data)
    entry = {"file": name, "import_exit": import_exit, "check_exit": check_exit, "mentions": mentions, "why": why}
    entry.update(extra)
    manifest.append(entry)


# ---- pickle pieces, by hand so every opcode is exactly the one named -------------------------

def u8(s):  # SHORT_BINUNICODE (protocol 4)
    b = s.encode()
    return b"\x8c" + bytes([len(b)]) + b


def binunicode(s):  # BINUNICODE (protocol 1+)
    b = s.encode()
    return b"X" + struct.pack("<I", len(b)) + b


def glob(module, name):  # GLOBAL (protocol 0+)
    return b"c" + module.encode() + b"\n" + name.encode() + b"\n"


def stack_glob(module, name):  # STACK_GLOBAL (protocol 4)
    return u8(module) + u8(name) + b"\x93"


def long1(v):
    return b"\x8a\x08" + struct.pack("<q", v)


def ints(values):
    return b"(" + b"".join(long1(v) for v in values) + b"t"


def tensor_pickle(key="0", numel=6, shape=(2, 3), stride=(3, 1)):
    """torch._utils._rebuild_tensor_v2(storage pid, 0, shape, stride, False, OrderedDict())."""
    pid = b"(" + binunicode("storage") + glob("torch", "FloatStorage") + binunicode(key) + binunicode("cpu") + \
        long1(numel) + b"tQ"
    return glob("torch._utils", "_rebuild_tensor_v2") + b"(" + pid + long1(0) + ints(shape) + ints(stride) + \
        b"\x89" + glob("collections", "OrderedDict") + b")RtR"


def state_dict(entries):
    """Protocol-2 pickle of {name: value-opcodes, ...}."""
    body = b"".join(binunicode(k) + v for k, v in entries)
    return b"\x80\x02}(" + body + b"u."


FLOATS = struct.pack("<6f", 1, 2, 3, 4, 5, 6)


def torch_zip(pkl, storages=(("0", FLOATS),), prefix="archive"):
    """The layout torch.save writes: <prefix>/data.pkl, data/<key>, version, byteorder."""
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_STORED) as z:
        z.writestr(prefix + "/data.pkl", pkl)
        z.writestr(prefix + "/byteorder", "little")
        for key, data in storages:
            z.writestr(prefix + "/data/" + key, data)
        z.writestr(prefix + "/version", "3\n")
    return buf.getvalue()


def legacy(pkl, storages=(("0", FLOATS),)):
    """The pre-1.6 torch.save stream: magic, protocol, sys info, object, keys, storages."""
    out = io.BytesIO()
    for header in (0x1950A86A20F9469CFC6C, 1001,
                   {"protocol_version": 1001, "little_endian": True,
                    "type_sizes": {"short": 2, "int": 4, "long": 4}}):
        pickle.dump(header, out, protocol=2)
    out.write(pkl)
    pickle.dump([k for k, _ in storages], out, protocol=2)
    for _, data in storages:
        out.write(struct.pack("<q", len(data) // 4) + data)
    return out.getvalue()


# ---- code-execution payloads: (file stem, pickle opcodes of the value, global named) ---------

def payloads():
    cmd = binunicode(COMMAND)
    code = binunicode("open(%r, 'w')" % MARKER)
    return [
        # GLOBAL + REDUCE
        ("global_reduce_os_system", glob("os", "system") + b"(" + cmd + b"tR", "os.system"),
        ("global_reduce_posix_system", glob("posix", "system") + b"(" + cmd + b"tR", "posix.system"),
        ("global_reduce_builtins_exec", glob("builtins", "exec") + b"(" + code + b"tR", "builtins.exec"),
        ("global_reduce_py2_eval", glob("__builtin__", "eval") + b"(" + code + b"tR", "builtins.eval"),
        ("global_reduce_runpy", glob("runpy", "_run_code") + b"(" + code + b"}tR", "runpy._run_code"),
        ("global_reduce_torch_load", glob("torch", "load") + b"(" + binunicode("evil.pt") + b"tR", "torch.load"),
        ("global_reduce_load_from_bytes", glob("torch.storage", "_load_from_bytes") + b"(C\x01xtR",
         "torch.storage._load_from_bytes"),
        # STACK_GLOBAL + REDUCE
        ("stack_global_popen", stack_glob("subprocess", "Popen") + b"(" + binunicode("touch") + binunicode(MARKER) +
         b"l\x85R", "subprocess.Popen"),
        ("stack_global_posix_system", stack_glob("posix", "system") + b"(" + cmd + b"tR", "posix.system"),
        # INST: protocol 0 class instantiation by name
        ("inst_os_system", b"(" + cmd + b"ios\nsystem\n", "os.system"),
        # OBJ: protocol 1
        ("obj_posix_system", b"(" + glob("posix", "system") + cmd + b"o", "posix.system"),
        # NEWOBJ (protocol 2) and NEWOBJ_EX (protocol 4) with keyword arguments
        ("newobj_popen", glob("subprocess", "Popen") + b"(" + binunicode("touch") + binunicode(MARKER) +
         b"l\x85\x81", "subprocess.Popen"),
        ("newobj_ex_popen", stack_glob("subprocess", "Popen") + b"(" + binunicode("touch") + binunicode(MARKER) +
         b"l\x85}" + u8("shell") + b"\x89s\x92", "subprocess.Popen"),
        # BUILD: a __setstate__ smuggled into an allowed class's state, then the command as state
        ("build_setstate_os_system", glob("argparse", "Namespace") + b")\x81}" + binunicode("__setstate__") +
         glob("os", "system") + b"sb" + cmd + b"b", "os.system"),
        # A call hidden as a tensor's storage and as a rebuild argument
        ("rebuild_args_os_system", glob("torch._utils", "_rebuild_tensor_v2") + b"(" + glob("os", "system") +
         b"(" + cmd + b"tR" + long1(0) + ints((2,)) + ints((1,)) + b"tR", "os.system"),
        # copyreg._reconstructor (allowed as metadata) wrapping a refused class
        ("reconstructor_popen", glob("copy_reg", "_reconstructor") + b"(" + glob("subprocess", "Popen") +
         glob("__builtin__", "object") + b"NtR", "subprocess.Popen"),
        # getattr(__import__('os'), 'system')(cmd)
        ("getattr_import", glob("builtins", "getattr") + b"(" + glob("builtins", "__import__") + b"(" +
         binunicode("os") + b"tR" + binunicode("system") + b"tR(" + cmd + b"tR", "builtins.getattr"),
    ]


def code_execution_files():
    # Scan mode (--check) records a refused global and reads on; these two then break the
    # file's structure (a call where a storage or callable belongs), so --check exits 2 too.
    unreadable = {"rebuild_args_os_system", "getattr_import"}
    for stem, value, name in payloads():
        # Next to a real tensor, as a training checkpoint's extra entry.
        pkl = state_dict([("w", tensor_pickle()), ("epoch", value)])
        write(stem + ".pt", torch_zip(pkl), 2, 2 if stem in unreadable else 4, name,
              "torch.save zip whose pickle calls " + name)
    # The same attacks in other containers: the legacy stream, a bare pickle, a top-level call.
    stem, value, name = payloads()[1]
    write("legacy_" + stem + ".pt", legacy(state_dict([("w", tensor_pickle()), ("x", value)])), 2, 4, name,
          "legacy torch.save stream calling " + name)
    write("bare_pickle_" + stem + ".pkl", b"\x80\x02" + value + b".", 2, 2, "not a torch.save file",
          "a bare pickle calling " + name)
    write("top_level_" + stem + ".pt", torch_zip(b"\x80\x02" + value + b"."), 2, 4, name,
          "a torch.save zip whose whole object is the call")
    # EXT1: the copyreg extension registry is another way to name a callable.
    write("ext1_code.pt", torch_zip(b"\x80\x02\x82\x01(" + b"tR."), 2, 2, "extension registry",
          "EXT1 opcode (extension registry lookup)")


# ---- ZIP layouts -------------------------------------------------------------------------------

def local_header(name, data, method=0, crc=None, csize=None, usize=None):
    n = name.encode()
    crc = zlib.crc32(data) if crc is None else crc
    return struct.pack("<IHHHHHIIIHH", 0x04034B50, 20, 0, method, 0, 0, crc,
                       len(data) if csize is None else csize, len(data) if usize is None else usize, len(n), 0) + n


def central_header(name, data, offset, method=0, crc=None, csize=None, usize=None):
    n = name.encode()
    crc = zlib.crc32(data) if crc is None else crc
    return struct.pack("<IHHHHHHIIIHHHHHII", 0x02014B50, 20, 20, 0, method, 0, 0, crc,
                       len(data) if csize is None else csize, len(data) if usize is None else usize,
                       len(n), 0, 0, 0, 0, 0, offset) + n


def eocd(count, cd_size, cd_offset):
    return struct.pack("<IHHHHIIH", 0x06054B50, 0, 0, count, count, cd_size, cd_offset, 0)


def raw_zip(members, central_overrides=None):
    """members: [(name, stored bytes)]; central_overrides: {index: dict of central_header kwargs}."""
    out, central = b"", b""
    for i, (name, data) in enumerate(members):
        offset = len(out)
        out += local_header(name, data) + data
        central += central_header(name, data, offset, **(central_overrides or {}).get(i, {}))
    return out + central + eocd(len(members), len(central), len(out))


def good_members(pkl=None):
    return [("archive/data.pkl", pkl or state_dict([("w", tensor_pickle())])), ("archive/data/0", FLOATS),
            ("archive/version", b"3\n")]


def zip_files():
    # Entry data running into the central directory (size inflated in both headers).
    members = good_members()
    out, central = b"", b""
    for i, (name, data) in enumerate(members):
        offset = len(out)
        size = len(data) + (40 if i == len(members) - 1 else 0)
        out += local_header(name, data, csize=size, usize=size) + data
        central += central_header(name, data, offset, csize=size, usize=size)
    write("zip_entry_overlaps_central_directory.pt", out + central + eocd(len(members), len(central), len(out)),
          2, 2, "", "the last entry's data overlaps the central directory")
    # Two entries named data.pkl: readers that pick the first and the last would disagree.
    evil = state_dict([("w", tensor_pickle()), ("x", payloads()[0][1])])
    write("zip_duplicate_data_pkl.pt", raw_zip(good_members() + [("archive/data.pkl", evil)]), 2, 2, "",
          "two entries named archive/data.pkl, the second hostile")
    write("zip_dotdot_name.pt", raw_zip(good_members() + [("archive/../../etc/evil", b"x")]), 2, 2, "..",
          "an entry name climbing out with ..")
    write("zip_dotdot_storage.pt", raw_zip([("archive/data.pkl", state_dict([("w", tensor_pickle(key="../0"))])),
                                            ("archive/data/../0", FLOATS), ("archive/version", b"3\n")]),
          2, 2, "", "a storage key and entry name with ..")
    write("zip_absolute_name.pt", raw_zip(good_members() + [("/etc/passwd", b"x")]), 2, 2, "absolute",
          "an absolute entry name")
    # Local header and central directory disagree on the name.
    members = good_members()
    out, central = b"", b""
    for i, (name, data) in enumerate(members):
        offset = len(out)
        out += local_header("archive/evil.pkl" if i == 0 else name, data) + data
        central += central_header(name, data, offset)
    write("zip_local_name_mismatch.pt", out + central + eocd(len(members), len(central), len(out)), 2, 2, "",
          "local header names another file than the central directory")
    write("zip_bad_crc.pt", raw_zip(good_members(), {0: {"crc": 0x12345678}}), 2, 2, "",
          "data.pkl's CRC-32 is wrong")
    # More entries declared than present, and an entry count near the format's maximum.
    z = raw_zip(good_members())
    write("zip_entry_count_lies.pt", z[:-22] + eocd(65535, struct.unpack("<I", z[-10:-6])[0],
                                                   struct.unpack("<I", z[-6:-2])[0]), 2, 2, "",
          "EOCD declares 65535 entries")
    # Deflate bomb: 2^40 bytes declared from a few bytes of data (ratio check, no allocation).
    bomb = zlib.compressobj(9, zlib.DEFLATED, -15)
    payload = bomb.compress(b"\0" * (1 << 20)) + bomb.flush()
    name = b"archive/data.pkl"
    lh = struct.pack("<IHHHHHIIIHH", 0x04034B50, 45, 0, 8, 0, 0, 0, len(payload), 0xFFFFFFFF, len(name), 20) + name + \
        struct.pack("<HHQQ", 1, 16, 1 << 40, len(payload))
    ch = struct.pack("<IHHHHHHIIIHHHHHII", 0x02014B50, 45, 45, 0, 8, 0, 0, 0, len(payload), 0xFFFFFFFF,
                     len(name), 12, 0, 0, 0, 0, 0) + name + struct.pack("<HHQ", 1, 8, 1 << 40)
    body = lh + payload
    write("zip_deflate_bomb.pt", body + ch + eocd(1, len(ch), len(body)), 2, 2, "",
          "deflated data.pkl declaring 1 TiB")
    # A real 1000:1 deflate of 8 MiB of zeros as data.pkl: inflates within limits, then the
    # unpickler refuses the first zero byte.
    zeros = zlib.compress(b"\0" * (8 << 20), 9)[2:-4]
    members = [("archive/data.pkl", zeros), ("archive/version", b"3\n")]
    out, central = b"", b""
    for name, data in members:
        offset = len(out)
        method = 8 if name.endswith(".pkl") else 0
        full = b"\0" * (8 << 20) if method else data
        out += local_header(name, full, method=method, csize=len(data), usize=len(full)) + data
        central += central_header(name, full, offset, method=method, csize=len(data), usize=len(full))
    write("zip_zeros_1000_to_1.pt", out + central + eocd(2, len(central), len(out)), 2, 2, "",
          "8 MiB of zeros deflated 1000:1 as data.pkl")
    write("zip_truncated.pt", torch_zip(state_dict([("w", tensor_pickle())]))[:-30], 2, 2, "",
          "a torch.save zip cut short")


# ---- safetensors ---------------------------------------------------------------------------------

def safetensors(header, data, length=None):
    h = json.dumps(header, separators=(",", ":")).encode()
    h += b" " * (-len(h) % 8)
    return struct.pack("<Q", len(h) if length is None else length) + h + data


def vit_tensors(fill=None):
    """A 2-class ViT in timm's names: 8x8 images, patch 4, width 8, one block, MLP 16."""
    d, p, mlp, classes = 8, 4, 16, 2
    shapes = [("patch_embed.proj.weight", (d, 3, p, p)), ("patch_embed.proj.bias", (d,)), ("cls_token", (1, 1, d)),
              ("pos_embed", (1, 5, d)), ("blocks.0.norm1.weight", (d,)), ("blocks.0.norm1.bias", (d,)),
              ("blocks.0.attn.qkv.weight", (3 * d, d)), ("blocks.0.attn.qkv.bias", (3 * d,)),
              ("blocks.0.attn.proj.weight", (d, d)), ("blocks.0.attn.proj.bias", (d,)),
              ("blocks.0.norm2.weight", (d,)), ("blocks.0.norm2.bias", (d,)),
              ("blocks.0.mlp.fc1.weight", (mlp, d)), ("blocks.0.mlp.fc1.bias", (mlp,)),
              ("blocks.0.mlp.fc2.weight", (d, mlp)), ("blocks.0.mlp.fc2.bias", (d,)),
              ("norm.weight", (d,)), ("norm.bias", (d,)), ("head.weight", (classes, d)), ("head.bias", (classes,))]
    header, data = {}, b""
    for i, (name, shape) in enumerate(sorted(shapes)):
        n = math.prod(shape)
        if name.endswith("norm1.weight") or name.endswith("norm2.weight") or name == "norm.weight":
            values = [1.0] * n
        else:
            values = [((i * 7 + k * 13) % 17 - 8) / 40.0 for k in range(n)]
        if fill is not None and name == "patch_embed.proj.weight":
            values = [fill] * n
        header[name] = {"dtype": "F32", "shape": list(shape), "data_offsets": [len(data), len(data) + 4 * n]}
        data += struct.pack("<%df" % n, *values)
    return header, data


def npy(shape, values):
    header = "{'descr': '<f4', 'fortran_order': False, 'shape': (%s), }" % "".join("%d," % s for s in shape)
    header += " " * (-(len(header) + 11) % 64) + "\n"
    return b"\x93NUMPY\x01\x00" + struct.pack("<H", len(header)) + header.encode() + struct.pack("<%df" % len(values), *values)


def safetensors_files():
    two = {"a": {"dtype": "F32", "shape": [4], "data_offsets": [0, 16]},
           "b": {"dtype": "F32", "shape": [4], "data_offsets": [8, 24]}}
    write("st_overlapping_offsets.safetensors", safetensors(two, b"\0" * 24), 2, 2, "",
          "two tensors sharing bytes 8-16")
    far = {"a": {"dtype": "F32", "shape": [4], "data_offsets": [0, 16]},
           "b": {"dtype": "F32", "shape": [1 << 28], "data_offsets": [16, 16 + (1 << 30)]}}
    write("st_offsets_out_of_range.safetensors", safetensors(far, b"\0" * 16), 2, 2, "",
          "data_offsets 1 GiB past the end of a tiny file")
    wrong = {"a": {"dtype": "F32", "shape": [1000, 1000], "data_offsets": [0, 16]}}
    write("st_shape_disagrees.safetensors", safetensors(wrong, b"\0" * 16), 2, 2, "",
          "a 1000x1000 shape over 16 bytes")
    overflow = {"a": {"dtype": "F32", "shape": [1 << 32, 1 << 32, 1 << 32], "data_offsets": [0, 16]}}
    write("st_shape_overflows.safetensors", safetensors(overflow, b"\0" * 16), 2, 2, "",
          "a shape whose element count overflows 64 bits")
    for length, stem in ((1 << 63, "2p63"), (1 << 40, "2p40"), (100_000_001, "100MB")):
        write("st_header_length_%s.safetensors" % stem, safetensors({"a": {"dtype": "F32", "shape": [1],
                                                                           "data_offsets": [0, 4]}}, b"\0" * 4,
                                                                     length=length), 2, 2, "",
              "header length %d in a 64-byte file" % length)
    deep = b'{"a":' + b"[" * 20000 + b"]" * 20000 + b"}"
    write("st_header_deep_nesting.safetensors", struct.pack("<Q", len(deep)) + deep, 2, 2, "",
          "a 20000-deep JSON header")

    header, data = vit_tensors()
    write("st_tiny_vit_clean.safetensors", safetensors(header, data), 0, 0, "", "a tiny valid ViT (control)",
          args=["--num-heads", "2"])
    write("input_tiny_vit.npy", npy((1, 3, 8, 8), [((k * 5) % 11 - 5) / 5.0 for k in range(192)]), -1, -1, "",
          "reference pixels for the tiny ViT")
    write("logits_tiny_vit.npy", npy((1, 2), [0.0, 0.0]), -1, -1, "", "reference logits (any finite values)")
    for fill, stem in ((float("nan"), "nan"), (float("inf"), "inf")):
        header, data = vit_tensors(fill)
        write("st_tiny_vit_%s.safetensors" % stem, safetensors(header, data), 1, 4, "NaN/Inf",
              "patch embedding filled with %s: loads, verification must report non-finite outputs" % stem,
              args=["--num-heads", "2"], reference=True)


# ---- pickles that are expensive rather than dangerous ---------------------------------------------

def expensive_files():
    # 60 levels of a list holding the previous level twice: 2^60 paths through 61 values.
    p = b"](K\x01K\x02eq\x000"
    for level in range(1, 61):
        p += b"](h" + bytes([level - 1]) + b"h" + bytes([level - 1]) + b"eq" + bytes([level]) + (b"0" if level < 60 else b"")
    pkl = b"\x80\x02}(" + binunicode("w") + tensor_pickle() + binunicode("laughs") + p + b"u."
    write("billion_laughs.pt", torch_zip(pkl), 2, 0, "", "2^60 paths through shared lists next to a tensor")
    # Very many tiny tensor views of one storage (memory per value, not per byte of file).
    views = b"".join(binunicode("t%d" % i) + tensor_pickle(numel=6, shape=(1,), stride=(1,)) for i in range(600))
    write("many_views.pt", torch_zip(b"\x80\x02}(" + views + b"u."), 2, 0, "", "600 tensors over one storage")
    # A stride-0 view declaring 2^40 elements over 6 stored floats.
    huge = tensor_pickle(numel=6, shape=(1 << 20, 1 << 20), stride=(0, 0))
    # Two different views sharing elements 2-3 of one storage, and two names for one view.
    overlap = state_dict([("a", tensor_pickle(shape=(4,), stride=(1,))),
                          ("b", tensor_pickle(shape=(2, 2), stride=(2, 1)).replace(long1(0) + ints((2, 2)),
                                                                                     long1(2) + ints((2, 2))))])
    write("overlapping_views.pt", torch_zip(overlap), 2, 4, "overlap", "tensors a [0, 4) and b [2, 6) of one storage")
    tied = state_dict([("a", tensor_pickle()), ("b", tensor_pickle())])
    write("tied_views.pt", torch_zip(tied), 2, 0, "", "two names for the same view (tied weights): not suspicious")
    write("stride0_vit_2gib.pt", torch_zip(stride0_vit()), 2, 4, "tensors declare",
          "a consistent ViT whose tensors are stride-0 views: 12 KiB declaring 2 GiB of weights",
          args=["--num-heads", "16"])
    write("stride0_2p40_elements.pt", torch_zip(state_dict([("patch_embed.proj.weight", huge)])), 2, 4,
          "tensors declare", "a stride-0 tensor declaring 2^40 elements over 24 bytes")


def stride0_vit():
    """A consistent ViT (width 1024, MLP 65536, 4 blocks) whose every tensor is a stride-0 view
    of 6 stored floats: 12 KiB that would convert to 2 GiB of float32 weights."""
    d, mlp = 1024, 65536
    shapes = [("patch_embed.proj.weight", (d, 3, 16, 16)), ("patch_embed.proj.bias", (d,)), ("cls_token", (1, 1, d)),
              ("pos_embed", (1, 197, d)), ("norm.weight", (d,)), ("norm.bias", (d,)), ("head.weight", (10, d)),
              ("head.bias", (10,))]
    for b in range(4):
        for name, shape in (("norm1.weight", (d,)), ("norm1.bias", (d,)), ("attn.qkv.weight", (3 * d, d)),
                            ("attn.qkv.bias", (3 * d,)), ("attn.proj.weight", (d, d)), ("attn.proj.bias", (d,)),
                            ("norm2.weight", (d,)), ("norm2.bias", (d,)), ("mlp.fc1.weight", (mlp, d)),
                            ("mlp.fc1.bias", (mlp,)), ("mlp.fc2.weight", (d, mlp)), ("mlp.fc2.bias", (d,))):
            shapes.append(("blocks.%d.%s" % (b, name), shape))
    return state_dict([(n, tensor_pickle(shape=s, stride=(0,) * len(s))) for n, s in shapes])


def main():
    os.makedirs(OUT, exist_ok=True)
    for name in os.listdir(OUT):
        os.remove(os.path.join(OUT, name))
    code_execution_files()
    zip_files()
    safetensors_files()
    expensive_files()
    with open(os.path.join(OUT, "manifest.json"), "w") as f:
        json.dump({"marker": MARKER, "files": manifest}, f, indent=1)
        f.write("\n")


if __name__ == "__main__":
    main()
