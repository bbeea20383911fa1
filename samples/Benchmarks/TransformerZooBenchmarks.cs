using System;
using System.IO;
using System.Linq;
using BenchmarkDotNet.Attributes;
using Microsoft.ML.OnnxRuntime;
using QuantGen.Data;
using QuantGen.Graph;
using QuantGen.Interpreters;
using QuantGen.Model;

namespace QuantGen.Benchmarks
{
    /// <summary>
    /// The zoo's transformer and MLPs (issue 14: DeiT-Tiny, the jet tagger, the anomaly-detection autoencoder), single
    /// thread, batch 1 and 32: the generated code (imported from the `*_ortqdq.onnx` files with `quantgen import`,
    /// samples/Benchmarks/zoo) against ONNX Runtime on the QDQ file it was imported from and on the float export where the
    /// zoo has one (`*_float17.onnx`; DeiT-Tiny has none committed). Fixed pseudo-random inputs; the setup checks every
    /// generated sample of the batch against the reference interpreter before anything is timed. ONNX files whose batch
    /// dimension is fixed to 1 run the batch as consecutive calls of one session (the generated code's batched
    /// <c>Infer</c> is timed as is).
    /// </summary>
    public class TransformerZooBenchmarks
    {
        private Action generated = () => { };
        private Action ortFloat = () => { }, ortQdq = () => { };
        private IDisposable? ortFloatSession, ortQdqSession;

        [Params("deit_tiny", "jet_tagger", "ad_autoencoder")]
        public string Model { get; set; } = "deit_tiny";

        [Params(1, 32)]
        public int Batch { get; set; } = 1;

        [GlobalSetup]
        public void Setup()
        {
            string zoo = LabeledDataset.FindUpwards(AppContext.BaseDirectory, Path.Combine("samples", "Benchmarks", "zoo"));
            string onnx = LabeledDataset.FindUpwards(AppContext.BaseDirectory, Path.Combine("samples", "zoo", "models"));
            ModelGraph graph = ModelLoader.Load(Path.Combine(zoo, Model + ".qmodel.json")).GetGraphOrThrow();
            var reference = new ReferenceInterpreter(graph);
            int inLength = graph.Input.ElementCount, outLength = graph.Output.ElementCount;
            var rng = new Random(42);
            float[] x = Enumerable.Range(0, inLength * Batch).Select(_ => (float)(Model == "deit_tiny" ? (2 * rng.NextDouble()) - 1 : rng.NextDouble())).ToArray();
            sbyte[] input = new sbyte[inLength * Batch];
            int[][] expected = new int[Batch][];
            for (int b = 0; b < Batch; b++)
            {
                int[] q = reference.Quantize(x.AsSpan(b * inLength, inLength).ToArray());
                for (int i = 0; i < inLength; i++)
                {
                    input[(b * inLength) + i] = (sbyte)q[i];
                }

                expected[b] = b < 2 || Model != "deit_tiny" ? reference.Run(q) : Array.Empty<int>();
            }

            Func<int[]> run;
            (generated, run) = Model switch
            {
                "deit_tiny" => Bind(new DeitTiny().Infer, input, new sbyte[outLength * Batch], Batch),
                "jet_tagger" => Bind(new JetTagger().Infer, input, new short[outLength * Batch], Batch),
                _ => Bind(new AdAutoencoder().Infer, input, new sbyte[outLength * Batch], Batch),
            };
            generated();
            int[] got = run();
            for (int b = 0; b < Batch; b++)
            {
                // The reference interpreter takes seconds per DeiT-Tiny sample: two samples of its batch are checked.
                if (expected[b].Length > 0 && !expected[b].SequenceEqual(got.Skip(b * outLength).Take(outLength)))
                {
                    throw new InvalidOperationException($"the generated {Model} differs from the reference interpreter (sample {b})");
                }
            }

            string floatPath = Path.Combine(onnx, Model + "_float17.onnx");
            if (File.Exists(floatPath))
            {
                (ortFloat, ortFloatSession) = Ort(floatPath, x, graph, Batch);
            }

            (ortQdq, ortQdqSession) = Ort(Path.Combine(onnx, Model + "_ortqdq.onnx"), x, graph, Batch);
        }

        private static (Action, Func<int[]>) Bind<TOut>(InferFn<TOut> infer, sbyte[] input, TOut[] output, int batch)
            where TOut : struct, IConvertible
        {
            return (() => infer(input, output, batch), () => output.Select(v => v.ToInt32(System.Globalization.CultureInfo.InvariantCulture)).ToArray());
        }

        private delegate void InferFn<TOut>(ReadOnlySpan<sbyte> inputs, Span<TOut> outputs, int batchSize);

        /// <summary>One ORT session on the whole batch, or (batch dimension fixed to 1) one session called batch times.</summary>
        private static (Action, IDisposable) Ort(string path, float[] x, ModelGraph graph, int batch)
        {
            long[] inShape = graph.Input.Shape.Select(v => (long)v).ToArray(), outShape = graph.Output.Shape.Select(v => (long)v).ToArray();
            int inLength = graph.Input.ElementCount, outLength = graph.Output.ElementCount;
            bool dynamic;
            using (var probe = new InferenceSession(path))
            {
                dynamic = probe.InputMetadata.Values.First().Dimensions[0] < 0;
            }

            Console.WriteLine($"// ORT {Path.GetFileName(path)}: batch {batch} as {(dynamic || batch == 1 ? "one call" : batch + " calls of batch 1 (the file's batch dimension is fixed)")}");
            if (dynamic || batch == 1)
            {
                inShape[0] = batch;
                outShape[0] = batch;
                var r = new OrtRunner(path, x, inShape, outLength * batch, outShape);
                return (r.Run, r);
            }

            var one = new OrtRunner(path, x.AsSpan(0, inLength).ToArray(), inShape, outLength, outShape);
            return (() =>
            {
                for (int b = 0; b < batch; b++)
                {
                    one.Run();
                }
            }, one);
        }

        [GlobalCleanup]
        public void Cleanup()
        {
            ortFloatSession?.Dispose();
            ortQdqSession?.Dispose();
        }

        [Benchmark]
        public void OrtFloat() => ortFloat();

        [Benchmark]
        public void OrtQdq() => ortQdq();

        [Benchmark]
        public void Generated() => generated();
    }
}
