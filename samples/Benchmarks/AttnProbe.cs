using System;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using QuantGen.Generated;

namespace QuantGen.Benchmarks
{
    /// <summary>
    /// `attn-probe`: DeiT-Tiny's two attention MatMuls per block on their own (3 heads; q x k^T: 197 x 64 times 64 x 197 through
    /// the fused k transpose; probs x V: 197 x 197 times 197 x 64), Stopwatch medians in one process: the whole call as the
    /// generated code makes it and its parts (packing b, the row bias, the GEMM). A profiling aid, not a benchmark.
    /// </summary>
    public static class AttnProbe
    {
        private const int Heads = 3, T = 197, D = 64;

        public static int Run()
        {
            if (!System.Runtime.Intrinsics.X86.AvxVnni.IsSupported)
            {
                Console.WriteLine("attn-probe needs AVX-VNNI");
                return 1;
            }

            var rng = new Random(5);
            sbyte[] q = Rand(rng, Heads * T * D), k = Rand(rng, Heads * T * D), p = Rand(rng, Heads * T * T), v = Rand(rng, Heads * T * D);
            Run("q x k^T ", q, k, T, D, T, fused: true, za: -3, zb: 5, m: 1968845416, s: 39, zo: 7);
            Run("probs x V", p, v, T, T, D, fused: false, za: -128, zb: 2, m: 1231648019, s: 43, zo: -4);
            Split(T, D, T);
            Split(T, 196, D);
            return 0;
        }

        /// <summary>
        /// The new GEMM of one head at K and 2 K (same rows and channels, best of 5 medians): T = rest + loop K, so the multiply
        /// loop is 2 (T(2K) - T(K)) ... loop(K) = T(2K) - T(K), rest = 2 T(K) - T(2K) (init, requantization, stores, calls).
        /// </summary>
        private static void Split(int rows, int k, int cols)
        {
            int np8 = (cols + 7) / 8 * 8;
            double Time(int kq)
            {
                var rng = new Random(9);
                sbyte[] u = Rand(rng, rows * kq * 4), w = Rand(rng, kq * np8 * 4);
                var colBias = new int[np8 + 8];
                var rowBias = new int[rows];
                var y = new sbyte[rows * cols];
                double best = double.MaxValue;
                for (int r = 0; r < 5; r++)
                {
                    best = Math.Min(best, Check.Time(() => QuantGenAttentionKernels.GemmHighU(ref u[0], rows, kq * 4, ref w[0], kq, np8, cols, ref colBias[0], ref rowBias[0], 1 << 30, 64, 7, -128, 127, ref y[0], cols)));
                }

                return best;
            }

            double t1 = Time(k / 4), t2 = Time(k / 2);
            double loop = t2 - t1, rest = t1 - loop;
            Console.WriteLine($"{rows} x {k} x {cols} (one head): {t1,6:F2} us; multiply loop {loop,6:F2} us ({(double)rows * k * cols / loop / 1000,6:F1} GMAC/s), rest {rest,6:F2} us ({100 * rest / t1,4:F1} %)");
        }

        private static sbyte[] Rand(Random rng, int n)
        {
            var b = new byte[n];
            rng.NextBytes(b);
            return (sbyte[])(object)b;
        }

