#!/usr/bin/env python3
"""Writes the small pickle / torch.save test files in tests/formats/data/.

Stdlib only (no torch, no numpy): torch's globals are stand-in modules registered under
their real names, so pickle writes exactly the GLOBAL opcodes torch.save would. Nothing
here is ever unpickled; the hostile files are only written. Run from anywhere:

    python3 tests/generators/make_hostile_pickles.py
"""
import argparse
import collections
import io
import os
import pickle
import runpy
import struct
import subprocess
import sys
import types
import zipfile

OUT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "formats", "data")
MARKER = "/tmp/vitcpp_hostile_marker"  # the C++ tests assert that this never appears
COMMAND = "touch " + MARKER


def write(name, data):
    with open(os.path.join(OUT, name), "wb") as f:
        f.write(data)


# ---- stand-ins for torch's globals -------------------------------------------------------

def fake_global(module, name, obj):
    mod = sys.modules.get(module)
    if mod is None:
        mod = types.ModuleType(module)
        sys.modules[module] = mod
        parent, _, child = module.rpartition(".")
        if parent:
            setattr(sys.modules[parent], child, mod)
    obj.__module__ = module
    obj.__qualname__ = name
    obj.__name__ = name
    setattr(mod, name, obj)
    return obj


fake_global("torch", "Size", type("Size", (), {}))  # creates the torch module
fake_global("torch._utils", "_rebuild_tensor_v2", lambda *a: None)
rebuild_tensor_v2 = sys.modules["torch._utils"]._rebuild_tensor_v2
rebuild_parameter = fake_global("torch._utils", "_rebuild_parameter", lambda *a: None)
STORAGE = {name: fake_global("torch", name, type(name, (), {}))
           for name in ("FloatStorage", "HalfStorage", "LongStorage")}


class Storage:
    def __init__(self, key, cls, fmt, values):
        self.key, self.cls, self.fmt, self.values = key, cls, fmt, values


class Tensor:
    def __init__(self, storage, offset, size, stride, parameter=False):
        self.args = (storage, offset, size, stride, False, collections.OrderedDict())
        self.parameter = parameter

    def __reduce_ex__(self, proto):
        if self.parameter:
            return (rebuild_parameter, (Tensor(*self.args[:4]), False, collections.OrderedDict()))
        return (rebuild_tensor_v2, self.args)


class TorchPickler(pickle.Pickler):
    def persistent_id(self, obj):
        if isinstance(obj, Storage):
            return ("storage", STORAGE[obj.cls], obj.key, "cpu", len(obj.values))
        return None


def torch_pickle(obj):
    buf = io.BytesIO()
    TorchPickler(buf, protocol=2).dump(obj)
    return buf.getvalue()


def storage_bytes(s, byteorder):
    return struct.pack(("<" if byteorder == "little" else ">") + s.fmt * len(s.values), *s.values)


def torch_zip(obj, storages, prefix="archive", byteorder=None):
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_STORED) as z:
        z.writestr(prefix + "/data.pkl", torch_pickle(obj))
        if byteorder:
            z.writestr(prefix + "/byteorder", byteorder)
        for s in storages:
            z.writestr(prefix + "/data/" + s.key, storage_bytes(s, byteorder or "little"))
        z.writestr(prefix + "/version", "3\n")
    return buf.getvalue()


def legacy_stream(obj, storages):
    out = io.BytesIO()
    for header in (0x1950A86A20F9469CFC6C, 1001,
                   {"protocol_version": 1001, "little_endian": True,
                    "type_sizes": {"short": 2, "int": 4, "long": 4}}):
        pickle.dump(header, out, protocol=2)
    out.write(torch_pickle(obj))
    pickle.dump([s.key for s in storages], out, protocol=2)
    for s in storages:
        out.write(struct.pack("<q", len(s.values)))
        out.write(storage_bytes(s, "little"))
    return out.getvalue()


# ---- hostile callables (pickled by reference, never called) -------------------------------

class Call:
    """Pickles as fn(*args): what a malicious file does to run code on load."""

    def __init__(self, fn, *args):
        self.fn, self.args = fn, args

    def __reduce__(self):
        return (self.fn, self.args)


