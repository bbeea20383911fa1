using System;
using System.Collections.Generic;
using System.Globalization;
using System.IO;
using System.Linq;
using System.Text;
using Microsoft.ML.OnnxRuntime;
using Microsoft.ML.OnnxRuntime.Tensors;
using QuantGen.Graph;
using QuantGen.Interpreters;
using QuantGen.Model;
using QuantGen.Onnx;
using QuantGen.Operators;
using QuantGen.Samples.Zoo;
using Xunit;
using Xunit.Abstractions;

namespace QuantGen.Tests.Zoo
{
    /// <summary>
    /// Issue 13 (lnagree): where DeiT-Tiny's LayerNorm differences against ONNX Runtime come from. For every LayerNorm of the
    /// ortqdq file, every row of the first <see cref="Inputs"/> test digits is evaluated three ways: QuantGen's integer
    /// LayerNorm on ORT's own input integers, ORT's output integers, and the exact LayerNorm in float64 (the file's gamma,
    /// beta and epsilon on the dequantized input, divided by the output scale, unrounded). The same exact LayerNorm on
    /// QuantGen's whole-chain input integers separates what the LayerNorm adds from what its input differences force.
    /// </summary>
    public class DeitLayerNormTests
    {
        /// <summary>Test digits (the reference interpreter runs all 320 layers per input, ~25 s each).</summary>
        public const int Inputs = 2;

        private static readonly double[] VarianceEdges = { 0.25, 1, 4, 16, 64, 256, double.PositiveInfinity };

        private readonly ITestOutputHelper output;

        public DeitLayerNormTests(ITestOutputHelper output)
        {
            this.output = output;
        }

        private sealed class Bucket
        {
            public long Rows;
            public long Elements;
            public double OursVsExact;        // max |QuantGen(x_ort) - exact(x_ort)| (unrounded exact, unsaturated elements)
            public long OursNotRounded;       // elements where QuantGen(x_ort) != round(exact(x_ort))
            public double OrtVsExact;         // max |ORT - exact(x_ort)|
            public long OrtNotRounded;
            public long OursVsOrt;            // max |QuantGen(x_ort) - ORT|
            public long ChainVsOrt;           // max |QuantGen(x_chain) - ORT| (the whole-chain number)
            public long ChainWithin1;
            public double ExactShift;         // max |exact(x_chain) - exact(x_ort)|: what the input differences force
            public long InputDiff;            // max |x_chain - x_ort|
            public double Gain;               // max gamma S_x / (sqrt(var + eps) S_y): output LSB per input LSB
            public long ChainExcess;          // elements where |QuantGen(x_chain) - ORT| > |exact(x_chain) - exact(x_ort)| + 1
        }

