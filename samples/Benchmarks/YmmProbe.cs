using System;
using System.Globalization;
using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;
using QuantGen.Generated;

namespace QuantGen.Benchmarks
{
    /// <summary>
    /// `ymm-probe`: on Intel cores a 512-bit uop in flight closes port 1's vector ALUs, so the zmm multiply-high store of a
    /// tile may slow the ymm vpdpbusd around it. A probe-only copy of the 4 x 32 pointwise tile as it was
    /// before the ymm store (QuantGenPointwiseKernels.Tile4x32Packed with its zmm store, commit 3d173af) against today's
    /// GemmVnniHigh on rows that are a multiple of 4, A/B in one process (process CPU time, median of rounds), bytes compared.
    /// </summary>
    public static class YmmProbe
    {
        public static int Run(string[] args)
        {
            if (args.Length > 0 && args[0] == "dw16")
            {
                return Dw16(args.Length > 1 ? int.Parse(args[1], CultureInfo.InvariantCulture) : 9);
            }

            if (args.Length > 0 && args[0] == "pool")
            {
                return Pool(args.Length > 1 ? int.Parse(args[1], CultureInfo.InvariantCulture) : 9);
            }

            int rounds = args.Length > 0 ? int.Parse(args[0], CultureInfo.InvariantCulture) : 9;
            bool ok = true;
            foreach ((string name, int rows, int k, int n) in new[]
            {
                ("ds_cnn pointwise", 124, 64, 64), ("mobilenet 12", 576, 16, 32), ("mobilenet 18", 576, 32, 32),
                ("mobilenet 24", 144, 32, 64), ("mobilenet 30", 144, 64, 64), ("mobilenet 36", 36, 64, 128), ("mobilenet 42", 36, 128, 128),
                ("mobilenet 72", 8, 128, 256), ("mobilenet 78", 8, 256, 256),
            })
            {
                int kq = (k + 3) / 4, np = n;
                var rng = new Random(rows + k + n);
                var a = new sbyte[(rows * kq * 4) + 4];
                var w = new sbyte[kq * np * 4];
                rng.NextBytes((byte[])(object)a);
                rng.NextBytes((byte[])(object)w);
                var bias = new int[np + 17];
                var mulHi = new int[np + 17];
                var addHi = new int[np + 17];
                var shiftHi = new int[np + 17];
                const int zo = -5;
                for (int o = 0; o < n; o++)
                {
                    int m = rng.Next(1 << 30, int.MaxValue), s = rng.Next(38, 44), t = s - 32;
                    bias[o] = rng.Next(-5000, 5000);
                    mulHi[o] = m;
                    addHi[o] = (1 << (t - 1)) + (zo << t);
                    shiftHi[o] = t;
                }

                var yz = new sbyte[rows * n];
                var yy = new sbyte[rows * n];
                void A()
                {
                    for (int o0 = 0; o0 < np; o0 += 32)
                    {
                        TileZmm(ref a[0], rows / 4, kq * 4, ref w[o0 * 4], kq, np, o0, ref bias[0], ref mulHi[0], ref addHi[0], ref shiftHi[0], -5, 127, ref yz[o0], n);
                    }
                }

                void B()
                {
                    QuantGenPointwiseKernels.GemmVnniHigh(ref a[0], rows, kq * 4, ref w[0], kq, np, n, ref bias[0], ref mulHi[0], ref addHi[0], ref shiftHi[0], -5, 127, ref yy[0], n);
                }

                A();
                B();
                bool same = yz.AsSpan().SequenceEqual(yy);
                ok &= same;
                var ta = new double[rounds];
                var tb = new double[rounds];
                for (int r = 0; r < rounds; r++)
                {
                    ta[r] = PwProbe.CpuMicros(A);
                    tb[r] = PwProbe.CpuMicros(B);
                }

                double ma = PwProbe.Median(ta), mb = PwProbe.Median(tb), macs = (double)rows * k * n;
                Console.WriteLine(FormattableString.Invariant($"{name,-18} M {rows,5} K {k,4} N {n,4}: old zmm-store tile (copy) {ma,8:F2} us ({macs / ma / 1000,6:F1} GMAC/s)  GemmVnniHigh {mb,8:F2} us ({macs / mb / 1000,6:F1} GMAC/s)  {ma / mb:F2}x  {(same ? "same bytes" : "DIFFERENT")}"));
            }

            return ok ? 0 : 1;
        }

