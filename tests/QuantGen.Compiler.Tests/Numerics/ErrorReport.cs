using System;
using System.Collections.Generic;
using System.Globalization;
using System.Linq;
using System.Text;
using QuantGen.Numerics;

namespace QuantGen.Tests.Numerics
{
    /// <summary>One measured error: the largest error seen over the inputs described by the configuration, and the
    /// documented bound it must stay under (chosen from measurement with a margin).</summary>
    internal sealed record ErrorRow(string Operator, string Configuration, string Metric, double Measured, double Bound, string? BoundText = null, string? Basis = null);

    /// <summary>
    /// Measures every integer operator against <see cref="FloatReference"/> on fixed-seed inputs and renders the table
    /// that docs/numerics.md carries between its error-table markers. Deterministic: fixed seeds, SplitMix64, three
    /// significant digits.
    /// </summary>
    internal static class ErrorReport
    {
        /// <summary>
        /// Multiplies every random sample count (QUANTGEN_NUMERICS_SCALE, default 1): the long re-measurement behind the
        /// bounds runs with 100 (docs/numerics.md, "How the bounds were set"). The docs table is the default run.
        /// </summary>
        public static int SampleScale { get; } =
            int.TryParse(Environment.GetEnvironmentVariable("QUANTGEN_NUMERICS_SCALE"), NumberStyles.None, CultureInfo.InvariantCulture, out int k) && k > 0 ? k : 1;

        /// <summary>Random rows per softmax configuration (default run).</summary>
        public const int SoftmaxRows = 3000;

        private static readonly Lazy<IReadOnlyList<ErrorRow>> LazyRows = new Lazy<IReadOnlyList<ErrorRow>>(() => Measure().ToList());

        public static IReadOnlyList<ErrorRow> Rows => LazyRows.Value;

        public static string Format(double v) => v == 0 ? "0" : v.ToString("G3", CultureInfo.InvariantCulture);

        public static string ToMarkdown(IEnumerable<ErrorRow> rows)
        {
            var sb = new StringBuilder();
            sb.Append("| operator | inputs | metric | measured max | bound (asserted) | basis |\n");
            sb.Append("|---|---|---|---|---|---|\n");
            foreach (ErrorRow r in rows)
            {
                sb.Append("| ").Append(r.Operator)
                  .Append(" | ").Append(r.Configuration)
                  .Append(" | ").Append(r.Metric)
                  .Append(" | ").Append(Format(r.Measured))
                  .Append(" | ").Append(r.BoundText ?? Format(r.Bound))
                  .Append(" | ").Append(r.Basis ?? BasisOf(r.Configuration))
                  .Append(" |\n");
            }

            return sb.ToString();
        }

        /// <summary>How a row's bound is known (docs/numerics.md, "How the bounds were set").</summary>
        private static string BasisOf(string configuration)
        {
            if (configuration.Contains("adversarial", StringComparison.Ordinal))
            {
                return "fixed set of 514 rows";
            }

            if (configuration.StartsWith("random int8 rows, L=", StringComparison.Ordinal) || configuration.StartsWith("random int8 rows, L", StringComparison.Ordinal))
            {
                return $"sampled: {SoftmaxRows:N0} rows; bound from 300,000 (S3)";
            }

            int c = configuration.IndexOf("C=", StringComparison.Ordinal);
            if (c >= 0)
            {
                int channels = int.Parse(configuration.Substring(c + 2), NumberStyles.None, CultureInfo.InvariantCulture);
                return $"sampled: {LayerNormRowCount(channels):N0} rows; bound from {LayerNormRowCount(channels) * 100:N0} (S3)";
            }

            if (configuration.StartsWith("every", StringComparison.Ordinal) || configuration.StartsWith("all 256", StringComparison.Ordinal) || configuration.StartsWith("same", StringComparison.Ordinal))
            {
                return configuration.Contains("scales log-uniform", StringComparison.Ordinal) ? "exhaustive in x, 2,000 sampled scales" : "exhaustive";
            }

            return "grid";
        }

        private static IEnumerable<ErrorRow> Measure()
        {
            foreach (ErrorRow r in Requantization()) yield return r;
            foreach (ErrorRow r in ShiftmaxRows()) yield return r;
            foreach (ErrorRow r in IBertSoftmaxRows()) yield return r;
            foreach (ErrorRow r in TableSoftmaxRows()) yield return r;
            foreach (ErrorRow r in GeluRows()) yield return r;
            foreach (ErrorRow r in LayerNormRows()) yield return r;
            foreach (ErrorRow r in PoolAddActivationRows()) yield return r;
            foreach (ErrorRow r in ElementwiseRows()) yield return r;
        }

        // ---------------------------------------------------------------- requantization