        /// <summary>
        /// Measured (see docs/numerics.md, "DeiT-Tiny LayerNorm: precision or amplification"): on ORT's own inputs QuantGen's
        /// LayerNorm is the exactly rounded value (beta rounded once with the product), and ORT's float32 LayerNorm is too; the
        /// whole-chain differences are forced by the input differences (|QuantGen(x_chain) - ORT| never exceeds the exact
        /// LayerNorm's own movement by more than 1 LSB).
        /// </summary>
        [Fact]
        public void DeitLayerNormsAreExactOnOrtInputsAndOnlyAmplifyTheirInputDifferences()
        {
            ZooEntry e = ZooCatalog.Entries().First(x => x.Model == ZooCatalog.DeitTiny && x.Export == "ortqdq");
            string path = ZooCatalog.PathOf(e);
            OnnxGraph onnx = OnnxReader.ReadFile(path).Graph!;
            var inits = onnx.Initializers.ToDictionary(t => t.Name, StringComparer.Ordinal);
            var producer = onnx.Nodes.SelectMany(n => n.Outputs.Select(o => (o, n))).GroupBy(p => p.o).ToDictionary(p => p.Key, p => p.First().n, StringComparer.Ordinal);
            var quantized = new Dictionary<string, string>(StringComparer.Ordinal);
            foreach (OnnxNode q in onnx.Nodes.Where(n => n.OpType == "QuantizeLinear" && !inits.ContainsKey(n.Inputs[0])))
            {
                quantized.TryAdd(ZooLayerTests.Sanitize(q.Inputs[0]), q.Outputs[0]);
            }

            double[] Floats(string name)
            {
                if (inits.TryGetValue(name, out OnnxTensor? t))
                {
                    return TensorValue.Decode(t, ".", path, name).AsDoubles();
                }

                OnnxNode dq = producer[name];
                Assert.Equal("DequantizeLinear", dq.OpType);
                double[] v = Floats(dq.Inputs[0]), s = Floats(dq.Inputs[1]);
                double[] z = dq.Inputs.Count > 2 ? Floats(dq.Inputs[2]) : new double[s.Length];
                return v.Select((x, i) => (x - z[i % z.Length]) * s[i % s.Length]).ToArray();
            }

            var lnOnnx = onnx.Nodes.Where(n => n.OpType == "LayerNormalization").ToDictionary(n => ZooLayerTests.Sanitize(n.Outputs[0]), StringComparer.Ordinal);
            ZooImport im = ZooCatalog.Import(e);
            ModelGraph g = im.Model!.Graph;
            List<GraphNode> lns = g.Nodes.Where(n => n.Layer.Op == OpKind.LayerNorm).ToList();
            Assert.Equal(25, lns.Count);
            var wanted = lns.SelectMany(n => new[] { quantized[n.Inputs[0].Name], quantized[n.Output.Name] }).Distinct().ToList();
            using var options = new SessionOptions { GraphOptimizationLevel = GraphOptimizationLevel.ORT_DISABLE_ALL, IntraOpNumThreads = 1, InterOpNumThreads = 1 };
            using var session = new InferenceSession(ZooLayerTests.WithOutputs(File.ReadAllBytes(path), wanted), options);
            string input = session.InputMetadata.Keys.First();
            var reference = new ReferenceInterpreter(g);
            var buckets = new Dictionary<(bool Final, int Bucket), Bucket>();
            var perLayer = new Dictionary<string, Bucket>(StringComparer.Ordinal);
            foreach ((float[] x, _) in ZooCatalog.Data(e.Model, "test", Inputs))
            {
                using IDisposableReadOnlyCollection<DisposableNamedOnnxValue> r = session.Run(
                    new[] { NamedOnnxValue.CreateFromTensor(input, new DenseTensor<float>(x, e.Model.Shape)) }, wanted);
                Dictionary<string, int[]> ints = r.ToDictionary(v => v.Name, v => ZooLayerTests.Integers(v.Value), StringComparer.Ordinal);
                IReadOnlyDictionary<string, int[]> chain = reference.RunAll(ZooCatalog.Quantize(g, x));
                foreach (GraphNode n in lns)
                {
                    OnnxNode src = lnOnnx[n.Output.Name];
                    double[] gamma = Floats(src.Inputs[1]);
                    double[] beta = src.Inputs.Count > 2 && src.Inputs[2].Length > 0 ? Floats(src.Inputs[2]) : new double[gamma.Length];
                    double eps = src.Attribute("epsilon")?.F ?? 1e-5f;
                    TensorQuant qi = n.Inputs[0].Quant!, qo = n.Output.Quant!;
                    int[] xOrt = ints[quantized[n.Inputs[0].Name]], yOrt = ints[quantized[n.Output.Name]];
                    int[] xChain = chain[n.Inputs[0].Name], yChain = chain[n.Output.Name];
                    var yOurs = new int[yOrt.Length];
                    OperatorRegistry.Core.Find(OpKind.LayerNorm)!.Reference(n, new[] { xOrt }, new[] { yOurs });
                    int c = gamma.Length;
                    bool final = !n.Layer.Name.Contains("blocks", StringComparison.Ordinal);
                    if (!perLayer.TryGetValue(n.Layer.Name, out Bucket? layer))
                    {
                        perLayer[n.Layer.Name] = layer = new Bucket();
                    }

                    for (int row = 0; row < xOrt.Length / c; row++)
                    {
                        int o = row * c;
                        double[] exactOrt = Exact(xOrt, o, c, qi, qo, gamma, beta, eps, out double varOrt);
                        double[] exactChain = Exact(xChain, o, c, qi, qo, gamma, beta, eps, out _);
                        int bi = Array.FindIndex(VarianceEdges, edge => varOrt < edge);
                        if (!buckets.TryGetValue((final, bi), out Bucket? b))
                        {
                            buckets[(final, bi)] = b = new Bucket();
                        }

                        foreach (Bucket s in new[] { b, layer })
                        {
                            s.Rows++;
                            for (int i = 0; i < c; i++)
                            {
                                double ex = exactOrt[i];
                                bool inside = ex >= qo.Type.MinValue && ex <= qo.Type.MaxValue;
                                long rounded = (long)Math.Clamp(Math.Round(ex, MidpointRounding.ToEven), qo.Type.MinValue, qo.Type.MaxValue);
                                s.Elements++;
                                s.OursVsExact = inside ? Math.Max(s.OursVsExact, Math.Abs(yOurs[o + i] - ex)) : s.OursVsExact;
                                s.OursNotRounded += yOurs[o + i] != rounded ? 1 : 0;
                                s.OrtVsExact = inside ? Math.Max(s.OrtVsExact, Math.Abs(yOrt[o + i] - ex)) : s.OrtVsExact;
                                s.OrtNotRounded += yOrt[o + i] != rounded ? 1 : 0;
                                s.OursVsOrt = Math.Max(s.OursVsOrt, Math.Abs((long)yOurs[o + i] - yOrt[o + i]));
                                long chainDiff = Math.Abs((long)yChain[o + i] - yOrt[o + i]);
                                s.ChainVsOrt = Math.Max(s.ChainVsOrt, chainDiff);
                                s.ChainWithin1 += chainDiff <= 1 ? 1 : 0;
                                double forced = Math.Abs(Math.Clamp(exactChain[i], qo.Type.MinValue, qo.Type.MaxValue) - Math.Clamp(ex, qo.Type.MinValue, qo.Type.MaxValue));
                                s.ExactShift = Math.Max(s.ExactShift, forced);
                                s.ChainExcess += chainDiff > forced + 1 ? 1 : 0;
                                s.InputDiff = Math.Max(s.InputDiff, Math.Abs((long)xChain[o + i] - xOrt[o + i]));
                                s.Gain = Math.Max(s.Gain, Math.Abs(gamma[i]) * qi.Scale / Math.Sqrt((varOrt * qi.Scale * qi.Scale) + eps) / qo.Scale);
                            }
                        }
                    }
                }
            }

            static string F(double v) => v.ToString(v >= 100 ? "F0" : "0.###", CultureInfo.InvariantCulture);
            var sb = new StringBuilder();
            sb.Append("| layers | row variance (input LSB^2) | rows | QuantGen(x_ort) - exact: max / not exactly rounded | ORT - exact: max / not exactly rounded | QuantGen(x_ort) - ORT max | chain - ORT: within 1 / max | exact(x_chain) - exact(x_ort) max | input diff max | gain max (LSB/LSB) | chain beyond forced + 1 |\n");
            sb.Append("|---|---|---|---|---|---|---|---|---|---|---|\n");
            foreach (((bool final, int bi), Bucket b) in buckets.OrderBy(k => k.Key.Final).ThenBy(k => k.Key.Bucket))
            {
                string lo = bi == 0 ? "0" : F(VarianceEdges[bi - 1]);
                string hi = double.IsPositiveInfinity(VarianceEdges[bi]) ? "inf" : F(VarianceEdges[bi]);
                sb.Append("| ").Append(final ? "final norm" : "blocks 0-11").Append(" | [").Append(lo).Append(", ").Append(hi).Append(") | ").Append(b.Rows)
                  .Append(" | ").Append(F(b.OursVsExact)).Append(" / ").Append(b.OursNotRounded)
                  .Append(" | ").Append(F(b.OrtVsExact)).Append(" / ").Append(b.OrtNotRounded)
                  .Append(" | ").Append(b.OursVsOrt)
                  .Append(" | ").Append((100.0 * b.ChainWithin1 / b.Elements).ToString("F1", CultureInfo.InvariantCulture)).Append(" % / ").Append(b.ChainVsOrt)
                  .Append(" | ").Append(F(b.ExactShift)).Append(" | ").Append(b.InputDiff).Append(" | ").Append(F(b.Gain)).Append(" | ").Append(b.ChainExcess).Append(" |\n");
            }

            output.WriteLine(sb.ToString());
            foreach ((string name, Bucket b) in perLayer)
            {
                output.WriteLine($"{name}: rows {b.Rows}, ours-exact {F(b.OursVsExact)} ({b.OursNotRounded} not rounded), ort-exact {F(b.OrtVsExact)} ({b.OrtNotRounded}), ours-ort {b.OursVsOrt}, chain-ort {b.ChainVsOrt} ({(100.0 * b.ChainWithin1 / b.Elements).ToString("F1", CultureInfo.InvariantCulture)} % within 1), forced {F(b.ExactShift)}, input diff {b.InputDiff}, gain {F(b.Gain)}, excess {b.ChainExcess}");
            }

            Bucket all = new Bucket();
            foreach (Bucket b in buckets.Values)
            {
                all.OursVsExact = Math.Max(all.OursVsExact, b.OursVsExact);
                all.ChainExcess += b.ChainExcess;
                all.Rows += b.Rows;
            }

            Assert.Equal(Inputs * 25 * 197, all.Rows);

            // On ORT's own inputs the integer LayerNorm is the exact LayerNorm rounded once (beta's fraction joins the one
            // rounding), on every variance range; and end to end it adds at most 1 LSB to what its input differences force
            // through the exact LayerNorm.
            Assert.True(all.OursVsExact <= 0.5 + 1e-6, $"QuantGen's LayerNorm is {all.OursVsExact} LSB from the exact value on ORT's inputs");
            Assert.Equal(0, all.ChainExcess);
        }

