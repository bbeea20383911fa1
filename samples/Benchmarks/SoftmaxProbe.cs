using System;
using System.IO;
using System.Linq;
using System.Runtime.InteropServices;
using QuantGen.Data;
using QuantGen.Generated;
using QuantGen.Graph;
using QuantGen.Model;
using QuantGen.Numerics;

namespace QuantGen.Benchmarks
{
    /// <summary>
    /// `softmax-probe`: DeiT-Tiny's attention softmax (3 heads x 197 rows of 197) and LayerNorm (197 rows of 192) with the
    /// kernels before this session's softmax work (<see cref="SoftmaxBaselineKernels"/>) against the current ones, interleaved
    /// in one process (best of 5 medians), on the model's own constants and random int8 operands; checks equal bytes, and the
    /// softmax against the scalar definition (RowScalar). A profiling aid, not a benchmark.
    /// </summary>
    public static class SoftmaxProbe
    {
        public static int Run(string[] args)
        {
            string zoo = LabeledDataset.FindUpwards(AppContext.BaseDirectory, Path.Combine("samples", "Benchmarks", "zoo"));
            ModelGraph graph = ModelLoader.Load(Path.Combine(zoo, "deit_tiny.qmodel.json")).GetGraphOrThrow();
            bool ok = true;
            int shown = 0;
            foreach (GraphNode n in graph.Nodes.Where(n => n.Layer is SoftmaxLayer s && s.Method == SoftmaxMethod.Table))
            {
                if (shown++ >= (args.Length > 0 ? int.Parse(args[0]) : 2))
                {
                    break;
                }

                SoftmaxTableParams t = ((SoftmaxLayer)n.Layer).Integers.Table;
                TensorInfo x = n.Inputs[0], yt = n.Output;
                int len = x.Shape[x.Shape.Length - 1], rows = x.ElementCount / len;
                int[] table = new int[256];
                t.Exp.ToArray().CopyTo(table, 0);
                int flip = x.Type.IsSigned ? 0x80 : 0, zero = (int)yt.Quant!.ZeroPoint, lo = (int)yt.Type.MinValue, hi = (int)yt.Type.MaxValue;
                int nonzero = table.Count(v => v != 0);
                Console.WriteLine($"{n.Layer.Name}: {rows} x {len}, E[0] {table[0]}, {nonzero} nonzero entries, m {t.Out.Multiplier} s {t.Out.Shift} z {zero} [{lo}, {hi}] flip {flip:X}");
                var rng = new Random(7);
                byte[] xs = new byte[rows * len];
                rng.NextBytes(xs);
                byte[] y0 = new byte[xs.Length], y1 = new byte[xs.Length], yr = new byte[xs.Length];
                int[] e = new int[len + 64];
                ref int tb = ref MemoryMarshal.GetArrayDataReference(table);
                for (int r = 0; r < rows; r++)
                {
                    QuantGenTransformerKernels.RowScalar(xs.AsSpan(r * len, len), flip, ref tb, t.Out.Multiplier, t.Out.Shift, zero, lo, hi, yr.AsSpan(r * len, len));
                }

                (double before, double after) = Interleaved(
                    () => SoftmaxBaselineKernels.SoftmaxRows(xs, flip, rows, len, ref MemoryMarshal.GetArrayDataReference(table), e, t.Out.Multiplier, t.Out.Shift, zero, hi, y0),
                    () => QuantGenTransformerKernels.SoftmaxTableRows(xs, flip, rows, len, ref MemoryMarshal.GetArrayDataReference(table), e, t.Out.Multiplier, t.Out.Shift, zero, lo, hi, y1));
                bool same = y0.AsSpan().SequenceEqual(yr) && y1.AsSpan().SequenceEqual(yr);
                ok &= same;
                Console.WriteLine($"  softmax {rows} rows: before {before,7:F2} us ({1000 * before / rows,5:F1} ns/row), after {after,7:F2} us ({1000 * after / rows,5:F1} ns/row): {before / after:F2}x; equal to RowScalar: {same}");
            }

            shown = 0;
            foreach (GraphNode n in graph.Nodes.Where(n => n.Layer is LayerNormLayer))
            {
                if (shown++ >= (args.Length > 1 ? int.Parse(args[1]) : 2))
                {
                    break;
                }

                var ln = (LayerNormLayer)n.Layer;
                TensorInfo x = n.Inputs[0], yt = n.Output;
                int c = x.Shape[x.Shape.Length - 1], rows = x.ElementCount / c;
                long[] mul = ln.Integers.Requant.Select(r => (long)r.Multiplier).ToArray(), shift = ln.Integers.Requant.Select(r => (long)r.Shift).ToArray();
                long[] round = shift.Select((v, i) => (v == 0 ? 0 : 1L << (int)(v - 1)) + ln.Integers.BiasFractions[i]).ToArray();
                long[] bias = ln.Integers.Biases.Select(b => b + yt.Quant!.ZeroPoint).ToArray();
                long eps = ln.Integers.VarianceOffset, g = IntLayerNorm.ChannelFactor(c);
                int k = ln.Integers.VarianceShift;
                Console.WriteLine($"{n.Layer.Name}: {rows} x {c}, k {k}, E {eps}, g {g}, mul [{mul.Min()}, {mul.Max()}], shift [{shift.Min()}, {shift.Max()}], bias [{bias.Min()}, {bias.Max()}]");
                var rng = new Random(9);
                sbyte[] xs = Enumerable.Range(0, rows * c).Select(_ => (sbyte)rng.Next(-128, 128)).ToArray();
                sbyte[] y0 = new sbyte[xs.Length], y1 = new sbyte[xs.Length];
                (double before, double after) = Interleaved(
                    () => SoftmaxBaselineKernels.LayerNormRowsFast(xs, rows, c, eps, k, g, ref mul[0], ref round[0], ref shift[0], ref bias[0], yt.Type.MinValue, yt.Type.MaxValue, y0),
                    () => QuantGenTransformerKernels.LayerNormRowsFast(xs, rows, c, eps, k, g, ref mul[0], ref round[0], ref shift[0], ref bias[0], yt.Type.MinValue, yt.Type.MaxValue, y1));
                bool same = y0.AsSpan().SequenceEqual(y1);
                ok &= same;
                Console.WriteLine($"  layernorm {rows} rows: before {before,7:F2} us ({1000 * before / rows,5:F1} ns/row), after {after,7:F2} us ({1000 * after / rows,5:F1} ns/row): {before / after:F2}x; same bytes: {same}");
            }

            Console.WriteLine($"load average {File.ReadAllText("/proc/loadavg").Trim()}");
            return ok ? 0 : 1;
        }

        /// <summary>Best of 11 medians of each, alternating (more rounds than ConvProbe's 5: the machine is shared).</summary>
        private static (double A, double B) Interleaved(Action a, Action b)
        {
            double ba = double.MaxValue, bb = double.MaxValue;
            for (int r = 0; r < 11; r++)
            {
                ba = Math.Min(ba, Check.Time(a));
                bb = Math.Min(bb, Check.Time(b));
            }

            return (ba, bb);
        }
    }
}
