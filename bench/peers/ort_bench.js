#!/usr/bin/env node
// Times an ONNX model in onnxruntime-node (CPU execution provider) the way vitbench times vitcpp.
//
//   node ort_bench.js --model model.onnx [--batch N] [--threads T] [--warmup W] [--iters I]
//                     [--input pixels.npy] [--logits out.npy] [--print-logits] [--spin 0|1]
//
// Prints one JSON object {median_ms, min_ms, max_ms, ...}. Pixels come from --input (float32
// [N,3,H,W] .npy) or are uniform random [batch,3,224,224]. --logits writes the first output as
// float32 .npy; --print-logits adds it to the JSON. Session: intraOpNumThreads=T,
// interOpNumThreads=1, sequential execution, graph optimization "all"; --spin 0 (the default)
// turns off intra-op spin-waiting, matching OMP_WAIT_POLICY=PASSIVE in vitcpp and PyTorch.
'use strict';
const fs = require('fs');
const os = require('os');
const ort = require('onnxruntime-node');

function parseArgs(argv) {
  const args = {batch: 1, threads: os.cpus().length, warmup: 3, iters: 20, spin: 0};
  const numeric = new Set(['batch', 'threads', 'warmup', 'iters', 'spin']);
  const known = new Set([...numeric, 'model', 'input', 'logits']);
  for (let i = 0; i < argv.length; ++i) {
    const flag = argv[i];
    if (flag === '--print-logits') { args.printLogits = true; continue; }
    const name = flag.replace(/^--/, '');
    if (!flag.startsWith('--') || !known.has(name) || i + 1 >= argv.length) {
      throw new Error(`bad argument ${flag} (see the header of ort_bench.js)`);
    }
    const value = argv[++i];
    args[name] = numeric.has(name) ? Number(value) : value;
    if (numeric.has(name) && !Number.isInteger(args[name])) throw new Error(`${flag} needs an integer`);
  }
  if (!args.model) throw new Error('--model is required');
  return args;
}

// Little-endian float32 C-order .npy only: what vit_torch.py writes.
function readNpy(path) {
  const buf = fs.readFileSync(path);
  if (buf.toString('latin1', 0, 6) !== '\x93NUMPY') throw new Error(`${path}: not a .npy file`);
  const major = buf[6];
  const headerLen = major === 1 ? buf.readUInt16LE(8) : buf.readUInt32LE(8);
  const start = (major === 1 ? 10 : 12) + headerLen;
  const header = buf.toString('latin1', major === 1 ? 10 : 12, start);
  if (!/'descr':\s*'<f4'/.test(header) || /'fortran_order':\s*True/.test(header)) {
    throw new Error(`${path}: expected little-endian float32 in C order, got ${header.trim()}`);
  }
  const shape = header.match(/'shape':\s*\(([^)]*)\)/)[1].split(',').filter((s) => s.trim()).map(Number);
  const count = shape.reduce((a, b) => a * b, 1);
  const data = new Float32Array(count);
  for (let i = 0; i < count; ++i) data[i] = buf.readFloatLE(start + 4 * i);
  return {shape, data};
}

function writeNpy(path, shape, data) {
  let header = `{'descr': '<f4', 'fortran_order': False, 'shape': (${shape.join(', ')}${shape.length === 1 ? ',' : ''}), }`;
  header += ' '.repeat(63 - ((10 + header.length) % 64)) + '\n';  // data starts at a multiple of 64
  const prefix = Buffer.alloc(10);
  prefix.write('\x93NUMPY', 0, 'latin1');
  prefix[6] = 1;
  prefix[7] = 0;
  prefix.writeUInt16LE(header.length, 8);
  fs.writeFileSync(path, Buffer.concat([prefix, Buffer.from(header, 'latin1'), Buffer.from(data.buffer, data.byteOffset, data.byteLength)]));
}

function summarize(samples) {
  const s = [...samples].sort((a, b) => a - b);
  const n = s.length;
  return {median_ms: n % 2 ? s[(n - 1) / 2] : (s[n / 2 - 1] + s[n / 2]) / 2, min_ms: s[0], max_ms: s[n - 1]};
}

async function main() {
  const args = parseArgs(process.argv.slice(2));
  const options = {
    executionProviders: ['cpu'],
    intraOpNumThreads: args.threads,
    interOpNumThreads: 1,
    executionMode: 'sequential',
    graphOptimizationLevel: 'all',
    extra: {session: {intra_op: {allow_spinning: String(args.spin)}}},
  };
  const loadStart = process.hrtime.bigint();
  const session = await ort.InferenceSession.create(args.model, options);
  const loadMs = Number(process.hrtime.bigint() - loadStart) / 1e6;

  let pixels;
  if (args.input) {
    pixels = readNpy(args.input);
  } else {
    const shape = [args.batch, 3, 224, 224];
    const data = new Float32Array(shape.reduce((a, b) => a * b, 1));
    for (let i = 0; i < data.length; ++i) data[i] = Math.random() * 2 - 1;
    pixels = {shape, data};
  }
  const feeds = {[session.inputNames[0]]: new ort.Tensor('float32', pixels.data, pixels.shape)};
  let output;
  const samples = [];
  for (let i = 0; i < args.warmup + args.iters; ++i) {
    const start = process.hrtime.bigint();
    output = (await session.run(feeds))[session.outputNames[0]];
    if (i >= args.warmup) samples.push(Number(process.hrtime.bigint() - start) / 1e6);
  }
  const report = {engine: 'onnxruntime-node', version: require('onnxruntime-node/package.json').version,
    batch: pixels.shape[0], threads: args.threads, spin: args.spin, warmup: args.warmup, iters: args.iters,
    load_ms: loadMs, ...(args.iters > 0 ? summarize(samples) : {})};
  if (args.logits) writeNpy(args.logits, output.dims, output.data);
  if (args.printLogits) report.logits = {shape: output.dims, data: Array.from(output.data)};
  console.log(JSON.stringify(report));
}

main().catch((e) => {
  console.error(`ort_bench.js: ${e.message}`);
  process.exit(2);
});
