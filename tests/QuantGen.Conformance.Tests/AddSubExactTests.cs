using System.Collections.Generic;
using System.Linq;
using System.Numerics;
using QuantGen.Graph;
using QuantGen.Interpreters;
using QuantGen.Model;
using QuantGen.Numerics;
using QuantGen.Quantization;
using Xunit;

namespace QuantGen.Tests.Conformance
{
    /// <summary>
    /// Every Add and Sub node of the conformance corpus, on the corpus inputs (all min, all max, alternating extremes, zero
    /// point, random), equals the one-rounding value derived here independently of ResidualAdd: with the stored branch
    /// dyadics m_a 2^-s_a and m_b 2^-s_b, the exact rational (a - z_a) m_a 2^-s_a +- (b - z_b) m_b 2^-s_b over the common
    /// denominator 2^(s_a + s_b), rounded half toward +inf with BigInteger floor division, plus z_y, clamped to the output type.
    /// The backends are held to the reference by the CPU / ILGPU / HLS conformance tests over the same corpus.
    /// </summary>
    public class AddSubExactTests
    {
        public static IEnumerable<object[]> Cases => Corpus.Cases.Where(c => c.Covers.Contains(OpKind.Add) || c.Covers.Contains(OpKind.Sub)).Select(c => new object[] { c.Name });

        internal static long Exact(long a, long za, int ma, int sa, long b, long zb, int mb, int sb, int sign, long zo, long lo, long hi)
        {
            BigInteger n = ((a - za) * (BigInteger)ma * BigInteger.Pow(2, sb)) + (sign * (b - zb) * (BigInteger)mb * BigInteger.Pow(2, sa));
            BigInteger den = BigInteger.Pow(2, sa + sb + 1);
            BigInteger q = BigInteger.DivRem((2 * n) + BigInteger.Pow(2, sa + sb), den, out BigInteger r);
            if (r.Sign < 0)
            {
                q -= 1;
            }

            return (long)BigInteger.Min(BigInteger.Max(zo + q, lo), hi);
        }

        [Theory]
        [MemberData(nameof(Cases))]
        public void EveryAddAndSubIsTheExactOneRoundingValue(string name)
        {
            QuantizedModel q = Corpus.Quantize(Corpus.Find(name));
            var reference = new ReferenceInterpreter(q.Graph);
            var nodes = q.Graph.Nodes.Where(n => n.Layer.Op == OpKind.Add || n.Layer.Op == OpKind.Sub).ToList();
            Assert.NotEmpty(nodes);
            int checkedElements = 0;
            foreach (int[] input in Inputs.For(q.Graph, 8))
            {
                IReadOnlyDictionary<string, int[]> all = reference.RunAll(input);
                foreach (GraphNode node in nodes)
                {
                    AddIntegers integers = node.Layer is AddLayer add ? add.Integers : ((SubLayer)node.Layer).Integers;
                    int sign = node.Layer.Op == OpKind.Add ? 1 : -1;
                    int[] Values(TensorInfo t) => t.Kind == TensorKind.Initializer ? t.IntData! : all[t.Name];
                    int[] av = Values(node.Inputs[0]), bv = Values(node.Inputs[1]), y = all[node.Output.Name];
                    TensorInfo ta = node.Inputs[0], tb = node.Inputs[1], to = node.Output;
                    for (int i = 0; i < y.Length; i++)
                    {
                        long e = Exact(av[i % av.Length], ta.Quant!.ZeroPoint, integers.RequantA.Multiplier, integers.RequantA.Shift,
                            bv[i % bv.Length], tb.Quant!.ZeroPoint, integers.RequantB.Multiplier, integers.RequantB.Shift, sign, to.Quant!.ZeroPoint, to.Type.MinValue, to.Type.MaxValue);
                        Assert.True(e == y[i], $"{name}/{node.Layer.Name}[{i}]: a = {av[i % av.Length]}, b = {bv[i % bv.Length]}: expected {e}, reference {y[i]}");
                        checkedElements++;
                    }
                }
            }

            Assert.True(checkedElements > 0);
        }

        /// <summary>Ties exactly at .5 round up, once: 1/2 + 1/2 of two odd operands is one whole LSB, where two roundings gave 2.</summary>
        [Fact]
        public void TiesAtOneHalfRoundOnceUpward()
        {
            var half = new Dyadic(1 << 19, 20);
            Assert.Equal(1, ResidualAdd.Apply(1, 0, half, 1, 0, half, 0, ElementType.Int8));             // 0.5 + 0.5 = 1
            Assert.Equal(1, Exact(1, 0, 1 << 19, 20, 1, 0, 1 << 19, 20, 1, 0, -128, 127));
            Assert.Equal(2, ResidualAdd.Apply(3, 0, half, 0, 0, half, 0, ElementType.Int8));             // 1.5 -> 2 (half up)
            Assert.Equal(-1, ResidualAdd.Apply(-3, 0, half, 0, 0, half, 0, ElementType.Int8));           // -1.5 -> -1 (half up)
            Assert.Equal(0, ResidualAdd.Apply(1, 0, half, 1, 0, half, 0, ElementType.Int8, -1));        // 0.5 - 0.5 = 0
            // Old spec files: shifts 20 and 21 mean the same rationals at the common shift 21.
            Assert.Equal(1, ResidualAdd.Apply(1, 0, half, 1, 0, new Dyadic(1 << 20, 21), 0, ElementType.Int8));
            Assert.Equal(127, ResidualAdd.Apply(127, -128, new Dyadic(1 << 20, 20), 127, -128, half, 0, ElementType.Int8));
            Assert.Equal(-128, ResidualAdd.Apply(-128, 127, new Dyadic(1 << 20, 20), -128, 127, half, 0, ElementType.Int8));
        }
    }
}