        /// <summary>16-channel stride-2 depthwise (MobileNet's features.9, 48 x 48 -> 24 x 24, and odd maps): old copy vs DepthwiseQuadRegs.</summary>
        private static int Dw16(int rounds)
        {
            bool ok = true;
            foreach ((int oh, int ow) in new[] { (24, 24), (7, 5), (1, 3), (2, 1) })
            {
                const int c = 16;
                int ph = ((oh - 1) * 2) + 3, pw = ((ow - 1) * 2) + 3, rowStride = pw * c;
                var rng = new Random(oh * 100 + ow);
                var img = new sbyte[(ph * rowStride) + c + 64];
                rng.NextBytes((byte[])(object)img);
                var wq = new sbyte[3 * 2 * c * 4];
                rng.NextBytes((byte[])(object)wq);
                var bias = new int[c + 1];
                var mulHi = new int[c + 1];
                var addHi = new int[c + 1];
                var shiftHi = new int[c + 1];
                var mul = new long[c];
                var round = new long[c];
                var shift = new long[c];
                for (int o = 0; o < c; o++)
                {
                    int tt = rng.Next(6, 12);
                    bias[o] = rng.Next(-50000, 50000);
                    mulHi[o] = rng.Next(1 << 30, int.MaxValue);
                    addHi[o] = (1 << (tt - 1)) + (3 << tt);
                    shiftHi[o] = tt;
                }

                var yo = new sbyte[oh * ow * c];
                var yn = new sbyte[oh * ow * c];
                void A() => OldDw16.OldQuadRegs16(ref Unsafe.As<sbyte, byte>(ref img[0]), rowStride, c, 2, 2, oh, ow, ref wq[0], ref bias[0], true, ref mulHi[0], ref addHi[0], ref shiftHi[0],
                    ref mul[0], ref round[0], ref shift[0], 3, -100, 127, ref yo[0]);
                void B() => QuantGenDepthwiseKernels.DepthwiseQuadRegs(img, pw, c, 2, 2, oh, ow, ref wq[0], ref bias[0], true, ref mulHi[0], ref addHi[0], ref shiftHi[0],
                    ref mul[0], ref round[0], ref shift[0], 3, -100, 127, yn);
                A();
                B();
                bool same = yo.AsSpan().SequenceEqual(yn);
                ok &= same;
                var ta = new double[rounds];
                var tb = new double[rounds];
                for (int r = 0; r < rounds; r++)
                {
                    ta[r] = PwProbe.CpuMicros(A);
                    tb[r] = PwProbe.CpuMicros(B);
                }

                double ma = PwProbe.Median(ta), mb = PwProbe.Median(tb), macs = (double)oh * ow * c * 9;
                Console.WriteLine(FormattableString.Invariant($"depthwise 16 ch stride 2 -> {oh,2}x{ow,-2}: old (copy) {ma,6:F2} us ({macs / ma / 1000,5:F1} GMAC/s)  DepthwiseQuadRegs {mb,6:F2} us ({macs / mb / 1000,5:F1} GMAC/s)  {ma / mb:F2}x  {(same ? "same bytes" : "DIFFERENT")}"));
            }

            return ok ? 0 : 1;
        }