        private static IEnumerable<ErrorRow> Requantization()
        {
            // Accumulators whose requantized value lands in the int16 range (|x M| <= 2^15), the case that matters:
            // then the bound 1/2 + |x| M 2^-31 is at most 1/2 + 2^-16.
            var rng = new TestRng(1);
            double worst = 0, worstOrt = 0;
            long ties = 0;
            for (int i = 0; i < 300_000; i++)
            {
                double m = rng.NextLogUniform(1e-6, 1.0);
                long limit = (long)Math.Min(int.MaxValue, 32768 / m);
                long x = rng.NextInt(-(int)limit, (int)limit);
                var d = Dyadic.FromReal(m);
                double exact = x * m;
                long y = d.Apply(x);
                worst = Math.Max(worst, Math.Abs(y - exact));

                // ONNX Runtime style: float32 accumulator and product, rounded half to even.
                long ort = (long)Math.Round((double)((float)x * (float)m), MidpointRounding.ToEven);
                worstOrt = Math.Max(worstOrt, Math.Abs(y - ort));
                if (y != ort)
                {
                    ties++;
                }
            }

            yield return new ErrorRow("Dyadic requantization", "M log-uniform in [1e-6, 1], int32 acc with abs(x M) <= 2^15", "max abs error vs x*M (LSB)", worst, 0.5 + Math.Pow(2, -16), "0.5 + 2^-16", "proved (P1); 300,000 samples");
            yield return new ErrorRow("Dyadic requantization", "same, against float32 ties-to-even (ONNX Runtime style)", "max abs difference (LSB)", worstOrt, 1, null, "sampled: 300,000");
            yield return new ErrorRow("Dyadic requantization", "same, against float32 ties-to-even (ONNX Runtime style)", "fraction of outputs that differ", ties / 300_000.0, 0.01, null, "sampled: 300,000");
        }

        // ---------------------------------------------------------------- softmax

        private delegate void IntRow(int[] x, int[] y);

        private static int[] RandomRow(TestRng rng, int length, int lo, int hi)
        {
            var row = new int[length];
            for (int i = 0; i < length; i++)
            {
                row[i] = rng.NextInt(lo, hi);
            }

            return row;
        }

        private static IEnumerable<int[]> InputRows(string kind, int length, ulong seed)
        {
            var rng = new TestRng(seed);
            switch (kind)
            {
                case "random":
                    for (int r = 0; r < SoftmaxRows * SampleScale; r++)
                    {
                        yield return RandomRow(rng, length, -128, 127);
                    }

                    break;
                case "adversarial":
                    // one-hot, all-equal, two-level rows at every gap, one max plus near-max crowds.
                    var oneHot = Enumerable.Repeat(-128, length).ToArray();
                    oneHot[length / 2] = 127;
                    yield return oneHot;
                    yield return Enumerable.Repeat(127, length).ToArray();
                    for (int gap = 0; gap <= 255; gap++)
                    {
                        var two = new int[length];
                        for (int i = 0; i < length; i++)
                        {
                            two[i] = i % 2 == 0 ? 127 : 127 - gap;
                        }

                        yield return two;
                        var crowd = Enumerable.Repeat(127 - gap, length).ToArray();
                        crowd[0] = 127;
                        yield return crowd;
                    }

                    break;
                default:
                    throw new ArgumentException(kind);
            }
        }

        private static double SoftmaxError(IEnumerable<int[]> rows, double scale, double outScale, IntRow op)
        {
            double worst = 0;
            foreach (int[] row in rows)
            {
                var y = new int[row.Length];
                op(row, y);
                var xs = row.Select(v => v * scale).ToArray();
                var p = new double[row.Length];
                FloatReference.Softmax(xs, 0, xs.Length, p, 0);
                for (int i = 0; i < row.Length; i++)
                {
                    worst = Math.Max(worst, Math.Abs((y[i] * outScale) - p[i]));
                }
            }

            return worst;
        }

        private static readonly float[] SoftmaxScales = { 0.02f, 0.05f, 0.1f };

        private static IEnumerable<ErrorRow> ShiftmaxRows()
        {
            foreach (int length in new[] { 16, 197 })
            {
                foreach (float s in SoftmaxScales)
                {
                    var p = Shiftmax.FromScale(s, 15, 8);
                    double e = SoftmaxError(InputRows("random", length, 10), s, Shiftmax.OutputScale(8), (x, y) => Shiftmax.Row(x, 0, x.Length, p, y, 0));
                    yield return Row("Shiftmax n=15, 8-bit out", $"random int8 rows, L={length}, S={Format(s)}", "max abs prob error", e);
                }
            }

            foreach (float s in SoftmaxScales)
            {
                var p = Shiftmax.FromScale(s, 15, 8);
                double e = SoftmaxError(InputRows("adversarial", 197, 11), s, Shiftmax.OutputScale(8), (x, y) => Shiftmax.Row(x, 0, x.Length, p, y, 0));
                yield return Row("Shiftmax n=15, 8-bit out", $"adversarial rows, L=197, S={Format(s)}", "max abs prob error", e);
            }

            {
                var p = Shiftmax.FromScale(0.05f, 15, 16);
                double e = SoftmaxError(InputRows("random", 197, 12), 0.05f, Shiftmax.OutputScale(16), (x, y) => Shiftmax.Row(x, 0, x.Length, p, y, 0));
                yield return Row("Shiftmax n=15, 16-bit out", "random int8 rows, L=197, S=0.05", "max abs prob error", e);
                p = Shiftmax.FromScale(0.003f, 15, 16);
                e = SoftmaxError(InputRows("adversarial", 197, 13), 0.003f, Shiftmax.OutputScale(16), (x, y) => Shiftmax.Row(x, 0, x.Length, p, y, 0));
                yield return Row("Shiftmax n=15, 16-bit out", "adversarial rows, L=197, S=0.003 (over budget: sum clamps)", "max abs prob error", e);
            }
        }

