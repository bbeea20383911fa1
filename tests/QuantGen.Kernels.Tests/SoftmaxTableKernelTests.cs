using System;
using System.Collections.Generic;
using System.Linq;
using System.Runtime.Intrinsics.X86;
using QuantGen.Generated;
using QuantGen.Numerics;
using Xunit;

namespace QuantGen.Tests.Kernels
{
    /// <summary>
    /// The vectorized table softmax (QuantGenTransformerKernels.SoftmaxTableRows and each of its row paths called directly:
    /// AVX-512 VBMI, AVX-512, AVX2, Vector128, scalar, whichever this CPU has) against the reference definition SoftmaxTable.Row:
    /// row lengths around the vector widths (1, 15-17, 31-33, 63-65, 127-129, 192, 197, 255, 256, 300, 1000), int8 and uint8 scores, rows that are all
    /// equal, one huge value among minima, alternating extremes and rows that hit every table index 0..255, several input
    /// scales (so several table exponents B) and output quantizations, including dyadics at the edges of the kernel's proof
    /// (shift 0 and 62, multiplier 0 and 2^31 - 1) and zero points at both ends of the output type.
    /// </summary>
    public class SoftmaxTableKernelTests
    {
        public static TheoryData<int, int, bool> Rows()
        {
            var data = new TheoryData<int, int, bool>();
            foreach (int len in new[] { 1, 15, 16, 17, 31, 32, 33, 63, 64, 65, 127, 128, 129, 192, 197, 255, 256, 300, 1000 })
            {
                foreach (int mode in new[] { 0, 1, 2, 3, 4 })
                {
                    data.Add(len, mode, true);
                    data.Add(len, mode, false);
                }
            }

            return data;
        }

        /// <summary>Output quantizations: (scale or a fixed dyadic, zero point, lo, hi).</summary>
        private static IEnumerable<(Dyadic Out, int Zero, int Lo, int Hi)> Outputs()
        {
            yield return (SoftmaxTable.Output(1.0 / 256), 0, 0, 255);
            yield return (SoftmaxTable.Output(1.0 / 256), -128, -128, 127);
            yield return (SoftmaxTable.Output(1.0 / 255), 0, 0, 255);
            yield return (SoftmaxTable.Output(0.0039215), 7, 0, 255);
            yield return (SoftmaxTable.Output(1.0 / 1000), -100, -128, 127);
            yield return (SoftmaxTable.Output(0.5), 0, 0, 255);
            yield return (new Dyadic(int.MaxValue, 62), 255, 0, 255);
            yield return (new Dyadic(int.MaxValue, 31), -128, -128, 127);
            yield return (new Dyadic(1, 0), 0, 0, 255);
            yield return (Dyadic.Zero, 3, 0, 255);
            yield return (new Dyadic((1 << 30) + 12345, 38), 127, -128, 127);
        }

        [Theory]
        [MemberData(nameof(Rows))]
        public void EveryPathEqualsTheReferenceRow(int len, int mode, bool signed)
        {
            var rng = new Random((len * 13) + (mode * 7) + (signed ? 1 : 0));
            foreach (double scale in new[] { 0.0121, 0.05, 0.002, 0.3 })
            {
                const int rows = 3;
                int[] x = Scores(rows, len, mode, signed, rng);
                int[] table = SoftmaxTable.Exp(scale, 256, len);
                foreach ((Dyadic o, int zero, int lo, int hi) in Outputs())
                {
                    Check(x, rows, len, signed, table, o, zero, lo, hi);
                }
            }
        }

        /// <summary>A 4-bit score table (16 entries, the rest zero as the generator pads it) over scores in [-8, 7].</summary>
        [Theory]
        [InlineData(17)]
        [InlineData(197)]
        public void ShortTablesArePaddedWithZeros(int len)
        {
            var rng = new Random(len);
            int[] x = Enumerable.Range(0, 2 * len).Select(_ => rng.Next(-8, 8)).ToArray();
            int[] table = SoftmaxTable.Exp(0.4, 16, len);
            Check(x, 2, len, true, table, SoftmaxTable.Output(1.0 / 256), 0, 0, 255);
        }