        /// <summary>The zoo CNNs' global pools on the channels-last flatten (DS-CNN 125 x 64, MobileNet 9 x 256): old copy vs AvgColumnsS8.</summary>
        private static int Pool(int rounds)
        {
            bool ok = true;
            foreach ((int count, int c) in new[] { (125, 64), (9, 256) })
            {
                var x = new sbyte[count * c];
                new Random(count).NextBytes((byte[])(object)x);
                var yo = new sbyte[c];
                var yn = new sbyte[c];
                void A() => OldPool.OldAvgColumnsS8(x, 1, count, c, -128, 2146362513, 36, -128, -128, 127, yo);
                void B() => QuantGenKernels.AvgColumnsS8(x, 1, count, c, -128, 2146362513, 36, -128, -128, 127, yn);
                A();
                B();
                bool same = yo.AsSpan().SequenceEqual(yn);
                ok &= same;
                var ta = new double[rounds];
                var tb = new double[rounds];
                for (int r = 0; r < rounds; r++)
                {
                    ta[r] = PwProbe.CpuMicros(A);
                    tb[r] = PwProbe.CpuMicros(B);
                }

                double ma = PwProbe.Median(ta), mb = PwProbe.Median(tb);
                Console.WriteLine(FormattableString.Invariant($"avg pool {count,3} x {c,3}: old (copy) {ma,6:F3} us  AvgColumnsS8 {mb,6:F3} us  {ma / mb:F2}x  {(same ? "same bytes" : "DIFFERENT")}"));
            }

            return ok ? 0 : 1;
        }