        /// <summary>
        /// The table softmax at an 8-bit output of scale 1/256 (zero point 0, saturating at 255 as ORT's uint8 does): the
        /// error against the exact softmax is its final rounding (1/2 LSB) plus below 1e-6, or 1 LSB where p &gt; 255.5/256 saturates.
        /// </summary>
        private static IEnumerable<ErrorRow> TableSoftmaxRows()
        {
            const double outScale = 1.0 / 256;
            const double bound = (1.0 / 256) + 1e-6;
            foreach ((string kind, int length, ulong seed) in new[] { ("random", 16, 10UL), ("random", 197, 10UL), ("adversarial", 197, 11UL) })
            {
                foreach (float s in SoftmaxScales)
                {
                    var p = new SoftmaxTableParams(SoftmaxTable.Exp(s, 256, length), SoftmaxTable.Output(outScale));
                    double e = SoftmaxError(InputRows(kind, length, seed), s, outScale, (x, y) => SoftmaxTable.Row(x, 0, x.Length, p, 0, 0, 255, y, 0));
                    string config = kind == "random" ? $"random int8 rows, L={length}, S={Format(s)}" : $"adversarial rows, L={length}, S={Format(s)}";
                    yield return new ErrorRow("Table softmax, 8-bit out (scale 1/256)", config, "max abs prob error", e, bound, "1/256 + 1e-6 (1/2 LSB rounding; 1 LSB where 255 saturates)",
                        kind == "random" ? $"analysis (docs above); sampled: {SoftmaxRows:N0} rows" : "analysis (docs above); fixed set of 514 rows");
                }
            }
        }

        private static IEnumerable<ErrorRow> IBertSoftmaxRows()
        {
            foreach (float s in SoftmaxScales)
            {
                var p = IBert.ExpFromScale(s);
                double scale = IBert.ExpOutputScale(s);
                double worst = 0;
                for (int q = -255; q <= 0; q++)
                {
                    worst = Math.Max(worst, Math.Abs((IBert.IExp(q, p) * scale) - Math.Exp(q * (double)s)));
                }

                yield return Row("I-BERT i-exp", $"every q in [-255, 0], S={Format(s)}", "max abs error of e^(qS)", worst);
            }

            foreach (int length in new[] { 16, 197 })
            {
                foreach (float s in SoftmaxScales)
                {
                    var p = IBert.SoftmaxFromScale(s, 8);
                    double e = SoftmaxError(InputRows("random", length, 10), s, IBert.SoftmaxOutputScale(8), (x, y) => IBert.SoftmaxRow(x, 0, x.Length, p, y, 0));
                    yield return Row("I-BERT i-softmax, 8-bit out", $"random int8 rows, L={length}, S={Format(s)}", "max abs prob error", e);
                }
            }

            foreach (float s in SoftmaxScales)
            {
                var p = IBert.SoftmaxFromScale(s, 8);
                double e = SoftmaxError(InputRows("adversarial", 197, 11), s, IBert.SoftmaxOutputScale(8), (x, y) => IBert.SoftmaxRow(x, 0, x.Length, p, y, 0));
                yield return Row("I-BERT i-softmax, 8-bit out", $"adversarial rows, L=197, S={Format(s)}", "max abs prob error", e);
            }
        }

        // ---------------------------------------------------------------- GELU

        private static IEnumerable<ErrorRow> GeluRows()
        {
            double approx = 0;
            for (double v = -12; v <= 12; v += 0.001)
            {
                approx = Math.Max(approx, Math.Abs(FloatReference.GeluSigmoid(v) - FloatReference.Gelu(v)));
            }

            yield return Row("x*sigmoid(1.702x) (float)", "x in [-12, 12]", "max abs error vs exact GELU", approx);

            int[] all = Enumerable.Range(-128, 256).ToArray();
            foreach (float s in SoftmaxScales)
            {
                var p = ShiftGelu.FromScale(s);
                var y = new int[256];
                ShiftGelu.Row(all, 0, 256, p, y, 0);
                double e = GeluError(all, y, s, ShiftGelu.OutputScale(s));
                yield return Row("ShiftGELU n=23 (I-ViT), row-wise", $"all 256 int8 values in one row (m=127), S={Format(s)}", "max abs error / S", e / s);
                yield return Row("ShiftGELU n=23 (I-ViT), row-wise", $"same, S={Format(s)}", "max abs error", e);
            }

            foreach (int n in new[] { 23, 16 })
            {
                foreach (float s in SoftmaxScales)
                {
                    var p = ShiftGelu.FromScale(s, n);
                    var y = all.Select(v => (int)ShiftGelu.Element(v, p)).ToArray();
                    double e = GeluError(all, y, s, ShiftGelu.OutputScale(s));
                    yield return Row($"ShiftGELU n={n}, element-wise m=max(x,0)", $"every int8 value, S={Format(s)}", "max abs error / S", e / s);
                }
            }

            {
                // The element-wise form the models use, over many scales (the claim in the prose is about this row).
                var rng = new TestRng(90);
                double worst = 0;
                for (int k = 0; k < 2000; k++)
                {
                    float s = (float)rng.NextLogUniform(0.005, 0.2);
                    var p = ShiftGelu.FromScale(s, 16);
                    var y = all.Select(v => (int)ShiftGelu.Element(v, p)).ToArray();
                    worst = Math.Max(worst, GeluError(all, y, s, ShiftGelu.OutputScale(s)) / s);
                }

                yield return Row("ShiftGELU n=16, element-wise m=max(x,0)", "every int8 value, 2,000 float32 scales log-uniform in [0.005, 0.2]", "max abs error / S", worst);
            }

            foreach (float s in SoftmaxScales)
            {
                var p = ShiftGelu.FromScale(s, 16);
                var y = new int[256];
                ShiftGelu.Row(all, 0, 256, p, y, 0);
                double e = GeluError(all, y, s, ShiftGelu.OutputScale(s));
                yield return Row("ShiftGELU n=16, row-wise", $"all 256 int8 values in one row (m=127), S={Format(s)}", "max abs error / S", e / s);
            }

            foreach (float s in SoftmaxScales)
            {
                var p = IBert.GeluFromScale(s);
                double outScale = IBert.GeluOutputScale(s);
                double worst = 0;
                foreach (int v in all)
                {
                    worst = Math.Max(worst, Math.Abs((IBert.Gelu(v, p) * outScale) - FloatReference.Gelu(v * (double)s)));
                }

                yield return Row("I-BERT i-GELU", $"every int8 value, S={Format(s)}", "max abs error / S", worst / s);
                yield return Row("I-BERT i-GELU", $"same, S={Format(s)}", "max abs error", worst);
            }
        }

