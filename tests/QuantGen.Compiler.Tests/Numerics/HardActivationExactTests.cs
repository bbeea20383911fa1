using System;
using System.Collections.Generic;
using System.Linq;
using System.Numerics;
using QuantGen.Model;
using QuantGen.Numerics;
using QuantGen.Operators;
using Xunit;
using Xunit.Abstractions;

namespace QuantGen.Tests.Numerics
{
    /// <summary>
    /// The exact HardSigmoid/HardSwish (<see cref="PiecewiseLinear"/>) against f(x) computed here in exact rational
    /// arithmetic, for EVERY input integer of int8 and int16 inputs at several scales and zero points (kinks, saturation,
    /// zero points at the type ends, slopes far above and below 1): the integer output is within 1/2 + e LSB of
    /// clamp(f(x) / S_y + z_y), and equals the correctly rounded value wherever f(x) / S_y lies further than e from a tie.
    /// int8 inputs go through the operator's 256-entry table, wider ones through the dyadic form, both as the backends read them.
    /// </summary>
    public class HardActivationExactTests
    {
        private readonly ITestOutputHelper output;

        public HardActivationExactTests(ITestOutputHelper output) => this.output = output;

        /// <summary>(op, alpha, beta, input type, S_x, z_x, output type, S_y, z_y).</summary>
        public static IEnumerable<object[]> Cases()
        {
            double torchAlpha = (double)(1.0f / 6);
            var quants = new (string In, double Sx, long Zx, string Out, double Sy, long Zy)[]
            {
                ("int16", 1.0 / 4096, 0, "int16", 1.0 / 4096, 0),               // D = 1, the kinks +-3 on integers +-12288
                ("int16", 1.0 / 8192, -32768, "int16", 1.0 / 32768, -32768),     // zero points at the type's minimum
                ("int16", 1.0 / 1024, 32767, "int16", 1.0 / 65536, 0),           // zero point at the maximum, D = 64
                ("int16", 0.000123, 1000, "int16", 0.0001, -7),                  // scales that are not binary fractions
                ("int16", 1.0 / 3000, 12, "int8", 1.0 / 50, -128),               // int16 -> int8, slope tiny
                ("int16", 0.0002, 0, "int8", 0.0078125, 0),
                ("int8", 0.05, 3, "int8", 1.0 / 255, -128),                      // the 256-entry tables
                ("int8", 0.025, -128, "int16", 1.0 / 65536, -32768),             // int8 -> int16, D = 1638.4 (HardSigmoid)
                ("int8", 1.0 / 32, 127, "int8", 0.015, 20),
            };
            foreach (var q in quants)
            {
                yield return new object[] { "HardSwish", 1.0 / 6, 0.5, q.In, q.Sx, q.Zx, q.Out, q.Sy, q.Zy };
                yield return new object[] { "HardSigmoid", torchAlpha, 0.5, q.In, q.Sx, q.Zx, q.Out, q.Sy, q.Zy };
                yield return new object[] { "HardSigmoid", 0.2, 0.5, q.In, q.Sx, q.Zx, q.Out, q.Sy, q.Zy };
                yield return new object[] { "HardSigmoid", -0.3, 0.9, q.In, q.Sx, q.Zx, q.Out, q.Sy, q.Zy };
            }
        }