        [MethodImpl(MethodImplOptions.NoInlining | MethodImplOptions.AggressiveOptimization)]
        private static void TileZmm(ref sbyte a, int tiles, int aStride, ref sbyte wb, int kQuads, int np, int o0, ref int bias, ref int mulHi, ref int addHi, ref int shiftHi, int lo8, int hi8, ref sbyte y, int yStride)
        {
            for (int tile = 0; tile < tiles; tile++)
            {
                ref sbyte a0 = ref Unsafe.Add(ref a, tile * 4 * aStride);
                ref sbyte yt = ref Unsafe.Add(ref y, tile * 4 * yStride);
                ref sbyte a1 = ref Unsafe.Add(ref a0, aStride);
                ref sbyte a2 = ref Unsafe.Add(ref a1, aStride);
                ref sbyte a3 = ref Unsafe.Add(ref a2, aStride);
                Vector256<int> b0 = Vector256.LoadUnsafe(ref bias, (nuint)o0), b1 = Vector256.LoadUnsafe(ref bias, (nuint)(o0 + 8));
                Vector256<int> b2 = Vector256.LoadUnsafe(ref bias, (nuint)(o0 + 16)), b3 = Vector256.LoadUnsafe(ref bias, (nuint)(o0 + 24));
                Vector256<int> c00 = b0, c01 = b1, c02 = b2, c03 = b3;
                Vector256<int> c10 = b0, c11 = b1, c12 = b2, c13 = b3;
                Vector256<int> c20 = b0, c21 = b1, c22 = b2, c23 = b3;
                Vector256<int> c30 = b0, c31 = b1, c32 = b2, c33 = b3;
                ref sbyte wq = ref wb;
                int step = np * 4;
                for (int q = 0; q < kQuads; q++)
                {
                    Vector256<sbyte> w0 = Vector256.LoadUnsafe(ref wq);
                    Vector256<sbyte> w1 = Vector256.LoadUnsafe(ref wq, 32);
                    Vector256<sbyte> w2 = Vector256.LoadUnsafe(ref wq, 64);
                    Vector256<sbyte> w3 = Vector256.LoadUnsafe(ref wq, 96);
                    wq = ref Unsafe.Add(ref wq, step);
                    Vector256<byte> x = Quad(ref a0, q);
                    c00 = AvxVnni.MultiplyWideningAndAdd(c00, x, w0);
                    c01 = AvxVnni.MultiplyWideningAndAdd(c01, x, w1);
                    c02 = AvxVnni.MultiplyWideningAndAdd(c02, x, w2);
                    c03 = AvxVnni.MultiplyWideningAndAdd(c03, x, w3);
                    x = Quad(ref a1, q);
                    c10 = AvxVnni.MultiplyWideningAndAdd(c10, x, w0);
                    c11 = AvxVnni.MultiplyWideningAndAdd(c11, x, w1);
                    c12 = AvxVnni.MultiplyWideningAndAdd(c12, x, w2);
                    c13 = AvxVnni.MultiplyWideningAndAdd(c13, x, w3);
                    x = Quad(ref a2, q);
                    c20 = AvxVnni.MultiplyWideningAndAdd(c20, x, w0);
                    c21 = AvxVnni.MultiplyWideningAndAdd(c21, x, w1);
                    c22 = AvxVnni.MultiplyWideningAndAdd(c22, x, w2);
                    c23 = AvxVnni.MultiplyWideningAndAdd(c23, x, w3);
                    x = Quad(ref a3, q);
                    c30 = AvxVnni.MultiplyWideningAndAdd(c30, x, w0);
                    c31 = AvxVnni.MultiplyWideningAndAdd(c31, x, w1);
                    c32 = AvxVnni.MultiplyWideningAndAdd(c32, x, w2);
                    c33 = AvxVnni.MultiplyWideningAndAdd(c33, x, w3);
                }

                ref int m = ref Unsafe.Add(ref mulHi, o0);
                ref int add = ref Unsafe.Add(ref addHi, o0);
                ref int sh = ref Unsafe.Add(ref shiftHi, o0);
                Vector512<sbyte> lo = Vector512.Create((sbyte)lo8), hi = Vector512.Create((sbyte)hi8);
                Vector512<sbyte> r01 = QuantGenKernels.PackClampS8(High16At(c00, c01, ref m, ref add, ref sh, 0), High16At(c02, c03, ref m, ref add, ref sh, 16),
                    High16At(c10, c11, ref m, ref add, ref sh, 0), High16At(c12, c13, ref m, ref add, ref sh, 16), lo, hi);
                r01.GetLower().StoreUnsafe(ref yt);
                r01.GetUpper().StoreUnsafe(ref Unsafe.Add(ref yt, yStride));
                Vector512<sbyte> r23 = QuantGenKernels.PackClampS8(High16At(c20, c21, ref m, ref add, ref sh, 0), High16At(c22, c23, ref m, ref add, ref sh, 16),
                    High16At(c30, c31, ref m, ref add, ref sh, 0), High16At(c32, c33, ref m, ref add, ref sh, 16), lo, hi);
                r23.GetLower().StoreUnsafe(ref Unsafe.Add(ref yt, 2 * yStride));
                r23.GetUpper().StoreUnsafe(ref Unsafe.Add(ref yt, 3 * yStride));
            }
        }

        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        private static Vector512<int> High16At(Vector256<int> c0, Vector256<int> c1, ref int mulHi, ref int addHi, ref int shiftHi, int o)
        {
            Vector512<int> acc = Avx512F.InsertVector256(c0.ToVector512Unsafe(), c1, 1);
            Vector512<long> pe = Avx512F.Multiply(acc, Vector512.LoadUnsafe(ref mulHi, (nuint)o));
            Vector512<long> po = Avx512F.Multiply(Avx512F.ShiftRightLogical(acc.AsInt64(), 32).AsInt32(), Vector512.LoadUnsafe(ref mulHi, (nuint)(o + 1)));
            Vector512<int> h = Avx512F.PermuteVar16x32x2(pe.AsInt32(), Vector512.Create(1, 17, 3, 19, 5, 21, 7, 23, 9, 25, 11, 27, 13, 29, 15, 31), po.AsInt32());
            return Avx512F.ShiftRightArithmeticVariable(h + Vector512.LoadUnsafe(ref addHi, (nuint)o), Vector512.LoadUnsafe(ref shiftHi, (nuint)o).AsUInt32());
        }

        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        private static Vector256<byte> Quad(ref sbyte a, int q) =>
            (Vector256.Create(Unsafe.ReadUnaligned<int>(ref Unsafe.As<sbyte, byte>(ref Unsafe.Add(ref a, q * 4)))) ^ Vector256.Create(unchecked((int)0x80808080))).AsByte();
    }