        private static double GeluError(int[] x, int[] y, double s, double outScale)
        {
            double worst = 0;
            for (int i = 0; i < x.Length; i++)
            {
                worst = Math.Max(worst, Math.Abs((y[i] * outScale) - FloatReference.Gelu(x[i] * s)));
            }

            return worst;
        }

        // ---------------------------------------------------------------- LayerNorm

        private static IEnumerable<ErrorRow> LayerNormRows()
        {
            foreach (int c in new[] { 32, 64, 192, 768 })
            {
                double e = LayerNormError(c, -128, 127, 20 + (ulong)c);
                yield return LayerNormRow($"random int8 rows, C={c}", c, e);
            }

            foreach (int c in new[] { 32, 768 })
            {
                double e = LayerNormError(c, -4, 4, 30 + (ulong)c);
                yield return LayerNormRow($"narrow rows (values in [-4, 4]), C={c}", c, e);
            }

            double e16 = LayerNormError(768, short.MinValue, short.MaxValue, 40);
            yield return LayerNormRow("random int16 rows, C=768", 768, e16);

            foreach (int c in new[] { 32, 192 })
            {
                double e = LayerNormError(c, -1, 1, 50 + (ulong)c, 0.25);
                yield return LayerNormRow($"narrow rows (values in [-1, 1]) with eps = 0.25 LSB^2, C={c}", c, e);
            }
        }

        /// <summary>P7: |y - y*| &lt;= |y*| 2^-23 + 1/2 at scale sqrt(C) / 2^30, |y*| &lt;= 2^30: sqrt(C) (2^-23 + 2^-31) normalised units.</summary>
        private static ErrorRow LayerNormRow(string configuration, int c, double measured)
        {
            double bound = Math.Sqrt(c) * (Math.Pow(2, -23) + Math.Pow(2, -31));
            return new ErrorRow("IntLayerNorm", configuration, "max abs error (normalised units)", measured, bound,
                $"sqrt(C) (2^-23 + 2^-31) = {Format(bound)}", $"proved (P7); {LayerNormRowCount(c) * SampleScale:N0} random rows");
        }

        /// <summary>Random rows per LayerNorm configuration (default run): about 200,000 elements, at least 200 rows.</summary>
        public static int LayerNormRowCount(int c) => Math.Max(200, 200_000 / c);

        private static double LayerNormError(int c, int lo, int hi, ulong seed, double eps = 0.0)
        {
            long offset = IntLayerNorm.VarianceOffset(c, eps, 1.0);
            var rng = new TestRng(seed);
            double worst = 0;
            int rows = LayerNormRowCount(c) * SampleScale;
            var y = new int[c];
            var f = new double[c];
            for (int r = 0; r < rows; r++)
            {
                int[] x = RandomRow(rng, c, lo, hi);
                IntLayerNorm.Row(x, 0, c, offset, y, 0);
                FloatReference.LayerNorm(x.Select(v => (double)v).ToArray(), 0, c, eps, f, 0);
                double scale = IntLayerNorm.OutputScale(c);
                for (int i = 0; i < c; i++)
                {
                    worst = Math.Max(worst, Math.Abs((y[i] * scale) - f[i]));
                }
            }

            return worst;
        }

        // ---------------------------------------------------------------- pooling, residual add, activations