        /// <summary>The largest exponent that keeps the row sum in int32 (B = ExpBits(len)) with the whole row at the max.</summary>
        [Fact]
        public void RowSumAtItsInt32Limit()
        {
            foreach (int len in new[] { 16, 197, 1000 })
            {
                int[] x = Enumerable.Repeat(127, len).ToArray();
                int[] table = SoftmaxTable.Exp(1e-9, 256, len);
                Assert.True((long)len * table[0] <= int.MaxValue);
                Assert.True((long)len * table[0] * 2 > int.MaxValue);
                Check(x, 1, len, true, table, SoftmaxTable.Output(1.0 / 256), 0, 0, 255);
            }
        }

        private static int[] Scores(int rows, int len, int mode, bool signed, Random rng)
        {
            int min = signed ? -128 : 0, max = signed ? 127 : 255;
            var x = new int[rows * len];
            for (int i = 0; i < x.Length; i++)
            {
                int j = i % len;
                x[i] = mode switch
                {
                    1 => min + 77,
                    2 => j == len / 2 ? max : min,
                    3 => j % 2 == 0 ? min : max,
                    4 => max - (j % 256),
                    _ => rng.Next(min, max + 1),
                };
            }

            return x;
        }

        private static void Check(int[] x, int rows, int len, bool signed, int[] table, Dyadic o, int zero, int lo, int hi)
        {
            var p = new SoftmaxTableParams(table, o);
            var expected = new int[x.Length];
            for (int r = 0; r < rows; r++)
            {
                SoftmaxTable.Row(x, r * len, len, p, zero, lo, hi, expected, r * len);
            }

            byte[] xb = x.Select(v => (byte)v).ToArray();
            int flip = signed ? 0x80 : 0;
            int[] padded = new int[256];
            Array.Copy(table, padded, table.Length);
            int[] e = new int[len];
            string what = $"len {len}, signed {signed}, B {p.ExpBits}, out {o.Multiplier} >> {o.Shift}, z {zero}";

            byte[] y = new byte[x.Length];
            QuantGenTransformerKernels.SoftmaxTableRows(xb, flip, rows, len, ref padded[0], e, o.Multiplier, o.Shift, zero, lo, hi, y);
            Assert.True(expected.SequenceEqual(y.Select(v => Value(v, lo))), "dispatch (" + QuantGenKernels.SimdPath + "): " + what);

            var paths = new List<(string Name, Action<byte[], byte[]> Row)>
            {
                ("scalar", (xr, yr) => QuantGenTransformerKernels.RowScalar(xr, flip, ref padded[0], o.Multiplier, o.Shift, zero, lo, hi, yr)),
            };
            if (Avx512BW.IsSupported && Avx512DQ.IsSupported && len >= 16)
            {
                paths.Add(("avx512", (xr, yr) => QuantGenTransformerKernels.RowAvx512(xr, flip, ref padded[0], e, o.Multiplier, o.Shift, zero, hi, yr)));
            }

            if (Avx512Vbmi.IsSupported && len >= 64 && o.Shift >= 8)
            {
                paths.Add(("avx512vbmi", (xr, yr) => QuantGenTransformerKernels.RowsAvx512Vbmi(xr, flip, 1, len, ref padded[0], e, o.Multiplier, o.Shift, zero, hi, yr)));
            }

            if (Avx2.IsSupported && len >= 32)
            {
                paths.Add(("avx2", (xr, yr) => QuantGenTransformerKernels.RowAvx2(xr, flip, ref padded[0], e, o.Multiplier, o.Shift, zero, hi, yr)));
            }

            if (Sse41.IsSupported && len >= 16)
            {
                paths.Add(("vector128", (xr, yr) => QuantGenTransformerKernels.RowVector128(xr, flip, ref padded[0], e, o.Multiplier, o.Shift, zero, hi, yr)));
            }

            foreach ((string name, Action<byte[], byte[]> row) in paths)
            {
                for (int r = 0; r < rows; r++)
                {
                    byte[] yr = new byte[len];
                    row(xb.Skip(r * len).Take(len).ToArray(), yr);
                    Assert.True(expected.Skip(r * len).Take(len).SequenceEqual(yr.Select(v => Value(v, lo))), name + ", row " + r + ": " + what);
                }
            }
        }

        /// <summary>The output byte read back as the output type: int8 when the type's minimum is negative.</summary>
        private static int Value(byte b, int lo) => lo < 0 ? (sbyte)b : b;
    }
}