    /// <summary>Probe-only copy of QuantGenKernels.AvgColumnsS8 before its AVX2 column sums (commit 3d173af); `ymm-probe pool`.</summary>
    internal static class OldPool
    {
        [MethodImpl(MethodImplOptions.AggressiveOptimization)]
        internal static void OldAvgColumnsS8(ReadOnlySpan<sbyte> x, int batch, int count, int c, long zx, long m, int shift, long zo, long lo, long hi, Span<sbyte> y)
        {
            if (x.Length < batch * count * c || y.Length < batch * c)
            {
                throw new ArgumentException("the pooling buffers are too small for this layer");
            }

            Span<int> sums = stackalloc int[16];
            for (int b = 0; b < batch; b++)
            {
                ReadOnlySpan<sbyte> xb = x.Slice(b * count * c, count * c);
                Span<sbyte> yb = y.Slice(b * c, c);
                for (int c0 = 0; c0 < c; c0 += 16)
                {
                    int lanes = c - c0 < 16 ? c - c0 : 16;
                    if (lanes == 16)
                    {
                        Vector128<int> s0 = default, s1 = default, s2 = default, s3 = default;
                        for (int t0 = 0; t0 < count; t0 += 256)
                        {
                            Vector128<short> h0 = default, h1 = default;
                            int end = count - t0 < 256 ? count : t0 + 256;
                            for (int t = t0; t < end; t++)
                            {
                                (Vector128<short> l, Vector128<short> h) = Vector128.Widen(Vector128.Create(xb.Slice((t * c) + c0, 16)));
                                h0 += l;
                                h1 += h;
                            }

                            (Vector128<int> a, Vector128<int> d) = Vector128.Widen(h0);
                            s0 += a;
                            s1 += d;
                            (a, d) = Vector128.Widen(h1);
                            s2 += a;
                            s3 += d;
                        }

                        s0.CopyTo(sums);
                        s1.CopyTo(sums.Slice(4));
                        s2.CopyTo(sums.Slice(8));
                        s3.CopyTo(sums.Slice(12));
                    }
                    else
                    {
                        for (int j = 0; j < lanes; j++)
                        {
                            int sum = 0;
                            for (int t = 0; t < count; t++)
                            {
                                sum += xb[(t * c) + c0 + j];
                            }

                            sums[j] = sum;
                        }
                    }

                    for (int j = 0; j < lanes; j++)
                    {
                        yb[c0 + j] = (sbyte)QuantGenKernels.Clamp(zo + QuantGenKernels.RoundShift((sums[j] - (count * zx)) * m, shift), lo, hi);
                    }
                }
            }
        }

    }