        private static void Run(string name, sbyte[] a, sbyte[] b, int rows, int k, int cols, bool fused, int za, int zb, int m, int s, int zo)
        {
            int kQuads = (k + 3) / 4, np8 = (cols + 7) / 8 * 8, np = (cols + 15) / 16 * 16;
            var tq = new sbyte[kQuads * np8 * 4];
            var colBias = new int[np];
            var rowBias = new int[rows];
            var u = new sbyte[kQuads * 4];
            int t = s - 32;
            int[] mulHi = new int[np + 1], addHi = new int[np + 1], shiftHi = new int[np + 1];
            Array.Fill(mulHi, m);
            Array.Fill(addHi, (1 << (t - 1)) + (zo << t));
            Array.Fill(shiftHi, t);
            var y = new sbyte[Heads * rows * cols];
            int tStride = fused ? 1 : cols, jStride = fused ? k : 1;
            int colScale = -(128 + za), constant = k * za * zb;

            void Pack(int bt) => QuantGenTransformerKernels.PackQuadsK(b, bt * k * cols, tStride, jStride, k, cols, tq, np8, colBias, colScale, constant);
            void Rows(int bt) => QuantGenKernels.RowBias(a.AsSpan(bt * rows * k, rows * k), rows, k, -zb, rowBias);
            void Gemm(int bt, int n0, ref sbyte a0, int aStride, ref int rb, ref sbyte y0) => AttnBaselineKernels.GemmVnniHighRows(ref a0, n0, aStride, ref tq[0], kQuads, np8, cols,
                ref colBias[0], ref rb, ref mulHi[0], ref addHi[0], ref shiftHi[0], -128, 127, ref y0, cols);
            void Old()
            {
                for (int bt = 0; bt < Heads; bt++)
                {
                    Pack(bt);
                    Rows(bt);
                    if (k % 4 != 0)
                    {
                        Gemm(bt, rows - 1, ref a[bt * rows * k], k, ref rowBias[0], ref y[bt * rows * cols]);
                        QuantGenTransformerKernels.PadLastRow(a.AsSpan(bt * rows * k, rows * k), k, u);
                        Gemm(bt, 1, ref u[0], kQuads * 4, ref rowBias[rows - 1], ref y[(bt * rows * cols) + ((rows - 1) * cols)]);
                    }
                    else
                    {
                        Gemm(bt, rows, ref a[bt * rows * k], k, ref rowBias[0], ref y[bt * rows * cols]);
                    }
                }
            }

            var uRows = new sbyte[rows * kQuads * 4];
            var y2 = new sbyte[y.Length];
            int addH = (1 << (t - 1)) + (zo << t);
            void PackNew(int bt)
            {
                if (fused && k % 4 == 0)
                {
                    QuantGenAttentionKernels.PackKT(b, bt * k * cols, jStride, k, cols, tq, np8, colBias, colScale, constant);
                }
                else
                {
                    Pack(bt);
                }
            }

            void RowsNew(int bt) => QuantGenAttentionKernels.RowsU(a.AsSpan(bt * rows * k, rows * k), rows, k, -zb, uRows, kQuads * 4, rowBias);
            void GemmNew(int bt) => QuantGenAttentionKernels.GemmHighU(ref uRows[0], rows, kQuads * 4, ref tq[0], kQuads, np8, cols, ref colBias[0], ref rowBias[0], m, addH, t, -128, 127, ref y2[bt * rows * cols], cols);
            void New()
            {
                for (int bt = 0; bt < Heads; bt++)
                {
                    PackNew(bt);
                    RowsNew(bt);
                    GemmNew(bt);
                }
            }

            Old();
            New();
            Console.WriteLine($"{name}: new == old: {y.AsSpan().SequenceEqual(y2)}");
            double macs = (double)Heads * rows * k * cols;
            (double o1, double n1) = ConvProbe.Interleaved(Old, New);
            Console.WriteLine($"{name}: whole old {o1,7:F2} us ({macs / o1 / 1000,6:F1} GMAC/s), new {n1,7:F2} us ({macs / n1 / 1000,6:F1} GMAC/s): {o1 / n1:F3}x");
            (double po, double pn) = ConvProbe.Interleaved(() => { for (int bt = 0; bt < Heads; bt++) { Pack(bt); } }, () => { for (int bt = 0; bt < Heads; bt++) { PackNew(bt); } });
            (double ro, double rn) = ConvProbe.Interleaved(() => { for (int bt = 0; bt < Heads; bt++) { Rows(bt); } }, () => { for (int bt = 0; bt < Heads; bt++) { RowsNew(bt); } });
            Console.WriteLine($"{name}: pack old {po,6:F2} new {pn,6:F2} us; rows old {ro,6:F2} new {rn,6:F2} us");

            (double go, double gn) = ConvProbe.Interleaved(
                () =>
                {
                    for (int bt = 0; bt < Heads; bt++)
                    {
                        Gemm(bt, rows - (k % 4 != 0 ? 1 : 0), ref a[bt * rows * k], k, ref rowBias[0], ref y[bt * rows * cols]);
                    }
                },
                () =>
                {
                    for (int bt = 0; bt < Heads; bt++)
                    {
                        GemmNew(bt);
                    }
                });
            Console.WriteLine($"{name}: gemm old {go,7:F2} us ({macs / go / 1000,6:F1} GMAC/s), new {gn,7:F2} us ({macs / gn / 1000,6:F1} GMAC/s): {go / gn:F3}x");
        }
    }
}