def main():
    os.makedirs(OUT, exist_ok=True)

    shared = [1, 2]
    benign = {
        "int": 7, "neg": -300000, "i64": 2 ** 40, "min64": -2 ** 63, "big": 2 ** 70, "negbig": -(2 ** 70),
        "float": 1.5, "small": 1e-05, "str": "h\xe9llo \u2603", "bytes": b"\x00\x01\xff",
        "bytearray": bytearray(b"xy"), "tuple": (1, 2, 3), "empty_tuple": (), "nested": [1, [2, (3,)]],
        "set": {5}, "frozenset": frozenset({6}), "none": None, "true": True, "false": False,
        "shared_a": shared, "shared_b": shared, "od": collections.OrderedDict([("a", 1), ("b", 2)]),
        "ns": argparse.Namespace(lr=0.1, name="x"), 1: "int key",
    }
    for proto in range(6):
        write("benign_p%d.pkl" % proto, pickle.dumps(benign, protocol=proto))

    # REDUCE of refused globals, as GLOBAL (protocols 0-2) and STACK_GLOBAL (4).
    write("hostile_reduce_os_system_p0.pkl", pickle.dumps(Call(os.system, COMMAND), protocol=0))
    write("hostile_reduce_os_system_p2.pkl", pickle.dumps(Call(os.system, COMMAND), protocol=2))
    write("hostile_reduce_os_system_p4.pkl", pickle.dumps(Call(os.system, COMMAND), protocol=4))
    write("hostile_reduce_eval_p2.pkl",
          pickle.dumps(Call(eval, "__import__('os').system(%r)" % COMMAND), protocol=2))
    write("hostile_reduce_popen_p4.pkl", pickle.dumps(Call(subprocess.Popen, ["touch", MARKER]), protocol=4))
    # Hidden inside an otherwise ordinary state dict.
    write("hostile_nested_exec_p2.pkl", pickle.dumps(
        {"state_dict": collections.OrderedDict(w=[1.0]), "epoch": Call(exec, "open(%r, 'w')" % MARKER)},
        protocol=2))
    # Protocol 0 INST / protocol 1 OBJ, written by hand as old pickles spell them.
    write("hostile_inst_p0.pkl", b"(S'" + COMMAND.encode() + b"'\nios\nsystem\n.")
    write("hostile_obj_p1.pkl", b"(cposix\nsystem\nX" + struct.pack("<I", len(COMMAND)) + COMMAND.encode() + b"o.")
    # NEWOBJ_EX of subprocess.Popen with keyword arguments.
    def su(s):
        return b"\x8c" + bytes([len(s)]) + s.encode()
    write("hostile_newobj_ex_p4.pkl",
          b"\x80\x04" + su("subprocess") + su("Popen") + b"\x93" + b"(" + su("touch") + su(MARKER) + b"l\x85"
          + b"}" + su("shell") + b"\x89s" + b"\x92.")
    # BUILD that would set a __setstate__ through an allowed metadata class.
    write("hostile_build_p2.pkl",
          b"\x80\x02cargparse\nNamespace\n)\x81}X\x0c\x00\x00\x00__setstate__cos\nsystem\nsbX"
          + struct.pack("<I", len(COMMAND)) + COMMAND.encode() + b"b.")
    write("hostile_runpy_p2.pkl", pickle.dumps(Call(runpy._run_code, "open(%r, 'w')" % MARKER, {}), protocol=2))
    write("hostile_torch_load_p2.pkl", b"\x80\x02ctorch\nload\nX\x04\x00\x00\x00evil\x85R.")

    # torch.save files: benign ones that exercise byte order and parameters, hostile ones.
    weights = Storage("0", "FloatStorage", "f", [1.0, 2.0, 3.0, 4.0, 5.0, 6.0])
    halves = Storage("1", "HalfStorage", "e", [0.5, -2.0, 65504.0])
    steps = Storage("2", "LongStorage", "q", [7, -1])
    state = collections.OrderedDict([
        ("w", Tensor(weights, 0, (2, 3), (3, 1))),
        ("w_t", Tensor(weights, 0, (3, 2), (1, 3))),
        ("tail", Tensor(weights, 4, (2,), (1,))),
        ("p", Tensor(halves, 0, (3,), (1,), parameter=True)),
        ("n", Tensor(steps, 1, (), ())),
    ])
    storages = [weights, halves, steps]
    write("torch_little.pt", torch_zip(state, storages, prefix="some_name", byteorder="little"))
    write("torch_big_endian.pt", torch_zip(state, storages, byteorder="big"))
    write("torch_legacy.pt", legacy_stream(state, storages))

    evil_state = collections.OrderedDict([("w", Tensor(weights, 0, (2, 3), (3, 1))),
                                          ("x", Call(os.system, COMMAND))])
    write("hostile_checkpoint_os_system.pt", torch_zip(evil_state, [weights]))
    write("hostile_legacy_os_system.pt", legacy_stream(evil_state, [weights]))


if __name__ == "__main__":
    main()