    /// <summary>Probe-only copy of QuantGenDepthwiseKernels.QuadRegs16 (zmm store path) before the stride-2 row pairs (commit 35d7fa2); `ymm-probe dw16`.</summary>
    internal static class OldDw16
    {
        [MethodImpl(MethodImplOptions.AggressiveOptimization)]
        internal static void OldQuadRegs16(ref byte src, int rowStride, int c, int sh, int sw, int oh, int ow, ref sbyte wq, ref int bias, bool high,
            ref int mulHi, ref int addHi, ref int shiftHi, ref long mul, ref long round, ref long shift, long zo, long lo, long hi, ref sbyte dst)
        {
            Vector256<int> lv = Vector256.Create((int)lo), hv = Vector256.Create((int)hi);
            int wRow = 2 * c * 4, wB = c * 4, ps = sw * c;
            // With the multiply-high form on AVX-512BW (zh) two accumulators of 8 lanes are requantized as one zmm (High16) and
            // narrowed by saturating packs, the clamp applied to the bytes; its per-channel constants stay in registers.
            bool zh = high && Avx512BW.IsSupported;
            Vector512<int> hd = zh ? HighDwords : default;
            Vector256<sbyte> lo32b = Vector256.Create((sbyte)lo), hi32b = Vector256.Create((sbyte)hi);
            // Two 32-byte loads cover the four pixels of 16 channels; two vpermt2b make their 16 quads. Pixels go in pairs for
            // both strides (stride 2: each with its own quads), the pair's 32 outputs one 32-byte store on the zmm path.
            Vector256<byte> ix0 = Vbmi16Index0, ix1 = Vbmi16Index1;
            Vector256<int> bv0 = Vector256.LoadUnsafe(ref bias), bv1 = Vector256.LoadUnsafe(ref bias, 8);
            Vector512<int> mE = default, mO = default, ad = default, sv = default, perm = Perm16Pair;
            if (zh)
            {
                mE = Vector512.LoadUnsafe(ref mulHi);
                mO = Vector512.LoadUnsafe(ref mulHi, 1);
                ad = Vector512.LoadUnsafe(ref addHi);
                sv = Vector512.LoadUnsafe(ref shiftHi);
            }

            for (int oy = 0; oy < oh; oy++)
            {
                ref byte r0 = ref Unsafe.Add(ref src, oy * sh * rowStride);
                ref sbyte d = ref Unsafe.Add(ref dst, oy * ow * 16);
                int ox = 0;
                for (; ox + 1 < ow; ox += 2)
                {
                    Vector256<int> a0 = bv0, a1 = bv1, b0 = bv0, b1 = bv1;
                    for (int i = 0; i < 3; i++)
                    {
                        ref byte p = ref Unsafe.Add(ref r0, (i * rowStride) + (ox * ps));
                        Vector256<byte> lo32 = Vector256.LoadUnsafe(ref p), hi32 = Vector256.LoadUnsafe(ref p, 32);
                        Vector256<byte> q0 = Avx512Vbmi.VL.PermuteVar32x8x2(lo32, ix0, hi32), q1 = Avx512Vbmi.VL.PermuteVar32x8x2(lo32, ix1, hi32);
                        ref sbyte wi = ref Unsafe.Add(ref wq, i * wRow);
                        a0 = AvxVnni.MultiplyWideningAndAdd(a0, q0, Vector256.LoadUnsafe(ref wi));
                        a1 = AvxVnni.MultiplyWideningAndAdd(a1, q1, Vector256.LoadUnsafe(ref wi, 32));
                        if (sw == 1)
                        {
                            b0 = AvxVnni.MultiplyWideningAndAdd(b0, q0, Vector256.LoadUnsafe(ref wi, (nuint)wB));
                            b1 = AvxVnni.MultiplyWideningAndAdd(b1, q1, Vector256.LoadUnsafe(ref wi, (nuint)(wB + 32)));
                        }
                        else
                        {
                            ref byte p1 = ref Unsafe.Add(ref p, ps);
                            Vector256<byte> lo1 = Vector256.LoadUnsafe(ref p1), hi1 = Vector256.LoadUnsafe(ref p1, 32);
                            b0 = AvxVnni.MultiplyWideningAndAdd(b0, Avx512Vbmi.VL.PermuteVar32x8x2(lo1, ix0, hi1), Vector256.LoadUnsafe(ref wi));
                            b1 = AvxVnni.MultiplyWideningAndAdd(b1, Avx512Vbmi.VL.PermuteVar32x8x2(lo1, ix1, hi1), Vector256.LoadUnsafe(ref wi, 32));
                        }
                    }

                    if (zh)
                    {
                        Pack32(High16(Join(a0, a1), mE, mO, ad, sv, hd), High16(Join(b0, b1), mE, mO, ad, sv, hd), perm, lo32b, hi32b, ref Unsafe.Add(ref d, ox * 16));
                    }
                }

                for (; ox < ow; ox++)
                {
                    Vector256<int> a0 = bv0, a1 = bv1;
                    for (int i = 0; i < 3; i++)
                    {
                        ref byte p = ref Unsafe.Add(ref r0, (i * rowStride) + (ox * ps));
                        Vector256<byte> lo32 = Vector256.LoadUnsafe(ref p), hi32 = Vector256.LoadUnsafe(ref p, 32);
                        ref sbyte wi = ref Unsafe.Add(ref wq, i * wRow);
                        a0 = AvxVnni.MultiplyWideningAndAdd(a0, Avx512Vbmi.VL.PermuteVar32x8x2(lo32, ix0, hi32), Vector256.LoadUnsafe(ref wi));
                        a1 = AvxVnni.MultiplyWideningAndAdd(a1, Avx512Vbmi.VL.PermuteVar32x8x2(lo32, ix1, hi32), Vector256.LoadUnsafe(ref wi, 32));
                    }

                    if (zh)
                    {
                        Pack16(High16(Join(a0, a1), mE, mO, ad, sv, hd), lo32b.GetLower(), hi32b.GetLower(), ref Unsafe.Add(ref d, ox * 16));
                    }
                }
            }
        }

