using System;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using QuantGen.Generated;

namespace QuantGen.Benchmarks
{
    /// <summary>
    /// `attn-probe`: DeiT-Tiny's two attention MatMuls per block on their own (3 heads; q x k^T: 197 x 64 times 64 x 197 through
    /// the fused k transpose; probs x V: 197 x 197 times 197 x 64), Stopwatch medians in one process: the whole call as the
    /// generated code makes it and its parts (packing b, the row bias, the GEMM), and the GEMM's split into its multiply loop
    /// and the rest. A profiling aid, not a benchmark (the before/after A/B of the attn helper, against the frozen
    /// GemmVnniHighRows, is in commit 9bf08d9).
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
            int t = s - 32;
            var y = new sbyte[Heads * rows * cols];
            int tStride = fused ? 1 : cols, jStride = fused ? k : 1;
            int colScale = -(128 + za), constant = k * za * zb;
            var uRows = new sbyte[rows * kQuads * 4];
            int addH = (1 << (t - 1)) + (zo << t);
            void Pack(int bt)
            {
                if (fused && k % 4 == 0)
                {
                    QuantGenAttentionKernels.PackKT(b, bt * k * cols, jStride, k, cols, tq, np8, colBias, colScale, constant);
                }
                else
                {
                    QuantGenTransformerKernels.PackQuadsK(b, bt * k * cols, tStride, jStride, k, cols, tq, np8, colBias, colScale, constant);
                }
            }

            void Rows(int bt) => QuantGenAttentionKernels.RowsU(a.AsSpan(bt * rows * k, rows * k), rows, k, -zb, uRows, kQuads * 4, rowBias);
            void Gemm(int bt) => QuantGenAttentionKernels.GemmHighU(ref uRows[0], rows, kQuads * 4, ref tq[0], kQuads, np8, cols, ref colBias[0], ref rowBias[0], m, addH, t, -128, 127, ref y[bt * rows * cols], cols);
            void Whole()
            {
                for (int bt = 0; bt < Heads; bt++)
                {
                    Pack(bt);
                    Rows(bt);
                    Gemm(bt);
                }
            }

            double macs = (double)Heads * rows * k * cols;
            double whole = Check.Time(Whole);
            double pack = Check.Time(() => { for (int bt = 0; bt < Heads; bt++) { Pack(bt); } });
            double rowsUs = Check.Time(() => { for (int bt = 0; bt < Heads; bt++) { Rows(bt); } });
            double gemm = Check.Time(() => { for (int bt = 0; bt < Heads; bt++) { Gemm(bt); } });
            Console.WriteLine($"{name}: whole {whole,7:F2} us ({macs / whole / 1000,6:F1} GMAC/s); pack {pack,6:F2} us, rows {rowsUs,6:F2} us, gemm {gemm,7:F2} us ({macs / gemm / 1000,6:F1} GMAC/s)");
        }
    }
}