        [Theory]
        [MemberData(nameof(Cases))]
        public void EveryInputIsWithinTheProvedBound(string op, double alpha, double beta, string inType, double sx, long zx, string outType, double sy, long zy)
        {
            var inQ = new TensorQuant(ElementType.Parse(inType), sx, zx);
            var outQ = new TensorQuant(ElementType.Parse(outType), sy, zy);
            bool swish = op == "HardSwish";
            LookupOperator oper = swish ? new HardSwishOperator() : new HardSigmoidOperator();
            LookupLayer layer = swish ? new HardSwishLayer() : new HardSigmoidLayer { Alpha = alpha, Beta = beta };
            PiecewiseLinear p = oper.Exact(layer, inQ, outQ)!;
            Assert.NotNull(p);
            LookupIntegers ints = oper.Integers(layer, inQ, outQ);
            Assert.Equal(inQ.Type.Bits > 8, ints.Exact != null);
            double e = p.ErrorTerm(inQ.Type.Bits);
            Assert.True(e <= 0.5, $"e {e}");

            // Exact rationals: alpha (HardSwish: 1/6), beta, S_x, S_y as fractions.
            (BigInteger aN, BigInteger aD) = swish ? (BigInteger.One, new BigInteger(6)) : Fraction(alpha);
            (BigInteger bN, BigInteger bD) = swish ? (BigInteger.One, new BigInteger(2)) : Fraction(beta);
            (BigInteger sxN, BigInteger sxD) = Fraction(sx);
            (BigInteger syN, BigInteger syD) = Fraction(sy);
            long lo = outQ.Type.MinValue, hi = outQ.Type.MaxValue;
            double worst = 0;
            int ties = 0, flips = 0;
            for (long x = inQ.Type.MinValue; x <= inQ.Type.MaxValue; x++)
            {
                // x_r = S_x (x - z_x); g = alpha x_r + beta = (aN bD sxN d + bN aD sxD) / (aD bD sxD)
                BigInteger d = x - zx;
                BigInteger gN = (aN * bD * sxN * d) + (bN * aD * sxD), gD = aD * bD * sxD;
                gN = gN.Sign < 0 ? BigInteger.Zero : (gN > gD ? gD : gN);

                // v = f / S_y + z_y: HardSigmoid g syD / syN, HardSwish x_r g syD / syN.
                BigInteger vN = gN * syD, vD = gD * syN;
                if (swish)
                {
                    vN *= sxN * d;
                    vD *= sxD;
                }

                vN += zy * vD;
                int y = ints.Exact != null ? ints.Exact.Apply(x, inQ, outQ) : ints.Table[(int)(x - inQ.Type.MinValue)];

                // |y - clamp(v)|, in LSB.
                double v = Ratio(vN, vD);
                double clamped = Math.Max(lo, Math.Min(hi, v));
                double err = Math.Abs(y - clamped);
                worst = Math.Max(worst, err);
                Assert.True(err <= 0.5 + e + 1e-9, $"{op} x {x}: y {y}, exact {clamped:R}, error {err:R} > 0.5 + {e:R}");

                // Correct rounding (ties toward +infinity) wherever v is further than e from a tie.
                BigInteger r = Floor((2 * vN) + vD, 2 * vD);
                long rounded = (long)BigInteger.Max(lo, BigInteger.Min(hi, r));
                double tieDistance = Math.Abs(Ratio((2 * vN) - (((2 * r) - 1) * vD), 2 * vD));
                tieDistance = Math.Min(tieDistance, Math.Abs(Ratio((2 * vN) - (((2 * r) + 1) * vD), 2 * vD)));
                if (tieDistance <= e)
                {
                    ties++;
                    flips += y != rounded ? 1 : 0;
                }
                else
                {
                    Assert.True(y == rounded, $"{op} x {x}: y {y}, correctly rounded {rounded} (v {v:R}, e {e:R})");
                }
            }

            output.WriteLine($"{op} alpha {alpha:R} beta {beta:R} {inQ} -> {outQ}: {p}, e {e:E2}, max |y - f/S_y| {worst:F6} LSB, {ties} inputs within e of a tie, {flips} rounded the other way");
        }

        /// <summary>Scales so far apart that no shift keeps HardSwish's int16 product within int64 at e &lt;= 1/2: QG1049, located.</summary>
        [Fact]
        public void ScalesTooFarApartAreQG1049()
        {
            Assert.Null(new HardSwishOperator().Exact(new HardSwishLayer(), new TensorQuant(ElementType.Int16, 1.0, 0), new TensorQuant(ElementType.Int16, Math.Pow(2, -30), 0)));
            string spec = """
            {
              "format": "quantgen", "version": 1, "name": "hw", "kind": "quantized", "weights": "t.safetensors",
              "inputs": [{ "name": "x", "shape": [1, 4], "range": [-100, 100], "type": "int16", "scale": 1, "zeroPoint": 0 }],
              "outputs": ["y"], "initializers": {},
              "activations": { "y": { "type": "int16", "scale": 9.313225746154785e-10, "zeroPoint": 0 } },
              "layers": [ { "name": "hw", "op": "HardSwish", "inputs": ["x"], "output": "y", "multiplier": 1, "offset": 1, "ceiling": 1, "shift": 20 } ]
            }
            """;
            ModelLoadResult r = ModelLoader.Load(spec, "m.qmodel.json", SafeTensors.Write(new RawTensor[0]), "t.safetensors");
            Assert.False(r.Success);
            output.WriteLine(string.Join("\n", r.Diagnostics));
            Assert.Contains(r.Diagnostics, d => d.Id == "QG1049" && d.Place == "$.layers[0]");
        }