        private static Vector256<byte> Vbmi16Index0 => Vector256.Create(
            (byte)0, 16, 32, 48, 1, 17, 33, 49, 2, 18, 34, 50, 3, 19, 35, 51, 4, 20, 36, 52, 5, 21, 37, 53, 6, 22, 38, 54, 7, 23, 39, 55);

        private static Vector256<byte> Vbmi16Index1 => Vector256.Create(
            (byte)8, 24, 40, 56, 9, 25, 41, 57, 10, 26, 42, 58, 11, 27, 43, 59, 12, 28, 44, 60, 13, 29, 45, 61, 14, 30, 46, 62, 15, 31, 47, 63);

        private static Vector512<int> HighDwords => Vector512.Create(1, 17, 3, 19, 5, 21, 7, 23, 9, 25, 11, 27, 13, 29, 15, 31);

        private static Vector512<int> Perm16Pair => Vector512.Create(0, 4, 8, 12, 1, 5, 9, 13, 0, 0, 0, 0, 0, 0, 0, 0);

        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        private static Vector512<int> High16(Vector512<int> acc, Vector512<int> mE, Vector512<int> mO, Vector512<int> add, Vector512<int> sh, Vector512<int> hd)
        {
            Vector512<long> pe = Avx512F.Multiply(acc, mE);
            Vector512<long> po = Avx512F.Multiply(Avx512F.ShiftRightLogical(acc.AsInt64(), 32).AsInt32(), mO);
            Vector512<int> h = Avx512F.PermuteVar16x32x2(pe.AsInt32(), hd, po.AsInt32());
            return Avx512F.ShiftRightArithmeticVariable(h + add, sh.AsUInt32());
        }

        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        private static void Pack32(Vector512<int> r0, Vector512<int> r1, Vector512<int> perm, Vector256<sbyte> lo, Vector256<sbyte> hi, ref sbyte dst)
        {
            Vector512<short> w = Avx512BW.PackSignedSaturate(r0, r1);
            Vector512<sbyte> b = Avx512BW.PackSignedSaturate(w, w);
            Vector256<sbyte> v = Avx512F.PermuteVar16x32(b.AsInt32(), perm).GetLower().AsSByte();
            Vector256.Min(Vector256.Max(v, lo), hi).StoreUnsafe(ref dst);
        }

        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        private static void Pack16(Vector512<int> r, Vector128<sbyte> lo, Vector128<sbyte> hi, ref sbyte dst) =>
            Vector128.Min(Vector128.Max(Avx512F.ConvertToVector128SByteWithSaturation(r), lo), hi).StoreUnsafe(ref dst);

        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        private static Vector512<int> Join(Vector256<int> lo, Vector256<int> hi) =>
            Avx512F.IsSupported ? Avx512F.InsertVector256(lo.ToVector512Unsafe(), hi, 1) : Vector512.Create(lo, hi);
    }
}
