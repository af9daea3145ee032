// ONNX Runtime's side of bench/infer/compare_ort.py, as its own users run it
// from node (onnxruntime-node, its CPU execution provider):
//   node ort_bench.js MODEL.onnx THREADS BATCH SECONDS DIM...
// intra-op threads = THREADS, one inter-op thread, sequential execution, all
// graph optimisations; three warm-up runs, then runs for SECONDS. Prints one
// JSON line: {"samples_per_s": ...}.
const ort = require("onnxruntime-node");

async function main() {
  const [model, threads, batch, seconds, ...dims] = process.argv.slice(2);
  const session = await ort.InferenceSession.create(model, {
    intraOpNumThreads: Number(threads),
    interOpNumThreads: 1,
    executionMode: "sequential",
    graphOptimizationLevel: "all",
  });
  const shape = [Number(batch), ...dims.map(Number)];
  const x = new Float32Array(shape.reduce((a, b) => a * b, 1));
  for (let i = 0; i < x.length; ++i) x[i] = Math.random();
  const feeds = { [session.inputNames[0]]: new ort.Tensor("float32", x, shape) };
  for (let i = 0; i < 3; ++i) await session.run(feeds);
  let done = 0;
  const t0 = process.hrtime.bigint();
  let elapsed = 0;
  while (elapsed < Number(seconds)) {
    await session.run(feeds);
    done += Number(batch);
    elapsed = Number(process.hrtime.bigint() - t0) / 1e9;
  }
  console.log(JSON.stringify({ samples_per_s: done / elapsed }));
}

main().catch((e) => {
  console.error(`ort_bench: ${e.message}`);
  process.exit(1);
});