        private static IEnumerable<ErrorRow> PoolAddActivationRows()
        {
            foreach (int length in new[] { 4, 49, 196 })
            {
                var rng = new TestRng(50 + (ulong)length);
                double worst = 0;
                for (int t = 0; t < 2000; t++)
                {
                    double sIn = rng.NextLogUniform(0.005, 0.5);
                    double sOut = sIn * rng.NextLogUniform(0.25, 1.0);
                    int zIn = rng.NextInt(-128, 127), zOut = rng.NextInt(-20, 20);
                    int[] x = RandomRow(rng, length, -128, 127);
                    var d = AveragePool.Multiplier(sIn, sOut, length);
                    long q = AveragePool.Row(x, 0, length, zIn, d, zOut, long.MinValue / 4, long.MaxValue / 4);
                    double exact = zOut + (x.Sum(v => (double)(v - zIn)) * sIn / (sOut * length));
                    worst = Math.Max(worst, Math.Abs(q - exact));
                }

                yield return new ErrorRow("AveragePool", $"int8, L={length}, random scales and zero points", "max abs error (output LSB, unsaturated)", worst, 0.5 + Math.Pow(2, -16), "0.5 + 2^-16", "proved (P2); 2,000 samples");
            }

            {
                var rng = new TestRng(60);
                double worst = 0;
                for (int t = 0; t < 200_000; t++)
                {
                    double sa = rng.NextLogUniform(0.005, 0.5), sb = rng.NextLogUniform(0.005, 0.5);
                    double so = Math.Max(sa, sb) * rng.NextLogUniform(0.5, 2.0);
                    int a = rng.NextInt(-128, 127), b = rng.NextInt(-128, 127);
                    int za = rng.NextInt(-128, 127), zb = rng.NextInt(-128, 127), zo = rng.NextInt(-10, 10);
                    var (da, db) = ResidualAdd.Multipliers(sa, sb, so);
                    long q = ResidualAdd.Apply(a, za, da, b, zb, db, zo, long.MinValue / 4, long.MaxValue / 4);
                    double exact = zo + (((sa * (a - za)) + (sb * (b - zb))) / so);
                    worst = Math.Max(worst, Math.Abs(q - exact));
                }

                yield return new ErrorRow("ResidualAdd (one rounding)", "int8 + int8, random scales and zero points", "max abs error (output LSB, unsaturated)", worst, 0.5 + Math.Pow(2, -11), "1/2 + 2^-11", "proved (P3); 200,000 samples");
            }

            {
                var rng = new TestRng(70);
                long worst = 0;
                for (int t = 0; t < 2000; t++)
                {
                    double s = rng.NextLogUniform(0.001, 0.5);
                    int zp = rng.NextInt(-128, 127);
                    double lo = -rng.NextDouble() * 3, hi = rng.NextDouble() * 8;
                    var bounds = new[]
                    {
                        (ClampBounds.Relu(ElementType.Int8, zp), 0.0, double.MaxValue),
                        (ClampBounds.Relu6(ElementType.Int8, s, zp), 0.0, 6.0),
                        (ClampBounds.Clip(ElementType.Int8, s, zp, lo, hi), lo, hi),
                    };
                    foreach (var (b, flo, fhi) in bounds)
                    {
                        for (int q = -128; q <= 127; q++)
                        {
                            double real = Quantization.Dequantize(q, s, zp);
                            long expected = Quantization.Quantize(FloatReference.Clip(real, flo, fhi), s, zp, ElementType.Int8);
                            worst = Math.Max(worst, Math.Abs(b.Apply(q) - expected));
                        }
                    }
                }

                yield return new ErrorRow("ReLU / ReLU6 / Clip (integer clamp)", "every int8 value, random scales, zero points, bounds", "max abs difference vs quantized float (LSB)", worst, 0, null, "proved (P4); exhaustive in x, 2,000 sampled scales");
            }
        }

        // ---------------------------------------------------------------- table operators, element-wise Mul and Sub

        /// <summary>
        /// HardSigmoid/HardSwish on int16 inputs, exact form (PiecewiseLinear): every int16 input, 20 random quantizations
        /// (S_x in [2^-13, 2^-10], output spans as the segment rows); bound 1/2 + the largest e of the sampled layers.
        /// </summary>
        private static IEnumerable<ErrorRow> ExactRows(string name, global::QuantGen.Operators.LookupOperator op, global::QuantGen.Model.LookupLayer layer, double lo, double hi)
        {
            foreach (ElementType outType in new[] { ElementType.Int16, ElementType.Int8 })
            {
                var rng = new TestRng(83);
                double worst = 0, e = 0;
                const int trials = 20;
                for (int t = 0; t < trials; t++)
                {
                    var inQ = new global::QuantGen.Model.TensorQuant(ElementType.Int16, rng.NextLogUniform(Math.Pow(2, -13), Math.Pow(2, -10)), rng.NextInt(-2000, 2000));
                    double span = outType == ElementType.Int16 ? rng.NextLogUniform(32768, 65536) : rng.NextLogUniform(128, 256);
                    var outQ = new global::QuantGen.Model.TensorQuant(outType, (hi - lo) / span, rng.NextInt(-20, 20));
                    global::QuantGen.Operators.PiecewiseLinear p = op.Exact(layer, inQ, outQ)!;
                    e = Math.Max(e, p.ErrorTerm(16));
                    for (int q = -32768; q <= 32767; q++)
                    {
                        double exact = outQ.ZeroPoint + (op.Function(layer, inQ.Dequantize(q)) / outQ.Scale);
                        if (exact > outType.MinValue && exact < outType.MaxValue)
                        {
                            worst = Math.Max(worst, Math.Abs(p.Apply(q, inQ, outQ) - exact));
                        }
                    }
                }

                yield return new ErrorRow(
                    $"{name} (int16 -> {outType}, exact)",
                    $"every int16 value, {trials} random scales (S_x in [2^-13, 2^-10]) and zero points",
                    "max abs error vs f(x) (output LSB, unsaturated)",
                    worst,
                    0.5 + e,
                    $"0.5 + e, e <= {e.ToString("G2", System.Globalization.CultureInfo.InvariantCulture)}",
                    "proved (exact form); exhaustive in x, sampled scales");
            }
        }