        /// <summary>
        /// The tie rule (issue 13): ORT's QuantizeLinear computes float32(x / scale) and rounds half to even, QuantGen's
        /// dyadics round half up; they can differ by design only where x / scale is exactly k + 1/2 in float32. Counts those
        /// exact ties over every activation QuantizeLinear of DeiT on the first <see cref="Inputs"/> test digits, per producing
        /// ONNX operator (measured: docs/numerics.md, "DeiT-Tiny LayerNorm: precision or amplification").
        /// </summary>
        [Fact]
        public void DeitExactTiesInOrtQuantizeLinearAreCounted()
        {
            ZooEntry e = ZooCatalog.Entries().First(x => x.Model == ZooCatalog.DeitTiny && x.Export == "ortqdq");
            string path = ZooCatalog.PathOf(e);
            OnnxGraph onnx = OnnxReader.ReadFile(path).Graph!;
            var inits = onnx.Initializers.ToDictionary(t => t.Name, StringComparer.Ordinal);
            var producer = onnx.Nodes.SelectMany(n => n.Outputs.Select(o => (o, n))).GroupBy(p => p.o).ToDictionary(p => p.Key, p => p.First().n, StringComparer.Ordinal);
            var qs = onnx.Nodes.Where(n => n.OpType == "QuantizeLinear" && !inits.ContainsKey(n.Inputs[0]) && producer.ContainsKey(n.Inputs[0])).ToList();
            var wanted = qs.Select(q => q.Inputs[0]).Distinct().ToList();
            using var options = new SessionOptions { GraphOptimizationLevel = GraphOptimizationLevel.ORT_DISABLE_ALL, IntraOpNumThreads = 1, InterOpNumThreads = 1 };
            using var session = new InferenceSession(ZooLayerTests.WithOutputs(File.ReadAllBytes(path), wanted), options);
            string input = session.InputMetadata.Keys.First();
            var counts = new SortedDictionary<string, (long Elements, long Ties)>(StringComparer.Ordinal);
            foreach ((float[] x, _) in ZooCatalog.Data(e.Model, "test", Inputs))
            {
                using IDisposableReadOnlyCollection<DisposableNamedOnnxValue> r = session.Run(
                    new[] { NamedOnnxValue.CreateFromTensor(input, new DenseTensor<float>(x, e.Model.Shape)) }, wanted);
                Dictionary<string, float[]> values = r.ToDictionary(v => v.Name, v => v.AsTensor<float>().ToArray(), StringComparer.Ordinal);
                foreach (OnnxNode q in qs)
                {
                    float scale = (float)TensorValue.Decode(inits[q.Inputs[1]], ".", path, q.Name)[0];
                    string op = producer[q.Inputs[0]].OpType;
                    (long el, long ties) = counts.TryGetValue(op, out var c) ? c : (0, 0);
                    foreach (float v in values[q.Inputs[0]])
                    {
                        float d = v / scale;
                        el++;
                        ties += d - MathF.Floor(d) == 0.5f ? 1 : 0;
                    }

                    counts[op] = (el, ties);
                }
            }

            foreach ((string op, (long el, long ties)) in counts)
            {
                output.WriteLine($"| {op} | {el} | {ties} | {(1e6 * ties / el).ToString("F1", CultureInfo.InvariantCulture)} |");
            }

            long total = counts.Values.Sum(c => c.Elements), allTies = counts.Values.Sum(c => c.Ties);
            output.WriteLine($"total: {allTies} exact ties in {total} quantized elements");
            Assert.True(total > 1_000_000, $"{total} elements");
            Assert.True(counts.ContainsKey("MatMul") && counts.ContainsKey("LayerNormalization") && counts.ContainsKey("Add"), string.Join(", ", counts.Keys));
        }