        /// <summary>
        /// An int16 HardSwish spec round-trips its exact form; wrong integers or a segment table are QG1027, located. By hand
        /// at S_x = S_y = 2^-12, z = 0: M = round(2^-12 / 6 2^s), B = round(2^(s-1)), C = 2^s, with s = 46 - 0 - 16 + 16 = 46
        /// the largest shift with 2^16 C &lt;= 2^62: M = 2^34 / 6 rounded = 2863311531, B = 2^45, C = 2^46.
        /// </summary>
        [Fact]
        public void Int16HardSwishSpecCarriesTheExactForm()
        {
            PiecewiseLinear p = new HardSwishOperator().Exact(new HardSwishLayer(), new TensorQuant(ElementType.Int16, 1.0 / 4096, 0), new TensorQuant(ElementType.Int16, 1.0 / 4096, 0))!;
            Assert.Equal(46, p.Shift);
            Assert.Equal(2863311531L, p.Multiplier);
            Assert.Equal(1L << 45, p.Offset);
            Assert.Equal(1L << 46, p.Ceiling);

            // x = 3 (12288): g = C, y = 12288; x = -3: g = 0, y = 0; x = 1 (4096): y = 4096 (1/6 + 1/2) = 2730.67 -> 2731.
            var q = new TensorQuant(ElementType.Int16, 1.0 / 4096, 0);
            Assert.Equal(12288, p.Apply(12288, q, q));
            Assert.Equal(0, p.Apply(-12288, q, q));
            Assert.Equal(2731, p.Apply(4096, q, q));
            Assert.Equal(-1536, p.Apply(-6144, q, q)); // x = -1.5: -1.5 * 0.25 = -0.375 -> -1536 exactly

            string Spec(string integers) => $$"""
            {
              "format": "quantgen", "version": 1, "name": "hw", "kind": "quantized", "weights": "t.safetensors",
              "inputs": [{ "name": "x", "shape": [1, 4], "range": [-8, 7.99], "type": "int16", "scale": 0.000244140625, "zeroPoint": 0 }],
              "outputs": ["y"], "initializers": {},
              "activations": { "y": { "type": "int16", "scale": 0.000244140625, "zeroPoint": 0 } },
              "layers": [ { "name": "hw", "op": "HardSwish", "inputs": ["x"], "output": "y", {{integers}} } ]
            }
            """;
            ModelLoadResult ok = ModelLoader.Load(Spec("\"multiplier\": 2863311531, \"offset\": 35184372088832, \"ceiling\": 70368744177664, \"shift\": 46"), "m.qmodel.json", SafeTensors.Write(new RawTensor[0]), "t.safetensors");
            Assert.True(ok.Success, string.Join("\n", ok.Diagnostics));
            Assert.Equal(p, ((HardSwishLayer)ok.Graph!.Nodes[0].Layer).Integers.Exact);
            string written = SpecWriter.ToJson(ok.Graph.Spec);
            Assert.Contains("\"multiplier\": 2863311531", written, StringComparison.Ordinal);
            Assert.DoesNotContain("\"table\"", written, StringComparison.Ordinal);

            foreach (string bad in new[] { "\"multiplier\": 2863311530, \"offset\": 35184372088832, \"ceiling\": 70368744177664, \"shift\": 46", "\"table\": [1, 2, 3]" })
            {
                ModelLoadResult r = ModelLoader.Load(Spec(bad), "m.qmodel.json", SafeTensors.Write(new RawTensor[0]), "t.safetensors");
                Assert.False(r.Success);
                output.WriteLine(string.Join("\n", r.Diagnostics));
                Assert.Contains(r.Diagnostics, d => d.Id == "QG1027" && d.Place == "$.layers[0]" && d.Message.Contains("exact form", StringComparison.Ordinal));
            }
        }

        private static (BigInteger Num, BigInteger Den) Fraction(double v) => PiecewiseLinearTestMath.Fraction(v);

        private static double Ratio(BigInteger n, BigInteger d) => PiecewiseLinearTestMath.Ratio(n, d);

        private static BigInteger Floor(BigInteger n, BigInteger d)
        {
            BigInteger q = BigInteger.DivRem(n, d, out BigInteger r);
            return r.Sign != 0 && (r.Sign < 0) != (d.Sign < 0) ? q - 1 : q;
        }
    }

    /// <summary>The test's own exact arithmetic (independent of PiecewiseLinear's).</summary>
    internal static class PiecewiseLinearTestMath
    {
        /// <summary>A double as num / 2^k, from its decimal-free bit pattern via Math: v = m 2^e with m an integer.</summary>
        public static (BigInteger Num, BigInteger Den) Fraction(double v)
        {
            BigInteger den = BigInteger.One;
            double m = v;
            while (m != Math.Floor(m))
            {
                m *= 2;
                den *= 2;
            }

            return (new BigInteger(m), den);
        }

        /// <summary>n / d as a double, for values whose numerator and denominator may exceed double's range.</summary>
        public static double Ratio(BigInteger n, BigInteger d)
        {
            int shift = Math.Max(0, (int)Math.Max(BigInteger.Abs(n).GetByteCount(), d.GetByteCount()) * 8 - 1000);
            return (double)(n >> shift) / (double)(d >> shift);
        }
    }
}