        private static IEnumerable<ErrorRow> ElementwiseRows()
        {
            // Tables: every int8 input, 2,000 random input/output quantizations per function (output scale chosen so the
            // function's range spans 128 to 256 LSB); the error is against the exact f(x) in output LSB, unsaturated entries.
            var functions = new (string Name, global::QuantGen.Operators.LookupOperator Op, global::QuantGen.Model.LookupLayer Layer, double Lo, double Hi)[]
            {
                ("Tanh", new global::QuantGen.Operators.TanhOperator(), new global::QuantGen.Model.TanhLayer(), -1, 1),
                ("Sigmoid", new global::QuantGen.Operators.SigmoidOperator(), new global::QuantGen.Model.SigmoidLayer(), 0, 1),
                ("HardSigmoid (alpha 1/6)", new global::QuantGen.Operators.HardSigmoidOperator(), new global::QuantGen.Model.HardSigmoidLayer { Alpha = 1.0 / 6 }, 0, 1),
                ("HardSwish", new global::QuantGen.Operators.HardSwishOperator(), new global::QuantGen.Model.HardSwishLayer(), -0.375, 6),
            };
            foreach (var f in functions)
            {
                var rng = new TestRng(80);
                double worst = 0, e = 0;
                for (int t = 0; t < 2000; t++)
                {
                    var inQ = new global::QuantGen.Model.TensorQuant(ElementType.Int8, rng.NextLogUniform(0.005, 0.1), rng.NextInt(-128, 127));
                    var outQ = new global::QuantGen.Model.TensorQuant(ElementType.Int8, (f.Hi - f.Lo) / rng.NextLogUniform(128, 256), rng.NextInt(-20, 20));
                    int[] table = f.Op.Table(f.Layer, inQ, outQ);
                    e = f.Op.HasExactForm ? Math.Max(e, f.Op.Exact(f.Layer, inQ, outQ)!.ErrorTerm(8)) : e;
                    for (int q = -128; q <= 127; q++)
                    {
                        double exact = outQ.ZeroPoint + (f.Op.Function(f.Layer, inQ.Dequantize(q)) / outQ.Scale);
                        if (exact > -128 && exact < 127)
                        {
                            worst = Math.Max(worst, Math.Abs(table[q + 128] - exact));
                        }
                    }
                }

                yield return f.Op.HasExactForm
                    ? new ErrorRow(f.Name + " (exact; int8 table)", "every int8 value, 2,000 random scales and zero points", "max abs error vs f(x) (output LSB, unsaturated)", worst, 0.5 + e, $"0.5 + e, e <= {e.ToString("G2", System.Globalization.CultureInfo.InvariantCulture)}", "proved (exact form, below); exhaustive in x, 2,000 sampled scales")
                    : new ErrorRow(f.Name + " (table)", "every int8 value, 2,000 random scales and zero points", "max abs error vs f(x) (output LSB, unsaturated)", worst, 0.5 + Math.Pow(2, -30), "0.5 + 2^-30", "proved (P5); exhaustive in x, 2,000 sampled scales");
            }

            // Segmented tables (int16 inputs): 1,025 entries, one every 64 inputs, linear interpolation in integers. Error =
            // the entries' rounding (<= 1/2, interpolated) + the interpolation's rounding (<= 1/2) + linear interpolation of f
            // over a segment of width h = 64 S_x: h^2 max|f''| / 8 where f is smooth, h |jump of f'| / 4 across a kink
            // (HardSigmoid, HardSwish). The bound column is that sum at the widest h and narrowest S_y sampled.
            var curvature = new (double MaxF2, double MaxJump)[] { (4 / (3 * Math.Sqrt(3)), 0), (Math.Sqrt(3) / 18, 0), (0, 1.0 / 6), (1.0 / 3, 0.5) };
            int fi = 0;
            foreach (var f in functions)
            {
                (double maxF2, double maxJump) = curvature[fi++];
                if (f.Op.HasExactForm)
                {
                    foreach (ErrorRow row in ExactRows(f.Name, f.Op, f.Layer, f.Lo, f.Hi))
                    {
                        yield return row;
                    }

                    continue;
                }

                foreach (ElementType outType in new[] { ElementType.Int16, ElementType.Int8 })
                {
                    var rng = new TestRng(83);
                    double worst = 0, bound = 0;
                    const int trials = 20;
                    for (int t = 0; t < trials; t++)
                    {
                        var inQ = new global::QuantGen.Model.TensorQuant(ElementType.Int16, rng.NextLogUniform(Math.Pow(2, -13), Math.Pow(2, -10)), rng.NextInt(-2000, 2000));
                        double span = outType == ElementType.Int16 ? rng.NextLogUniform(32768, 65536) : rng.NextLogUniform(128, 256);
                        var outQ = new global::QuantGen.Model.TensorQuant(outType, (f.Hi - f.Lo) / span, rng.NextInt(-20, 20));
                        int[] table = f.Op.Table(f.Layer, inQ, outQ);
                        double h = 64 * inQ.Scale;
                        bound = Math.Max(bound, 1 + ((((h * h * maxF2) / 8) + ((h * maxJump) / 4)) / outQ.Scale));
                        double min = outType.MinValue, max = outType.MaxValue;
                        for (int q = -32768; q <= 32767; q++)
                        {
                            int u = q + 32768, i = u >> 6;
                            double ea = outQ.ZeroPoint + (f.Op.Function(f.Layer, inQ.Dequantize(-32768 + (i << 6))) / outQ.Scale);
                            double eb = outQ.ZeroPoint + (f.Op.Function(f.Layer, inQ.Dequantize(-32768 + ((i + 1) << 6))) / outQ.Scale);
                            double exact = outQ.ZeroPoint + (f.Op.Function(f.Layer, inQ.Dequantize(q)) / outQ.Scale);
                            if (ea > min && ea < max && eb > min && eb < max)
                            {
                                worst = Math.Max(worst, Math.Abs(global::QuantGen.Operators.LookupOperator.Apply(table, 6, -32768, q) - exact));
                            }
                        }
                    }

                    yield return new ErrorRow(
                        $"{f.Name} (int16 -> {outType}, segment table)",
                        $"every int16 value, {trials} random scales (S_x in [2^-13, 2^-10]) and zero points",
                        "max abs error vs f(x) (output LSB, unsaturated)",
                        worst,
                        bound,
                        $"1 + (h^2 max\\|f''\\| / 8 + h max\\|jump f'\\| / 4) / S_y = {bound.ToString("G3", System.Globalization.CultureInfo.InvariantCulture)}",
                        "analysis above; exhaustive in x, sampled scales");
                }
            }

            {
                // Mul: every pair of int8 operands, 64 random quantizations; output scale so that |product| spans ~2^7..2^13 LSB.
                var rng = new TestRng(81);
                double worst = 0;
                for (int t = 0; t < 64; t++)
                {
                    double sa = rng.NextLogUniform(0.005, 0.5), sb = rng.NextLogUniform(0.005, 0.5);
                    double so = sa * sb * rng.NextLogUniform(8, 512);
                    int za = rng.NextInt(-128, 127), zb = rng.NextInt(-128, 127), zo = rng.NextInt(-10, 10);
                    var d = Dyadic.FromReal(sa * sb / so);
                    for (int a = -128; a <= 127; a++)
                    {
                        for (int b = -128; b <= 127; b++)
                        {
                            long p = (long)(a - za) * (b - zb);
                            double exact = zo + ((sa * (a - za)) * (sb * (b - zb)) / so);
                            worst = Math.Max(worst, Math.Abs(zo + d.Apply(p) - exact));
                        }
                    }
                }

                yield return new ErrorRow("Mul (one dyadic on the exact product)", "every int8 x int8 pair, 64 random scales and zero points", "max abs error (output LSB, unsaturated)", worst, 0.5 + Math.Pow(2, -16), "0.5 + 2^-16", "proved (P6); exhaustive in x, 64 sampled scales");
            }

            {
                var rng = new TestRng(82);
                double worst = 0;
                for (int t = 0; t < 200_000; t++)
                {
                    double sa = rng.NextLogUniform(0.005, 0.5), sb = rng.NextLogUniform(0.005, 0.5);
                    double so = Math.Max(sa, sb) * rng.NextLogUniform(0.5, 2.0);
                    int a = rng.NextInt(-128, 127), b = rng.NextInt(-128, 127);
                    int za = rng.NextInt(-128, 127), zb = rng.NextInt(-128, 127), zo = rng.NextInt(-10, 10);
                    var (da, db) = ResidualAdd.Multipliers(sa, sb, so);
                    long q = ResidualAdd.Apply(a, za, da, b, zb, db, zo, long.MinValue / 4, long.MaxValue / 4, -1);
                    double exact = zo + (((sa * (a - za)) - (sb * (b - zb))) / so);
                    worst = Math.Max(worst, Math.Abs(q - exact));
                }

                yield return new ErrorRow("Sub (one rounding)", "int8 - int8, random scales and zero points", "max abs error (output LSB, unsaturated)", worst, 0.5 + Math.Pow(2, -11), "1/2 + 2^-11", "proved (P3); 200,000 samples");
            }
        }