        /// <summary>
        /// Where block 0's 1-LSB input differences come from: the stem's Adds and block 0's residual Adds on ORT's own input
        /// integers, against the exact sum of the dequantized operands (our graph's quantization, which equals the file's
        /// for the activations; the initializer operand as QuantGen stores it): elements QuantGen and ORT each round
        /// differently from the exact value.
        /// </summary>
        [Fact]
        public void DeitStemAndBlockZeroAddsAgainstTheExactSum()
        {
            ZooEntry e = ZooCatalog.Entries().First(x => x.Model == ZooCatalog.DeitTiny && x.Export == "ortqdq");
            string path = ZooCatalog.PathOf(e);
            OnnxGraph onnx = OnnxReader.ReadFile(path).Graph!;
            Dictionary<string, string> quantized = ZooLayerTests.QuantizedActivations(onnx);

            ModelGraph g = ZooCatalog.Import(e).Model!.Graph;
            List<GraphNode> adds = g.Nodes.Where(n => n.Layer.Op == OpKind.Add && !n.Layer.Name.Contains("blocks.1", StringComparison.Ordinal)
                && n.Inputs.All(t => t.Kind == TensorKind.Initializer || quantized.ContainsKey(t.Name)) && quantized.ContainsKey(n.Output.Name)
                && !n.Output.Name.Contains("blocks.", StringComparison.Ordinal) | n.Output.Name.Contains("blocks.0/Add", StringComparison.Ordinal)).ToList();
            Assert.NotEmpty(adds);
            var wanted = adds.SelectMany(n => n.Inputs.Where(t => t.Kind != TensorKind.Initializer).Concat(new[] { n.Output })).Select(t => quantized[t.Name]).Distinct().ToList();
            using var options = new SessionOptions { GraphOptimizationLevel = GraphOptimizationLevel.ORT_DISABLE_ALL, IntraOpNumThreads = 1, InterOpNumThreads = 1 };
            using var session = new InferenceSession(ZooLayerTests.WithOutputs(File.ReadAllBytes(path), wanted), options);
            string input = session.InputMetadata.Keys.First();
            foreach ((float[] x, _) in ZooCatalog.Data(e.Model, "test", 1))
            {
                using IDisposableReadOnlyCollection<DisposableNamedOnnxValue> r = session.Run(
                    new[] { NamedOnnxValue.CreateFromTensor(input, new DenseTensor<float>(x, e.Model.Shape)) }, wanted);
                Dictionary<string, int[]> ints = r.ToDictionary(v => v.Name, v => ZooLayerTests.Integers(v.Value), StringComparer.Ordinal);
                foreach (GraphNode n in adds)
                {
                    int[][] ins = n.Inputs.Select(t => t.Kind == TensorKind.Initializer ? t.IntData! : ints[quantized[t.Name]]).ToArray();
                    var ours = new int[n.Output.ElementCount];
                    OperatorRegistry.Core.Find(OpKind.Add)!.Reference(n, ins, new[] { ours });
                    int[] ort = ints[quantized[n.Output.Name]];
                    TensorQuant qa = n.Inputs[0].Quant!, qb = n.Inputs[1].Quant!, qo = n.Output.Quant!;
                    int la = ins[0].Length, lb = ins[1].Length;
                    long oursOff = 0, ortOff = 0, differ = 0;
                    double oursMax = 0, ortMax = 0;
                    for (int i = 0; i < ort.Length; i++)
                    {
                        double exact = ((((ins[0][i % la] - qa.ZeroPoint) * qa.Scale) + ((ins[1][i % lb] - qb.ZeroPoint) * qb.Scale)) / qo.Scale) + qo.ZeroPoint;
                        if (exact < qo.Type.MinValue - 0.5 || exact > qo.Type.MaxValue + 0.5)
                        {
                            continue;
                        }

                        long rounded = (long)Math.Round(exact, MidpointRounding.ToEven);
                        oursOff += ours[i] != rounded ? 1 : 0;
                        ortOff += ort[i] != rounded ? 1 : 0;
                        differ += ours[i] != ort[i] ? 1 : 0;
                        oursMax = Math.Max(oursMax, Math.Abs(ours[i] - exact));
                        ortMax = Math.Max(ortMax, Math.Abs(ort[i] - exact));
                    }

                    output.WriteLine($"| {n.Layer.Name} | {ort.Length} | {differ} | {oursOff} / {F(oursMax)} | {ortOff} / {F(ortMax)} | a: scale {qa.Scale:G9} zp {qa.ZeroPoint}{(n.Inputs[0].Kind == TensorKind.Initializer ? " (initializer)" : string.Empty)}; b: scale {qb.Scale:G9} zp {qb.ZeroPoint}{(n.Inputs[1].Kind == TensorKind.Initializer ? " (initializer)" : string.Empty)}; out {qo.Scale:G9} zp {qo.ZeroPoint} |");
                    Assert.True(oursMax <= 1.0 + 1e-9, $"{n.Layer.Name}: {oursMax}");
                }
            }

            static string F(double v) => v.ToString("0.####", CultureInfo.InvariantCulture);
        }

        /// <summary>The exact LayerNorm of one row in output units (unrounded, zero point added); var: the row's variance in input LSB^2.</summary>
        private static double[] Exact(int[] x, int o, int c, TensorQuant qi, TensorQuant qo, double[] gamma, double[] beta, double eps, out double var)
        {
            double mean = 0;
            for (int i = 0; i < c; i++)
            {
                mean += x[o + i];
            }

            mean /= c;
            double ss = 0;
            for (int i = 0; i < c; i++)
            {
                ss += (x[o + i] - mean) * (x[o + i] - mean);
            }

            var = ss / c;
            double std = Math.Sqrt((var * qi.Scale * qi.Scale) + eps);
            var y = new double[c];
            for (int i = 0; i < c; i++)
            {
                y[i] = ((gamma[i] * (x[o + i] - mean) * qi.Scale / std) + beta[i]) / qo.Scale + qo.ZeroPoint;
            }

            return y;
        }
    }
}