        private static ErrorRow Row(string op, string configuration, string metric, double measured)
        {
            string key = op + " | " + configuration + " | " + metric;
            return new ErrorRow(op, configuration, metric, measured, Bounds.TryGetValue(key, out double b) ? b : double.NaN);
        }

        // The documented bounds. Exhaustive rows: the exhaustive maximum plus a margin of about 25 %. Sampled rows: the
        // maximum of the long re-measurement (QUANTGEN_NUMERICS_SCALE=100, i.e. 100 times the default samples) plus a
        // margin of 10 to 20 %, rounded up (docs/numerics.md, "How the bounds were set"). A row without a bound (NaN)
        // fails the bound test.
        private static readonly Dictionary<string, double> Bounds = new Dictionary<string, double>
        {
            ["Shiftmax n=15, 8-bit out | random int8 rows, L=16, S=0.02 | max abs prob error"] = 0.03,
            ["Shiftmax n=15, 8-bit out | random int8 rows, L=16, S=0.05 | max abs prob error"] = 0.035,
            ["Shiftmax n=15, 8-bit out | random int8 rows, L=16, S=0.1 | max abs prob error"] = 0.045,
            ["Shiftmax n=15, 8-bit out | random int8 rows, L=197, S=0.02 | max abs prob error"] = 0.012,
            ["Shiftmax n=15, 8-bit out | random int8 rows, L=197, S=0.05 | max abs prob error"] = 0.017,
            ["Shiftmax n=15, 8-bit out | random int8 rows, L=197, S=0.1 | max abs prob error"] = 0.03,
            ["Shiftmax n=15, 8-bit out | adversarial rows, L=197, S=0.02 | max abs prob error"] = 0.032,
            ["Shiftmax n=15, 8-bit out | adversarial rows, L=197, S=0.05 | max abs prob error"] = 0.036,
            ["Shiftmax n=15, 8-bit out | adversarial rows, L=197, S=0.1 | max abs prob error"] = 0.045,
            ["Shiftmax n=15, 16-bit out | random int8 rows, L=197, S=0.05 | max abs prob error"] = 0.0085,
            ["Shiftmax n=15, 16-bit out | adversarial rows, L=197, S=0.003 (over budget: sum clamps) | max abs prob error"] = 0.0065,
            ["I-BERT i-exp | every q in [-255, 0], S=0.02 | max abs error of e^(qS)"] = 0.0052,
            ["I-BERT i-exp | every q in [-255, 0], S=0.05 | max abs error of e^(qS)"] = 0.0047,
            ["I-BERT i-exp | every q in [-255, 0], S=0.1 | max abs error of e^(qS)"] = 0.0047,
            ["I-BERT i-softmax, 8-bit out | random int8 rows, L=16, S=0.02 | max abs prob error"] = 0.0095,
            ["I-BERT i-softmax, 8-bit out | random int8 rows, L=16, S=0.05 | max abs prob error"] = 0.009,
            ["I-BERT i-softmax, 8-bit out | random int8 rows, L=16, S=0.1 | max abs prob error"] = 0.0082,
            ["I-BERT i-softmax, 8-bit out | random int8 rows, L=197, S=0.02 | max abs prob error"] = 0.0028,
            ["I-BERT i-softmax, 8-bit out | random int8 rows, L=197, S=0.05 | max abs prob error"] = 0.0039,
            ["I-BERT i-softmax, 8-bit out | random int8 rows, L=197, S=0.1 | max abs prob error"] = 0.0075,
            ["I-BERT i-softmax, 8-bit out | adversarial rows, L=197, S=0.02 | max abs prob error"] = 0.018,
            ["I-BERT i-softmax, 8-bit out | adversarial rows, L=197, S=0.05 | max abs prob error"] = 0.018,
            ["I-BERT i-softmax, 8-bit out | adversarial rows, L=197, S=0.1 | max abs prob error"] = 0.018,
            ["x*sigmoid(1.702x) (float) | x in [-12, 12] | max abs error vs exact GELU"] = 0.021,
            ["ShiftGELU n=23 (I-ViT), row-wise | all 256 int8 values in one row (m=127), S=0.02 | max abs error / S"] = 18,
            ["ShiftGELU n=23 (I-ViT), row-wise | same, S=0.02 | max abs error"] = 0.37,
            ["ShiftGELU n=23 (I-ViT), row-wise | all 256 int8 values in one row (m=127), S=0.05 | max abs error / S"] = 6,
            ["ShiftGELU n=23 (I-ViT), row-wise | same, S=0.05 | max abs error"] = 0.3,
            ["ShiftGELU n=23 (I-ViT), row-wise | all 256 int8 values in one row (m=127), S=0.1 | max abs error / S"] = 70,
            ["ShiftGELU n=23 (I-ViT), row-wise | same, S=0.1 | max abs error"] = 7,
            ["ShiftGELU n=23, element-wise m=max(x,0) | every int8 value, S=0.02 | max abs error / S"] = 13,
            ["ShiftGELU n=23, element-wise m=max(x,0) | every int8 value, S=0.05 | max abs error / S"] = 3.5,
            ["ShiftGELU n=23, element-wise m=max(x,0) | every int8 value, S=0.1 | max abs error / S"] = 2.5,
            ["ShiftGELU n=16, element-wise m=max(x,0) | every int8 value, S=0.02 | max abs error / S"] = 2.8,
            ["ShiftGELU n=16, element-wise m=max(x,0) | every int8 value, S=0.05 | max abs error / S"] = 1.25,
            ["ShiftGELU n=16, element-wise m=max(x,0) | every int8 value, S=0.1 | max abs error / S"] = 1.25,
            ["ShiftGELU n=16, element-wise m=max(x,0) | every int8 value, 2,000 float32 scales log-uniform in [0.005, 0.2] | max abs error / S"] = 3.2,
            ["ShiftGELU n=16, row-wise | all 256 int8 values in one row (m=127), S=0.02 | max abs error / S"] = 2.7,
            ["ShiftGELU n=16, row-wise | all 256 int8 values in one row (m=127), S=0.05 | max abs error / S"] = 58,
            ["ShiftGELU n=16, row-wise | all 256 int8 values in one row (m=127), S=0.1 | max abs error / S"] = 70,
            ["I-BERT i-GELU | every int8 value, S=0.02 | max abs error / S"] = 1.1,
            ["I-BERT i-GELU | same, S=0.02 | max abs error"] = 0.022,
            ["I-BERT i-GELU | every int8 value, S=0.05 | max abs error / S"] = 0.52,
            ["I-BERT i-GELU | same, S=0.05 | max abs error"] = 0.026,
            ["I-BERT i-GELU | every int8 value, S=0.1 | max abs error / S"] = 0.41,
            ["I-BERT i-GELU | same, S=0.1 | max abs error"] = 0.041,
        };
    }
}
