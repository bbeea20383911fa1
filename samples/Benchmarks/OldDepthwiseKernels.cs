// QuantGen depthwise kernels on the int8 dot-product units, shared by every [QuantizedModel] class of this compilation.
#nullable enable
using System;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;

namespace QuantGen.Benchmarks
{
    using QuantGen.Generated;

    /// <summary>
    /// Depthwise int8 convolutions on vpdpbusd (semantics: the reference interpreter of QuantGen). The padded image of
    /// u = x + 128 is rearranged once per layer into tap quads: for every image row and output lane l = ox * c + ch the four
    /// bytes u[row][ox * sw + j][ch], j = 0..3 (zero for j &gt;= kw), so that one vpdpbusd adds a whole kernel row of one
    /// channel (3 taps + a zero) for 8 lanes. Weights are packed the same way at build time ([kh][lanes][4] int8, zero for
    /// j &gt;= kw and past the lanes) and the bias holds b - (zx + 128) * sum(w), so that sum u * w + bias = b + sum (x - zx) w.
    /// </summary>
    /// <summary>Probe-only copy of QuantGenDepthwiseKernels at commit 5201774 (before QuadRegs32Cols); `dwcols-probe`.</summary>
    internal static class OldDepthwiseKernels
    {
        /// <summary>
        /// Tap quads of rows image rows: t[(y * lp + l) * 4 + j] = img[y][ox * sw + j][ch] (l = ox * c + ch &lt; ow * c, j &lt; kw)
        /// and 0 for kw &lt;= j &lt; 4; lanes from ow * c up to the next multiple of 16 hold bytes that meet zero weights.
        /// img: channels-last [rows][pw][c] with 16 readable bytes past its last pixel. lp: the row stride in lanes, at
        /// least ow * c rounded up to 16, plus 16 (the 16-lane blocks of a pixel may run past the row's last lane).
        /// </summary>
        [MethodImpl(MethodImplOptions.AggressiveOptimization)]
        public static void TapQuads(ReadOnlySpan<sbyte> img, int pw, int c, int kw, int sw, int rows, int ow, Span<sbyte> t, int lp)
        {
            int lanes = ow * c, rowStride = pw * c;
            if (kw < 1 || kw > 4 || lp < ((lanes + 15) / 16 * 16) + 16 || t.Length < rows * lp * 4 || img.Length < (rows * rowStride) + 16
                || ((ow - 1) * sw) + kw > pw)
            {
                throw new ArgumentException("the tap-quad buffers are too small for this layer");
            }

            ref sbyte src = ref MemoryMarshal.GetReference(img);
            ref sbyte dst = ref MemoryMarshal.GetReference(t);
            for (int y = 0; y < rows; y++)
            {
                ref sbyte s = ref Unsafe.Add(ref src, y * rowStride);
                ref sbyte d = ref Unsafe.Add(ref dst, y * lp * 4);
                if (Avx512Vbmi.IsSupported)
                {
                    // AVX-512 VBMI: the four 16-byte tap runs in one zmm, one vpermb into 16 quads.
                    Vector512<byte> index = QuadIndex;
                    if (sw == 1)
                    {
                        for (int l0 = 0; l0 < lanes; l0 += 16)
                        {
                            Quad16Vbmi(ref Unsafe.Add(ref s, l0), c, kw, index, ref Unsafe.Add(ref d, l0 * 4));
                        }
                    }
                    else
                    {
                        for (int ox = 0; ox < ow; ox++)
                        {
                            for (int c0 = 0; c0 < c; c0 += 16)
                            {
                                Quad16Vbmi(ref Unsafe.Add(ref s, (ox * sw * c) + c0), c, kw, index, ref Unsafe.Add(ref d, ((ox * c) + c0) * 4));
                            }
                        }
                    }

                    continue;
                }

                if (Sse2.IsSupported)
                {
                    if (sw == 1)
                    {
                        // Stride 1: lane l of tap j reads s[l + j * c], a contiguous run for every j.
                        for (int l0 = 0; l0 < lanes; l0 += 16)
                        {
                            Quad16(ref Unsafe.Add(ref s, l0), c, kw, ref Unsafe.Add(ref d, l0 * 4));
                        }
                    }
                    else
                    {
                        // Per pixel, 16 channels at a time; a block running past the pixel writes lanes the next pixel rewrites.
                        for (int ox = 0; ox < ow; ox++)
                        {
                            for (int c0 = 0; c0 < c; c0 += 16)
                            {
                                Quad16(ref Unsafe.Add(ref s, (ox * sw * c) + c0), c, kw, ref Unsafe.Add(ref d, ((ox * c) + c0) * 4));
                            }
                        }
                    }

                    continue;
                }

                for (int l = 0; l < lanes; l++)
                {
                    int ox = l / c, ch = l % c;
                    for (int j = 0; j < 4; j++)
                    {
                        Unsafe.Add(ref d, (l * 4) + j) = j < kw ? Unsafe.Add(ref s, (((ox * sw) + j) * c) + ch) : (sbyte)0;
                    }
                }
            }
        }

        /// <summary>
        /// The padded image of u = x + 128 for <c>DepthwiseQuadRegs</c>: QuantGenConvKernels.PadImageXor with mask 0x80,
        /// the same bytes; a channels-last input's rows are copied 32 bytes at a time (the general copy takes 16), padding
        /// pixels hold zx ^ 0x80. ph x pw: the padded window, pt / pl: the top / left padding.
        /// </summary>
        [MethodImpl(MethodImplOptions.AggressiveOptimization)]
        public static void PadImageU(ReadOnlySpan<sbyte> x, bool channelsLast, int c, int h, int w, int pt, int pl, int ph, int pw, sbyte zx, Span<sbyte> img)
        {
            int first = pl < pw ? pl : pw, last = pl + w < pw ? pl + w : pw;
            if (!channelsLast || !Vector256.IsHardwareAccelerated || (last - first) * c < 32 || img.Length < ph * pw * c || x.Length < c * h * w)
            {
                QuantGenConvKernels.PadImageXor(x, channelsLast, c, h, w, pt, pl, ph, pw, zx, img, 0x80);
                return;
            }

            sbyte zu = (sbyte)(zx ^ unchecked((sbyte)0x80));
            Vector256<sbyte> m = Vector256.Create(unchecked((sbyte)0x80));
            int run = (last - first) * c, rowBytes = pw * c;
            ref sbyte x0 = ref MemoryMarshal.GetReference(x);
            ref sbyte img0 = ref MemoryMarshal.GetReference(img);
            for (int r = 0; r < ph; r++)
            {
                // The border bytes by inline overlapping stores (Span.Fill's calls cost more than the row's copy on small maps).
                ref sbyte row = ref Unsafe.Add(ref img0, r * rowBytes);
                int ih = r - pt;
                if ((uint)ih >= (uint)h)
                {
                    QuantGenConvKernels.FillRun(ref row, rowBytes, zu);
                    continue;
                }

                QuantGenConvKernels.FillRun(ref row, first * c, zu);
                QuantGenConvKernels.FillRun(ref Unsafe.Add(ref row, last * c), rowBytes - (last * c), zu);
                ref sbyte d = ref Unsafe.Add(ref row, first * c);
                ref sbyte s = ref Unsafe.Add(ref x0, ((ih * w) + first - pl) * c);
                int i = 0;
                for (; i + 32 < run; i += 32)
                {
                    (Vector256.LoadUnsafe(ref s, (nuint)i) ^ m).StoreUnsafe(ref d, (nuint)i);
                }

                (Vector256.LoadUnsafe(ref s, (nuint)(run - 32)) ^ m).StoreUnsafe(ref d, (nuint)(run - 32));
            }
        }

        /// <summary>
        /// True where <c>DepthwiseQuadRegs</c> runs its vector path for c channels: AVX-VNNI on .NET 10 (UseVnni) with
        /// AVX2, and c a multiple of 32 (byte/word unpacks within 128-bit lanes), or c == 16 or 8 with AVX-512 VBMI (one
        /// two-source vpermt2b per 8 channels, one vpermb for 8); the int64 requantization (high == false) also needs AVX-512F. Elsewhere the
        /// generated code takes the int32-lane DepthwiseNhwc (the kernel's own scalar loop is for tests).
        /// </summary>
        public static bool QuadRegsVector(int c, bool high) =>
            QuantGenKernels.UseVnni && Avx2.IsSupported && (high || Avx512F.VL.IsSupported)
            && ((c % 32 == 0 && c > 0) || ((c == 16 || c == 8) && Avx512Vbmi.VL.IsSupported));

        /// <summary>
        /// The lane order of one channel block of <c>DepthwiseQuadRegs</c>: lane l of the block (accumulator l / 8,
        /// element l % 8) holds channel QuadRegsChannel(c, l) of the block (c % 32 == 0: blocks of 32 channels, the order
        /// byte and word unpacks within 128-bit lanes produce, 0-3, 16-19, 4-7, 20-23, 8-11, 24-27, 12-15, 28-31; c == 16 and
        /// otherwise: the channels in order). Weights and per-channel constants are stored in this order.
        /// </summary>
        public static int QuadRegsChannel(int c, int l)
        {
            if (c % 32 != 0)
            {
                return l;
            }

            int block = l / 32 * 32, k = (l % 32) / 8, m = l % 8;
            return block + (m < 4 ? 0 : 16) + (4 * k) + (m & 3);
        }

        /// <summary>
        /// A 3x3 depthwise layer with the tap quads built in registers (no quad buffer): img is the zero-point padded image
        /// of u = x + 128, channels-last [rows][pw][c] (<c>PadImageU</c>, so that no quad needs a flip) with
        /// at least c + 32 readable bytes past its last pixel. Per output pixel, kernel row i and block of channels the four bytes u[oy * sh + i][ox * sw + j][ch],
        /// j = 0..3, are interleaved into one dword per channel (c % 32 == 0: four 32-byte loads, two byte and four word
        /// unpacks give 32 channels' quads; c == 16: two 32-byte loads cover the four pixels, two vpermt2b), and one vpdpbusd
        /// per 8 channels adds the row against weights (w0, w1, w2, 0). For stride 1 the same quads, against (0, w0, w1, w2),
        /// give the next output pixel too, so pixels go in pairs; with 32k channels, stride 1 and the zmm multiply-high store output
        /// rows go in pairs as well (<c>QuadRegs32Rows</c>: 4 image rows' quads for 2 x 2 pixels). The 4th byte of a quad meets a zero weight whatever it holds
        /// (it may lie one pixel past the row). wq: int8 [3][2][c][4], [i][0] = (w0, w1, w2, 0) and [i][1] = (0, w0, w1, w2),
        /// lanes in <c>QuadRegsChannel</c> order; bias (b - (zx + 128) * sum(w)) and the requantization constants in the
        /// same order: high: mulHi, addHi, shiftHi (c + 1 entries) as in <c>DepthwiseVnniHigh</c>; else mul, round,
        /// shift (int64, c entries) and zo. y: channels-last [oh][ow][c]. Exact: u8 x s8 products summed in int32 lanes that
        /// wrap like the reference's sum modulo 2^32, and the range analysis proved the accumulator fits int32. Without the
        /// vector path (<c>QuadRegsVector</c>) one lane at a time, the same integers.
        /// </summary>
        [MethodImpl(MethodImplOptions.AggressiveOptimization)]
        public static void DepthwiseQuadRegs(ReadOnlySpan<sbyte> img, int pw, int c, int sh, int sw, int oh, int ow, ref sbyte wq, ref int bias, bool high,
            ref int mulHi, ref int addHi, ref int shiftHi, ref long mul, ref long round, ref long shift, long zo, long lo, long hi, Span<sbyte> y)
        {
            int rows = ((oh - 1) * sh) + 3, rowStride = pw * c;
            if (c < 1 || sh < 1 || sw < 1 || ((ow - 1) * sw) + 3 > pw || img.Length < (rows * rowStride) + c + 32 || y.Length < oh * ow * c)
            {
                throw new ArgumentException("the depthwise buffers are too small for this layer");
            }

            ref byte src = ref Unsafe.As<sbyte, byte>(ref MemoryMarshal.GetReference(img));
            ref sbyte dst = ref MemoryMarshal.GetReference(y);
            if (!QuadRegsVector(c, high))
            {
                QuadRegsScalar(ref src, rowStride, c, sh, sw, oh, ow, ref wq, ref bias, high, ref mulHi, ref addHi, ref shiftHi, ref mul, ref round, ref shift, zo, lo, hi, ref dst);
                return;
            }

            // One method per channel form, so that each keeps the JIT's inlining budget for its store helpers. The accumulators
            // start from the bias; stride 1 runs the row's pixels in pairs (one set of quads for both), the last pixel of an odd row alone.
            if (c == 8 && sh == 1 && sw == 1 && high && Avx512BW.IsSupported && oh > 1 && ow > 1)
            {
                // Stride 1, multiply-high on AVX-512BW: 2 x 2 output blocks on the even part (4 vpermb per 12 vpdpbusd where pixel
                // pairs take 6, one 32-byte pack for the block), the odd last column and row by pixel pairs.
                int oh2 = oh & ~1, ow2 = ow & ~1, yStride = ow * 8;
                QuadRegs8Rows(ref src, rowStride, oh2, ow2, yStride, ref wq, ref bias, ref mulHi, ref addHi, ref shiftHi, lo, hi, ref dst);
                if (ow2 < ow)
                {
                    QuadRegs8(ref Unsafe.Add(ref src, ow2 * 8), rowStride, c, sh, sw, oh2, 1, yStride, ref wq, ref bias, high, ref mulHi, ref addHi, ref shiftHi, ref mul, ref round, ref shift, zo, lo, hi, ref Unsafe.Add(ref dst, ow2 * 8));
                }

                if (oh2 < oh)
                {
                    QuadRegs8(ref Unsafe.Add(ref src, oh2 * rowStride), rowStride, c, sh, sw, 1, ow, yStride, ref wq, ref bias, high, ref mulHi, ref addHi, ref shiftHi, ref mul, ref round, ref shift, zo, lo, hi, ref Unsafe.Add(ref dst, oh2 * yStride));
                }
            }
            else if (c == 8)
            {
                QuadRegs8(ref src, rowStride, c, sh, sw, oh, ow, ow * 8, ref wq, ref bias, high, ref mulHi, ref addHi, ref shiftHi, ref mul, ref round, ref shift, zo, lo, hi, ref dst);
            }
            else if (c == 16)
            {
                QuadRegs16(ref src, rowStride, c, sh, sw, oh, ow, ref wq, ref bias, high, ref mulHi, ref addHi, ref shiftHi, ref mul, ref round, ref shift, zo, lo, hi, ref dst);
            }
            else if (sh == 1 && sw == 1 && high && Avx512BW.IsSupported && oh >= 4 && ow > 1)
            {
                // Stride 1, multiply-high on AVX-512BW: 2 x 2 output blocks on the even part, the odd last column and row alone
                // (dw-regs: 1.15-1.38x on 25x5, 24x24, 12x12 and 6x6 maps; a 3x3 map, where the three calls cover 4 + 2 + 3
                // pixels, stays on pixel pairs: 0.96x).
                int oh2 = oh & ~1, ow2 = ow & ~1, yStride = ow * c;
                QuadRegs32Rows(ref src, rowStride, c, oh2, ow2, yStride, ref wq, ref bias, ref mulHi, ref addHi, ref shiftHi, lo, hi, ref dst);
                if (ow2 < ow)
                {
                    QuadRegs32(ref Unsafe.Add(ref src, ow2 * c), rowStride, c, sh, sw, oh2, 1, yStride, ref wq, ref bias, high, ref mulHi, ref addHi, ref shiftHi, ref mul, ref round, ref shift, zo, lo, hi, ref Unsafe.Add(ref dst, ow2 * c));
                }

                if (oh2 < oh)
                {
                    QuadRegs32(ref Unsafe.Add(ref src, oh2 * rowStride), rowStride, c, sh, sw, 1, ow, yStride, ref wq, ref bias, high, ref mulHi, ref addHi, ref shiftHi, ref mul, ref round, ref shift, zo, lo, hi, ref Unsafe.Add(ref dst, oh2 * yStride));
                }
            }
            else
            {
                QuadRegs32(ref src, rowStride, c, sh, sw, oh, ow, ow * c, ref wq, ref bias, high, ref mulHi, ref addHi, ref shiftHi, ref mul, ref round, ref shift, zo, lo, hi, ref dst);
            }
        }

        /// <summary>
        /// <c>DepthwiseQuadRegs</c> with 8 channels, stride 1 and the zmm multiply-high store, on the even part of the output
        /// (oh and ow even; the caller sends an odd last column and row to <c>QuadRegs8</c>): blocks of 2 output rows x 2
        /// pixels, whose 4 image rows' quads (one 32-byte load and one vpermb each) feed both output rows (image row r: kernel
        /// row r of the upper row, r - 1 of the lower one) and both pixels (weights (w0, w1, w2, 0) and (0, w0, w1, w2)). The
        /// block's two 16-lane requantizations are narrowed by one <c>Pack32</c>-style pack (<c>Perm16Pair</c>),
        /// the upper row's 16 bytes and the lower row's stored apart. yStride: the output row stride in bytes.
        /// </summary>
        [MethodImpl(MethodImplOptions.AggressiveOptimization)]
        private static void QuadRegs8Rows(ref byte src, int rowStride, int oh, int ow, int yStride, ref sbyte wq, ref int bias,
            ref int mulHi, ref int addHi, ref int shiftHi, long lo, long hi, ref sbyte dst)
        {
            Vector256<byte> ix = Vbmi8Index;
            Vector256<int> bv = Vector256.LoadUnsafe(ref bias);
            Vector512<int> hd = HighDwords, perm = Perm16Pair;
            Vector512<int> mE = Vector512.Create(Vector256.LoadUnsafe(ref mulHi), Vector256.LoadUnsafe(ref mulHi));
            Vector512<int> mO = Vector512.Create(Vector256.LoadUnsafe(ref mulHi, 1), Vector256.LoadUnsafe(ref mulHi, 1));
            Vector512<int> ad = Vector512.Create(Vector256.LoadUnsafe(ref addHi), Vector256.LoadUnsafe(ref addHi));
            Vector512<int> sv = Vector512.Create(Vector256.LoadUnsafe(ref shiftHi), Vector256.LoadUnsafe(ref shiftHi));
            Vector256<sbyte> lo32b = Vector256.Create((sbyte)lo), hi32b = Vector256.Create((sbyte)hi);
            // wq: [3][2][8][4]: kernel row i's (w0, w1, w2, 0) at 64 i, its (0, w0, w1, w2) at 64 i + 32.
            Vector256<sbyte> w0A = Vector256.LoadUnsafe(ref wq), w0B = Vector256.LoadUnsafe(ref wq, 32);
            Vector256<sbyte> w1A = Vector256.LoadUnsafe(ref wq, 64), w1B = Vector256.LoadUnsafe(ref wq, 96);
            Vector256<sbyte> w2A = Vector256.LoadUnsafe(ref wq, 128), w2B = Vector256.LoadUnsafe(ref wq, 160);
            for (int oy = 0; oy < oh; oy += 2)
            {
                ref byte r0 = ref Unsafe.Add(ref src, oy * rowStride);
                ref sbyte d = ref Unsafe.Add(ref dst, oy * yStride);
                for (int ox = 0; ox < ow; ox += 2)
                {
                    // a, b: pixels ox and ox + 1 of the upper output row; e, f: of the lower one.
                    ref byte p = ref Unsafe.Add(ref r0, ox * 8);
                    Vector256<byte> q = Avx512Vbmi.VL.PermuteVar32x8(Vector256.LoadUnsafe(ref p), ix);
                    Vector256<int> a = AvxVnni.MultiplyWideningAndAdd(bv, q, w0A), b = AvxVnni.MultiplyWideningAndAdd(bv, q, w0B);
                    q = Avx512Vbmi.VL.PermuteVar32x8(Vector256.LoadUnsafe(ref p, (nuint)rowStride), ix);
                    a = AvxVnni.MultiplyWideningAndAdd(a, q, w1A);
                    b = AvxVnni.MultiplyWideningAndAdd(b, q, w1B);
                    Vector256<int> e = AvxVnni.MultiplyWideningAndAdd(bv, q, w0A), f = AvxVnni.MultiplyWideningAndAdd(bv, q, w0B);
                    q = Avx512Vbmi.VL.PermuteVar32x8(Vector256.LoadUnsafe(ref p, (nuint)(2 * rowStride)), ix);
                    a = AvxVnni.MultiplyWideningAndAdd(a, q, w2A);
                    b = AvxVnni.MultiplyWideningAndAdd(b, q, w2B);
                    e = AvxVnni.MultiplyWideningAndAdd(e, q, w1A);
                    f = AvxVnni.MultiplyWideningAndAdd(f, q, w1B);
                    q = Avx512Vbmi.VL.PermuteVar32x8(Vector256.LoadUnsafe(ref p, (nuint)(3 * rowStride)), ix);
                    e = AvxVnni.MultiplyWideningAndAdd(e, q, w2A);
                    f = AvxVnni.MultiplyWideningAndAdd(f, q, w2B);
                    Vector512<short> wv = Avx512BW.PackSignedSaturate(High16(Join(a, b), mE, mO, ad, sv, hd), High16(Join(e, f), mE, mO, ad, sv, hd));
                    Vector256<sbyte> v = Avx512F.PermuteVar16x32(Avx512BW.PackSignedSaturate(wv, wv).AsInt32(), perm).GetLower().AsSByte();
                    v = Vector256.Min(Vector256.Max(v, lo32b), hi32b);
                    v.GetLower().StoreUnsafe(ref Unsafe.Add(ref d, ox * 8));
                    v.GetUpper().StoreUnsafe(ref Unsafe.Add(ref d, (ox * 8) + yStride));
                }
            }
        }

        /// <summary><c>DepthwiseQuadRegs</c> with 8 channels (one vpermb per kernel row and 4 pixels); yStride: the output row stride in bytes.</summary>
        [MethodImpl(MethodImplOptions.AggressiveOptimization)]
        private static void QuadRegs8(ref byte src, int rowStride, int c, int sh, int sw, int oh, int ow, int yStride, ref sbyte wq, ref int bias, bool high,
            ref int mulHi, ref int addHi, ref int shiftHi, ref long mul, ref long round, ref long shift, long zo, long lo, long hi, ref sbyte dst)
        {
            Vector256<int> lv = Vector256.Create((int)lo), hv = Vector256.Create((int)hi);
            int wRow = 2 * c * 4, wB = c * 4, ps = sw * c;
            // With the multiply-high form on AVX-512BW (zh) two accumulators of 8 lanes are requantized as one zmm (High16) and
            // narrowed by saturating packs, the clamp applied to the bytes; its per-channel constants stay in registers.
            bool zh = high && Avx512BW.IsSupported;
            Vector512<int> hd = zh ? HighDwords : default;
            Vector256<sbyte> lo32b = Vector256.Create((sbyte)lo), hi32b = Vector256.Create((sbyte)hi);
            // The four pixels of 8 channels are one 32-byte load; one vpermb makes their 8 quads. Pixels go in pairs for both
            // strides (stride 2: each with its own quads), their 16 outputs one zmm requantization and one 16-byte store.
            Vector256<byte> ix = Vbmi8Index;
            Vector256<int> bv = Vector256.LoadUnsafe(ref bias);
            Vector512<int> mE = default, mO = default, ad = default, sv = default;
            if (zh)
            {
                mE = Vector512.Create(Vector256.LoadUnsafe(ref mulHi), Vector256.LoadUnsafe(ref mulHi));
                mO = Vector512.Create(Vector256.LoadUnsafe(ref mulHi, 1), Vector256.LoadUnsafe(ref mulHi, 1));
                ad = Vector512.Create(Vector256.LoadUnsafe(ref addHi), Vector256.LoadUnsafe(ref addHi));
                sv = Vector512.Create(Vector256.LoadUnsafe(ref shiftHi), Vector256.LoadUnsafe(ref shiftHi));
            }

            for (int oy = 0; oy < oh; oy++)
            {
                ref byte r0 = ref Unsafe.Add(ref src, oy * sh * rowStride);
                ref sbyte d = ref Unsafe.Add(ref dst, oy * yStride);
                int ox = 0;
                for (; ox + 1 < ow; ox += 2)
                {
                    Vector256<int> a0 = bv, b0 = bv;
                    for (int i = 0; i < 3; i++)
                    {
                        ref byte ri = ref Unsafe.Add(ref r0, i * rowStride);
                        Vector256<byte> q0 = Avx512Vbmi.VL.PermuteVar32x8(Vector256.LoadUnsafe(ref ri, (nuint)(ox * ps)), ix);
                        ref sbyte wi = ref Unsafe.Add(ref wq, i * wRow);
                        a0 = AvxVnni.MultiplyWideningAndAdd(a0, q0, Vector256.LoadUnsafe(ref wi));
                        if (sw == 1)
                        {
                            b0 = AvxVnni.MultiplyWideningAndAdd(b0, q0, Vector256.LoadUnsafe(ref wi, (nuint)wB));
                        }
                        else
                        {
                            Vector256<byte> q1 = Avx512Vbmi.VL.PermuteVar32x8(Vector256.LoadUnsafe(ref ri, (nuint)((ox + 1) * ps)), ix);
                            b0 = AvxVnni.MultiplyWideningAndAdd(b0, q1, Vector256.LoadUnsafe(ref wi));
                        }
                    }

                    if (zh)
                    {
                        Pack16(High16(Join(a0, b0), mE, mO, ad, sv, hd), lo32b.GetLower(), hi32b.GetLower(), ref Unsafe.Add(ref d, ox * 8));
                    }
                    else
                    {
                        Store8(a0, high, ref mulHi, ref addHi, ref shiftHi, ref mul, ref round, ref shift, zo, lv, hv, ref Unsafe.Add(ref d, ox * 8));
                        Store8(b0, high, ref mulHi, ref addHi, ref shiftHi, ref mul, ref round, ref shift, zo, lv, hv, ref Unsafe.Add(ref d, (ox + 1) * 8));
                    }
                }

                for (; ox < ow; ox++)
                {
                    Vector256<int> a0 = bv;
                    for (int i = 0; i < 3; i++)
                    {
                        Vector256<byte> q0 = Avx512Vbmi.VL.PermuteVar32x8(Vector256.LoadUnsafe(ref r0, (nuint)((i * rowStride) + (ox * ps))), ix);
                        a0 = AvxVnni.MultiplyWideningAndAdd(a0, q0, Vector256.LoadUnsafe(ref wq, (nuint)(i * wRow)));
                    }

                    Store8(a0, high, ref mulHi, ref addHi, ref shiftHi, ref mul, ref round, ref shift, zo, lv, hv, ref Unsafe.Add(ref d, ox * 8));
                }
            }
        }

        /// <summary><c>DepthwiseQuadRegs</c> with 16 channels (two vpermt2b per kernel row and 4 pixels).</summary>
        [MethodImpl(MethodImplOptions.AggressiveOptimization)]
        private static void QuadRegs16(ref byte src, int rowStride, int c, int sh, int sw, int oh, int ow, ref sbyte wq, ref int bias, bool high,
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

            int oy = 0;
            if (zh && sh == 2 && sw == 2)
            {
                // Stride 2: output rows in pairs share the quads of image row 2 oy + 2 (kernel row 2 of the upper row, kernel
                // row 0 of the lower one): 5 image rows' quads per 2 x 2 outputs instead of 6 (20 vpermt2b instead of 24).
                for (; oy + 1 < oh; oy += 2)
                {
                    ref byte r0 = ref Unsafe.Add(ref src, oy * 2 * rowStride);
                    ref sbyte d = ref Unsafe.Add(ref dst, oy * ow * 16);
                    ref sbyte dn = ref Unsafe.Add(ref d, ow * 16);
                    int ox = 0;
                    for (; ox + 1 < ow; ox += 2)
                    {
                        // a, b: pixels ox and ox + 1 of the upper row; e, f: of the lower one. Written out (no loop over the
                        // image rows): the JIT kept the loop and its tests, and reloaded the permute indices from the stack.
                        Vector256<int> a0 = bv0, a1 = bv1, b0 = bv0, b1 = bv1, e0 = bv0, e1 = bv1, f0 = bv0, f1 = bv1;
                        ref byte p = ref Unsafe.Add(ref r0, ox * 32);
                        ref sbyte w1 = ref Unsafe.Add(ref wq, wRow);
                        ref sbyte w2 = ref Unsafe.Add(ref wq, 2 * wRow);
                        Quads16Pair(ref p, ix0, ix1, out Vector256<byte> q0, out Vector256<byte> q1, out Vector256<byte> s0, out Vector256<byte> s1);
                        a0 = AvxVnni.MultiplyWideningAndAdd(a0, q0, Vector256.LoadUnsafe(ref wq));
                        a1 = AvxVnni.MultiplyWideningAndAdd(a1, q1, Vector256.LoadUnsafe(ref wq, 32));
                        b0 = AvxVnni.MultiplyWideningAndAdd(b0, s0, Vector256.LoadUnsafe(ref wq));
                        b1 = AvxVnni.MultiplyWideningAndAdd(b1, s1, Vector256.LoadUnsafe(ref wq, 32));
                        Quads16Pair(ref Unsafe.Add(ref p, rowStride), ix0, ix1, out q0, out q1, out s0, out s1);
                        a0 = AvxVnni.MultiplyWideningAndAdd(a0, q0, Vector256.LoadUnsafe(ref w1));
                        a1 = AvxVnni.MultiplyWideningAndAdd(a1, q1, Vector256.LoadUnsafe(ref w1, 32));
                        b0 = AvxVnni.MultiplyWideningAndAdd(b0, s0, Vector256.LoadUnsafe(ref w1));
                        b1 = AvxVnni.MultiplyWideningAndAdd(b1, s1, Vector256.LoadUnsafe(ref w1, 32));
                        Quads16Pair(ref Unsafe.Add(ref p, 2 * rowStride), ix0, ix1, out q0, out q1, out s0, out s1);
                        a0 = AvxVnni.MultiplyWideningAndAdd(a0, q0, Vector256.LoadUnsafe(ref w2));
                        a1 = AvxVnni.MultiplyWideningAndAdd(a1, q1, Vector256.LoadUnsafe(ref w2, 32));
                        b0 = AvxVnni.MultiplyWideningAndAdd(b0, s0, Vector256.LoadUnsafe(ref w2));
                        b1 = AvxVnni.MultiplyWideningAndAdd(b1, s1, Vector256.LoadUnsafe(ref w2, 32));
                        e0 = AvxVnni.MultiplyWideningAndAdd(e0, q0, Vector256.LoadUnsafe(ref wq));
                        e1 = AvxVnni.MultiplyWideningAndAdd(e1, q1, Vector256.LoadUnsafe(ref wq, 32));
                        f0 = AvxVnni.MultiplyWideningAndAdd(f0, s0, Vector256.LoadUnsafe(ref wq));
                        f1 = AvxVnni.MultiplyWideningAndAdd(f1, s1, Vector256.LoadUnsafe(ref wq, 32));
                        Quads16Pair(ref Unsafe.Add(ref p, 3 * rowStride), ix0, ix1, out q0, out q1, out s0, out s1);
                        e0 = AvxVnni.MultiplyWideningAndAdd(e0, q0, Vector256.LoadUnsafe(ref w1));
                        e1 = AvxVnni.MultiplyWideningAndAdd(e1, q1, Vector256.LoadUnsafe(ref w1, 32));
                        f0 = AvxVnni.MultiplyWideningAndAdd(f0, s0, Vector256.LoadUnsafe(ref w1));
                        f1 = AvxVnni.MultiplyWideningAndAdd(f1, s1, Vector256.LoadUnsafe(ref w1, 32));
                        Quads16Pair(ref Unsafe.Add(ref p, 4 * rowStride), ix0, ix1, out q0, out q1, out s0, out s1);
                        e0 = AvxVnni.MultiplyWideningAndAdd(e0, q0, Vector256.LoadUnsafe(ref w2));
                        e1 = AvxVnni.MultiplyWideningAndAdd(e1, q1, Vector256.LoadUnsafe(ref w2, 32));
                        f0 = AvxVnni.MultiplyWideningAndAdd(f0, s0, Vector256.LoadUnsafe(ref w2));
                        f1 = AvxVnni.MultiplyWideningAndAdd(f1, s1, Vector256.LoadUnsafe(ref w2, 32));
                        Pack32(High16(Join(a0, a1), mE, mO, ad, sv, hd), High16(Join(b0, b1), mE, mO, ad, sv, hd), perm, lo32b, hi32b, ref Unsafe.Add(ref d, ox * 16));
                        Pack32(High16(Join(e0, e1), mE, mO, ad, sv, hd), High16(Join(f0, f1), mE, mO, ad, sv, hd), perm, lo32b, hi32b, ref Unsafe.Add(ref dn, ox * 16));
                    }

                    for (; ox < ow; ox++)
                    {
                        Vector256<int> a0 = bv0, a1 = bv1, e0 = bv0, e1 = bv1;
                        ref byte p = ref Unsafe.Add(ref r0, ox * 32);
                        for (int r = 0; r < 5; r++)
                        {
                            ref byte pr = ref Unsafe.Add(ref p, r * rowStride);
                            Vector256<byte> l0 = Vector256.LoadUnsafe(ref pr), h0 = Vector256.LoadUnsafe(ref pr, 32);
                            Vector256<byte> q0 = Avx512Vbmi.VL.PermuteVar32x8x2(l0, ix0, h0), q1 = Avx512Vbmi.VL.PermuteVar32x8x2(l0, ix1, h0);
                            if (r < 3)
                            {
                                ref sbyte wi = ref Unsafe.Add(ref wq, r * wRow);
                                a0 = AvxVnni.MultiplyWideningAndAdd(a0, q0, Vector256.LoadUnsafe(ref wi));
                                a1 = AvxVnni.MultiplyWideningAndAdd(a1, q1, Vector256.LoadUnsafe(ref wi, 32));
                            }

                            if (r >= 2)
                            {
                                ref sbyte wi = ref Unsafe.Add(ref wq, (r - 2) * wRow);
                                e0 = AvxVnni.MultiplyWideningAndAdd(e0, q0, Vector256.LoadUnsafe(ref wi));
                                e1 = AvxVnni.MultiplyWideningAndAdd(e1, q1, Vector256.LoadUnsafe(ref wi, 32));
                            }
                        }

                        Pack16(High16(Join(a0, a1), mE, mO, ad, sv, hd), lo32b.GetLower(), hi32b.GetLower(), ref Unsafe.Add(ref d, ox * 16));
                        Pack16(High16(Join(e0, e1), mE, mO, ad, sv, hd), lo32b.GetLower(), hi32b.GetLower(), ref Unsafe.Add(ref dn, ox * 16));
                    }
                }
            }

            for (; oy < oh; oy++)
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
                    else
                    {
                        Store16Natural(a0, a1, high, ref mulHi, ref addHi, ref shiftHi, ref mul, ref round, ref shift, zo, lv, hv, ref Unsafe.Add(ref d, ox * 16));
                        Store16Natural(b0, b1, high, ref mulHi, ref addHi, ref shiftHi, ref mul, ref round, ref shift, zo, lv, hv, ref Unsafe.Add(ref d, (ox + 1) * 16));
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
                    else
                    {
                        Store16Natural(a0, a1, high, ref mulHi, ref addHi, ref shiftHi, ref mul, ref round, ref shift, zo, lv, hv, ref Unsafe.Add(ref d, ox * 16));
                    }
                }
            }
        }

        /// <summary><c>DepthwiseQuadRegs</c> with 32k channels (byte and word unpacks, blocks of 32 channels); yStride: the output row stride in bytes.</summary>
        [MethodImpl(MethodImplOptions.AggressiveOptimization)]
        private static void QuadRegs32(ref byte src, int rowStride, int c, int sh, int sw, int oh, int ow, int yStride, ref sbyte wq, ref int bias, bool high,
            ref int mulHi, ref int addHi, ref int shiftHi, ref long mul, ref long round, ref long shift, long zo, long lo, long hi, ref sbyte dst)
        {
            Vector256<int> lv = Vector256.Create((int)lo), hv = Vector256.Create((int)hi);
            int wRow = 2 * c * 4, wB = c * 4, ps = sw * c;
            // With the multiply-high form on AVX-512BW (zh) two accumulators of 8 lanes are requantized as one zmm (High16) and
            // narrowed by saturating packs, the clamp applied to the bytes; its per-channel constants stay in registers.
            bool zh = high && Avx512BW.IsSupported;
            Vector512<int> hd = zh ? HighDwords : default;
            Vector256<sbyte> lo32b = Vector256.Create((sbyte)lo), hi32b = Vector256.Create((sbyte)hi);
            for (int c0 = 0; c0 < c; c0 += 32)
            {
                // Blocks of 32 channels outside: the block's weights and constants stay in L1 while its pixels stream past.
                Vector256<int> bv0 = Vector256.LoadUnsafe(ref bias, (nuint)c0), bv1 = Vector256.LoadUnsafe(ref bias, (nuint)(c0 + 8));
                Vector256<int> bv2 = Vector256.LoadUnsafe(ref bias, (nuint)(c0 + 16)), bv3 = Vector256.LoadUnsafe(ref bias, (nuint)(c0 + 24));
                ref sbyte wc = ref Unsafe.Add(ref wq, c0 * 4);
                Vector512<int> mE0 = default, mO0 = default, ad0 = default, sv0 = default, mE1 = default, mO1 = default, ad1 = default, sv1 = default, perm = Perm32Unpacked;
                if (zh)
                {
                    mE0 = Vector512.LoadUnsafe(ref mulHi, (nuint)c0);
                    mO0 = Vector512.LoadUnsafe(ref mulHi, (nuint)(c0 + 1));
                    ad0 = Vector512.LoadUnsafe(ref addHi, (nuint)c0);
                    sv0 = Vector512.LoadUnsafe(ref shiftHi, (nuint)c0);
                    mE1 = Vector512.LoadUnsafe(ref mulHi, (nuint)(c0 + 16));
                    mO1 = Vector512.LoadUnsafe(ref mulHi, (nuint)(c0 + 17));
                    ad1 = Vector512.LoadUnsafe(ref addHi, (nuint)(c0 + 16));
                    sv1 = Vector512.LoadUnsafe(ref shiftHi, (nuint)(c0 + 16));
                }

                for (int oy = 0; oy < oh; oy++)
                {
                    ref byte r0 = ref Unsafe.Add(ref src, (oy * sh * rowStride) + c0);
                    ref sbyte d = ref Unsafe.Add(ref dst, (oy * yStride) + c0);
                    int ox = 0;
                    if (sw == 1)
                    {
                        for (; ox + 1 < ow; ox += 2)
                        {
                            Vector256<int> a0 = bv0, a1 = bv1, a2 = bv2, a3 = bv3;
                            Vector256<int> b0 = bv0, b1 = bv1, b2 = bv2, b3 = bv3;
                            for (int i = 0; i < 3; i++)
                            {
                                Quads32(ref Unsafe.Add(ref r0, (i * rowStride) + (ox * c)), c, out Vector256<byte> q0, out Vector256<byte> q1, out Vector256<byte> q2, out Vector256<byte> q3);
                                ref sbyte wi = ref Unsafe.Add(ref wc, i * wRow);
                                a0 = AvxVnni.MultiplyWideningAndAdd(a0, q0, Vector256.LoadUnsafe(ref wi));
                                a1 = AvxVnni.MultiplyWideningAndAdd(a1, q1, Vector256.LoadUnsafe(ref wi, 32));
                                a2 = AvxVnni.MultiplyWideningAndAdd(a2, q2, Vector256.LoadUnsafe(ref wi, 64));
                                a3 = AvxVnni.MultiplyWideningAndAdd(a3, q3, Vector256.LoadUnsafe(ref wi, 96));
                                ref sbyte wj = ref Unsafe.Add(ref wi, wB);
                                b0 = AvxVnni.MultiplyWideningAndAdd(b0, q0, Vector256.LoadUnsafe(ref wj));
                                b1 = AvxVnni.MultiplyWideningAndAdd(b1, q1, Vector256.LoadUnsafe(ref wj, 32));
                                b2 = AvxVnni.MultiplyWideningAndAdd(b2, q2, Vector256.LoadUnsafe(ref wj, 64));
                                b3 = AvxVnni.MultiplyWideningAndAdd(b3, q3, Vector256.LoadUnsafe(ref wj, 96));
                            }

                            if (zh)
                            {
                                Pack32(High16(Join(a0, a1), mE0, mO0, ad0, sv0, hd), High16(Join(a2, a3), mE1, mO1, ad1, sv1, hd), perm, lo32b, hi32b, ref Unsafe.Add(ref d, ox * c));
                                Pack32(High16(Join(b0, b1), mE0, mO0, ad0, sv0, hd), High16(Join(b2, b3), mE1, mO1, ad1, sv1, hd), perm, lo32b, hi32b, ref Unsafe.Add(ref d, (ox + 1) * c));
                            }
                            else
                            {
                                Store32Unpacked(a0, a1, a2, a3, c0, high, ref mulHi, ref addHi, ref shiftHi, ref mul, ref round, ref shift, zo, lv, hv, ref Unsafe.Add(ref d, ox * c));
                                Store32Unpacked(b0, b1, b2, b3, c0, high, ref mulHi, ref addHi, ref shiftHi, ref mul, ref round, ref shift, zo, lv, hv, ref Unsafe.Add(ref d, (ox + 1) * c));
                            }
                        }
                    }

                    for (; ox < ow; ox++)
                    {
                        Vector256<int> a0 = bv0, a1 = bv1, a2 = bv2, a3 = bv3;
                        for (int i = 0; i < 3; i++)
                        {
                            Quads32(ref Unsafe.Add(ref r0, (i * rowStride) + (ox * ps)), c, out Vector256<byte> q0, out Vector256<byte> q1, out Vector256<byte> q2, out Vector256<byte> q3);
                            ref sbyte wi = ref Unsafe.Add(ref wc, i * wRow);
                            a0 = AvxVnni.MultiplyWideningAndAdd(a0, q0, Vector256.LoadUnsafe(ref wi));
                            a1 = AvxVnni.MultiplyWideningAndAdd(a1, q1, Vector256.LoadUnsafe(ref wi, 32));
                            a2 = AvxVnni.MultiplyWideningAndAdd(a2, q2, Vector256.LoadUnsafe(ref wi, 64));
                            a3 = AvxVnni.MultiplyWideningAndAdd(a3, q3, Vector256.LoadUnsafe(ref wi, 96));
                        }

                        if (zh)
                        {
                            Pack32(High16(Join(a0, a1), mE0, mO0, ad0, sv0, hd), High16(Join(a2, a3), mE1, mO1, ad1, sv1, hd), perm, lo32b, hi32b, ref Unsafe.Add(ref d, ox * c));
                        }
                        else
                        {
                            Store32Unpacked(a0, a1, a2, a3, c0, high, ref mulHi, ref addHi, ref shiftHi, ref mul, ref round, ref shift, zo, lv, hv, ref Unsafe.Add(ref d, ox * c));
                        }
                    }
                }
            }
        }

        /// <summary>
        /// <c>DepthwiseQuadRegs</c> with 32k channels, stride 1 and the zmm multiply-high store, on the even part of the
        /// output (oh and ow even; the caller sends an odd last column and row to <c>QuadRegs32</c>): blocks of 2 output
        /// rows x 2 output pixels, whose 4 image rows' quads (built once each) feed both output rows (image row r: kernel row r
        /// of the upper row, r - 1 of the lower one) and both pixels (weights (w0, w1, w2, 0) and (0, w0, w1, w2)): 32 unpacks
        /// per 48 vpdpbusd instead of 48. yStride: the output row stride in bytes.
        /// </summary>
        [MethodImpl(MethodImplOptions.AggressiveOptimization)]
        private static void QuadRegs32Rows(ref byte src, int rowStride, int c, int oh, int ow, int yStride, ref sbyte wq, ref int bias,
            ref int mulHi, ref int addHi, ref int shiftHi, long lo, long hi, ref sbyte dst)
        {
            int wRow = 2 * c * 4, wB = c * 4;
            Vector512<int> hd = HighDwords, perm = Perm64UnpackedPair;
            Vector512<sbyte> lo64b = Vector512.Create((sbyte)lo), hi64b = Vector512.Create((sbyte)hi);
            for (int c0 = 0; c0 < c; c0 += 32)
            {
                Vector256<int> bv0 = Vector256.LoadUnsafe(ref bias, (nuint)c0), bv1 = Vector256.LoadUnsafe(ref bias, (nuint)(c0 + 8));
                Vector256<int> bv2 = Vector256.LoadUnsafe(ref bias, (nuint)(c0 + 16)), bv3 = Vector256.LoadUnsafe(ref bias, (nuint)(c0 + 24));
                ref sbyte w0 = ref Unsafe.Add(ref wq, c0 * 4);
                ref sbyte w1 = ref Unsafe.Add(ref w0, wRow);
                ref sbyte w2 = ref Unsafe.Add(ref w0, 2 * wRow);
                ref sbyte w0B = ref Unsafe.Add(ref w0, wB);
                ref sbyte w1B = ref Unsafe.Add(ref w1, wB);
                ref sbyte w2B = ref Unsafe.Add(ref w2, wB);
                Vector512<int> mE0 = Vector512.LoadUnsafe(ref mulHi, (nuint)c0), mO0 = Vector512.LoadUnsafe(ref mulHi, (nuint)(c0 + 1));
                Vector512<int> ad0 = Vector512.LoadUnsafe(ref addHi, (nuint)c0), sv0 = Vector512.LoadUnsafe(ref shiftHi, (nuint)c0);
                Vector512<int> mE1 = Vector512.LoadUnsafe(ref mulHi, (nuint)(c0 + 16)), mO1 = Vector512.LoadUnsafe(ref mulHi, (nuint)(c0 + 17));
                Vector512<int> ad1 = Vector512.LoadUnsafe(ref addHi, (nuint)(c0 + 16)), sv1 = Vector512.LoadUnsafe(ref shiftHi, (nuint)(c0 + 16));
                for (int oy = 0; oy < oh; oy += 2)
                {
                    ref byte r0 = ref Unsafe.Add(ref src, (oy * rowStride) + c0);
                    ref sbyte d = ref Unsafe.Add(ref dst, (oy * yStride) + c0);
                    ref sbyte dn = ref Unsafe.Add(ref d, yStride);
                    for (int ox = 0; ox < ow; ox += 2)
                    {
                        // a, b: pixels ox and ox + 1 of the upper output row; e, f: of the lower one.
                        Vector256<int> a0 = bv0, a1 = bv1, a2 = bv2, a3 = bv3, b0 = bv0, b1 = bv1, b2 = bv2, b3 = bv3;
                        Vector256<int> e0 = bv0, e1 = bv1, e2 = bv2, e3 = bv3, f0 = bv0, f1 = bv1, f2 = bv2, f3 = bv3;
                        ref byte p = ref Unsafe.Add(ref r0, ox * c);
                        // Image row 0: kernel row 0 of the upper output row.
                        Quads32(ref p, c, out Vector256<byte> q0, out Vector256<byte> q1, out Vector256<byte> q2, out Vector256<byte> q3);
                        a0 = AvxVnni.MultiplyWideningAndAdd(a0, q0, Vector256.LoadUnsafe(ref w0));
                        a1 = AvxVnni.MultiplyWideningAndAdd(a1, q1, Vector256.LoadUnsafe(ref w0, 32));
                        a2 = AvxVnni.MultiplyWideningAndAdd(a2, q2, Vector256.LoadUnsafe(ref w0, 64));
                        a3 = AvxVnni.MultiplyWideningAndAdd(a3, q3, Vector256.LoadUnsafe(ref w0, 96));
                        b0 = AvxVnni.MultiplyWideningAndAdd(b0, q0, Vector256.LoadUnsafe(ref w0B));
                        b1 = AvxVnni.MultiplyWideningAndAdd(b1, q1, Vector256.LoadUnsafe(ref w0B, 32));
                        b2 = AvxVnni.MultiplyWideningAndAdd(b2, q2, Vector256.LoadUnsafe(ref w0B, 64));
                        b3 = AvxVnni.MultiplyWideningAndAdd(b3, q3, Vector256.LoadUnsafe(ref w0B, 96));
                        // Image row 1: kernel row 1 of the upper output row, kernel row 0 of the lower one.
                        Quads32(ref Unsafe.Add(ref p, rowStride), c, out q0, out q1, out q2, out q3);
                        a0 = AvxVnni.MultiplyWideningAndAdd(a0, q0, Vector256.LoadUnsafe(ref w1));
                        a1 = AvxVnni.MultiplyWideningAndAdd(a1, q1, Vector256.LoadUnsafe(ref w1, 32));
                        a2 = AvxVnni.MultiplyWideningAndAdd(a2, q2, Vector256.LoadUnsafe(ref w1, 64));
                        a3 = AvxVnni.MultiplyWideningAndAdd(a3, q3, Vector256.LoadUnsafe(ref w1, 96));
                        b0 = AvxVnni.MultiplyWideningAndAdd(b0, q0, Vector256.LoadUnsafe(ref w1B));
                        b1 = AvxVnni.MultiplyWideningAndAdd(b1, q1, Vector256.LoadUnsafe(ref w1B, 32));
                        b2 = AvxVnni.MultiplyWideningAndAdd(b2, q2, Vector256.LoadUnsafe(ref w1B, 64));
                        b3 = AvxVnni.MultiplyWideningAndAdd(b3, q3, Vector256.LoadUnsafe(ref w1B, 96));
                        e0 = AvxVnni.MultiplyWideningAndAdd(e0, q0, Vector256.LoadUnsafe(ref w0));
                        e1 = AvxVnni.MultiplyWideningAndAdd(e1, q1, Vector256.LoadUnsafe(ref w0, 32));
                        e2 = AvxVnni.MultiplyWideningAndAdd(e2, q2, Vector256.LoadUnsafe(ref w0, 64));
                        e3 = AvxVnni.MultiplyWideningAndAdd(e3, q3, Vector256.LoadUnsafe(ref w0, 96));
                        f0 = AvxVnni.MultiplyWideningAndAdd(f0, q0, Vector256.LoadUnsafe(ref w0B));
                        f1 = AvxVnni.MultiplyWideningAndAdd(f1, q1, Vector256.LoadUnsafe(ref w0B, 32));
                        f2 = AvxVnni.MultiplyWideningAndAdd(f2, q2, Vector256.LoadUnsafe(ref w0B, 64));
                        f3 = AvxVnni.MultiplyWideningAndAdd(f3, q3, Vector256.LoadUnsafe(ref w0B, 96));
                        // Image row 2: kernel row 2 of the upper output row, kernel row 1 of the lower one.
                        Quads32(ref Unsafe.Add(ref p, 2 * rowStride), c, out q0, out q1, out q2, out q3);
                        a0 = AvxVnni.MultiplyWideningAndAdd(a0, q0, Vector256.LoadUnsafe(ref w2));
                        a1 = AvxVnni.MultiplyWideningAndAdd(a1, q1, Vector256.LoadUnsafe(ref w2, 32));
                        a2 = AvxVnni.MultiplyWideningAndAdd(a2, q2, Vector256.LoadUnsafe(ref w2, 64));
                        a3 = AvxVnni.MultiplyWideningAndAdd(a3, q3, Vector256.LoadUnsafe(ref w2, 96));
                        b0 = AvxVnni.MultiplyWideningAndAdd(b0, q0, Vector256.LoadUnsafe(ref w2B));
                        b1 = AvxVnni.MultiplyWideningAndAdd(b1, q1, Vector256.LoadUnsafe(ref w2B, 32));
                        b2 = AvxVnni.MultiplyWideningAndAdd(b2, q2, Vector256.LoadUnsafe(ref w2B, 64));
                        b3 = AvxVnni.MultiplyWideningAndAdd(b3, q3, Vector256.LoadUnsafe(ref w2B, 96));
                        e0 = AvxVnni.MultiplyWideningAndAdd(e0, q0, Vector256.LoadUnsafe(ref w1));
                        e1 = AvxVnni.MultiplyWideningAndAdd(e1, q1, Vector256.LoadUnsafe(ref w1, 32));
                        e2 = AvxVnni.MultiplyWideningAndAdd(e2, q2, Vector256.LoadUnsafe(ref w1, 64));
                        e3 = AvxVnni.MultiplyWideningAndAdd(e3, q3, Vector256.LoadUnsafe(ref w1, 96));
                        f0 = AvxVnni.MultiplyWideningAndAdd(f0, q0, Vector256.LoadUnsafe(ref w1B));
                        f1 = AvxVnni.MultiplyWideningAndAdd(f1, q1, Vector256.LoadUnsafe(ref w1B, 32));
                        f2 = AvxVnni.MultiplyWideningAndAdd(f2, q2, Vector256.LoadUnsafe(ref w1B, 64));
                        f3 = AvxVnni.MultiplyWideningAndAdd(f3, q3, Vector256.LoadUnsafe(ref w1B, 96));
                        // Image row 3: kernel row 2 of the lower one.
                        Quads32(ref Unsafe.Add(ref p, 3 * rowStride), c, out q0, out q1, out q2, out q3);
                        e0 = AvxVnni.MultiplyWideningAndAdd(e0, q0, Vector256.LoadUnsafe(ref w2));
                        e1 = AvxVnni.MultiplyWideningAndAdd(e1, q1, Vector256.LoadUnsafe(ref w2, 32));
                        e2 = AvxVnni.MultiplyWideningAndAdd(e2, q2, Vector256.LoadUnsafe(ref w2, 64));
                        e3 = AvxVnni.MultiplyWideningAndAdd(e3, q3, Vector256.LoadUnsafe(ref w2, 96));
                        f0 = AvxVnni.MultiplyWideningAndAdd(f0, q0, Vector256.LoadUnsafe(ref w2B));
                        f1 = AvxVnni.MultiplyWideningAndAdd(f1, q1, Vector256.LoadUnsafe(ref w2B, 32));
                        f2 = AvxVnni.MultiplyWideningAndAdd(f2, q2, Vector256.LoadUnsafe(ref w2B, 64));
                        f3 = AvxVnni.MultiplyWideningAndAdd(f3, q3, Vector256.LoadUnsafe(ref w2B, 96));
                        Pack64Pair(High16(Join(a0, a1), mE0, mO0, ad0, sv0, hd), High16(Join(a2, a3), mE1, mO1, ad1, sv1, hd),
                            High16(Join(b0, b1), mE0, mO0, ad0, sv0, hd), High16(Join(b2, b3), mE1, mO1, ad1, sv1, hd), perm, lo64b, hi64b,
                            ref Unsafe.Add(ref d, ox * c), ref Unsafe.Add(ref d, (ox + 1) * c));
                        Pack64Pair(High16(Join(e0, e1), mE0, mO0, ad0, sv0, hd), High16(Join(e2, e3), mE1, mO1, ad1, sv1, hd),
                            High16(Join(f0, f1), mE0, mO0, ad0, sv0, hd), High16(Join(f2, f3), mE1, mO1, ad1, sv1, hd), perm, lo64b, hi64b,
                            ref Unsafe.Add(ref dn, ox * c), ref Unsafe.Add(ref dn, (ox + 1) * c));
                    }
                }
            }
        }

        /// <summary>
        /// The tap quads of 16 channels of two stride-2 output pixels: pixels 0-3 at p (q0: channels 0-7, q1: 8-15) and pixels
        /// 2-5 (s0, s1), two 32-byte loads and two vpermt2b each (indices ix0, ix1 = Vbmi16Index0 / 1).
        /// </summary>
        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        private static void Quads16Pair(ref byte p, Vector256<byte> ix0, Vector256<byte> ix1, out Vector256<byte> q0, out Vector256<byte> q1, out Vector256<byte> s0, out Vector256<byte> s1)
        {
            Vector256<byte> l0 = Vector256.LoadUnsafe(ref p), h0 = Vector256.LoadUnsafe(ref p, 32), h1 = Vector256.LoadUnsafe(ref p, 64);
            q0 = Avx512Vbmi.VL.PermuteVar32x8x2(l0, ix0, h0);
            q1 = Avx512Vbmi.VL.PermuteVar32x8x2(l0, ix1, h0);
            s0 = Avx512Vbmi.VL.PermuteVar32x8x2(h0, ix0, h1);
            s1 = Avx512Vbmi.VL.PermuteVar32x8x2(h0, ix1, h1);
        }

        /// <summary>
        /// The tap quads of 32 channels of the four pixels at p, p + c, p + 2c, p + 3c: byte unpacks pair pixels 0/1 and 2/3,
        /// word unpacks join the pairs, all within 128-bit lanes (q0: channels 0-3 and 16-19, q1: 4-7 and 20-23, q2: 8-11 and
        /// 24-27, q3: 12-15 and 28-31).
        /// </summary>
        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        private static void Quads32(ref byte p, int c, out Vector256<byte> q0, out Vector256<byte> q1, out Vector256<byte> q2, out Vector256<byte> q3)
        {
            Vector256<byte> p0 = Vector256.LoadUnsafe(ref p), p1 = Vector256.LoadUnsafe(ref p, (nuint)c);
            Vector256<byte> p2 = Vector256.LoadUnsafe(ref p, (nuint)(2 * c)), p3 = Vector256.LoadUnsafe(ref p, (nuint)(3 * c));
            Vector256<short> l01 = Avx2.UnpackLow(p0, p1).AsInt16(), h01 = Avx2.UnpackHigh(p0, p1).AsInt16();
            Vector256<short> l23 = Avx2.UnpackLow(p2, p3).AsInt16(), h23 = Avx2.UnpackHigh(p2, p3).AsInt16();
            q0 = Avx2.UnpackLow(l01, l23).AsByte();
            q1 = Avx2.UnpackHigh(l01, l23).AsByte();
            q2 = Avx2.UnpackLow(h01, h23).AsByte();
            q3 = Avx2.UnpackHigh(h01, h23).AsByte();
        }

        /// <summary>vpermt2b indices of the c == 16 path: quad byte 4 m + j of channel m (m &lt; 8) from pixel j's byte 16 j + m.</summary>
        private static Vector256<byte> Vbmi16Index0 => Vector256.Create(
            (byte)0, 16, 32, 48, 1, 17, 33, 49, 2, 18, 34, 50, 3, 19, 35, 51, 4, 20, 36, 52, 5, 21, 37, 53, 6, 22, 38, 54, 7, 23, 39, 55);

        /// <summary>vpermb indices of the c == 8 path: quad byte 4 m + j of channel m from pixel j's byte 8 j + m.</summary>
        private static Vector256<byte> Vbmi8Index => Vector256.Create(
            (byte)0, 8, 16, 24, 1, 9, 17, 25, 2, 10, 18, 26, 3, 11, 19, 27, 4, 12, 20, 28, 5, 13, 21, 29, 6, 14, 22, 30, 7, 15, 23, 31);

        /// <summary>One accumulator of channels 0..7 -> 8 int8 outputs.</summary>
        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        private static void Store8(Vector256<int> a0, bool high,
            ref int mulHi, ref int addHi, ref int shiftHi, ref long mul, ref long round, ref long shift, long zo, Vector256<int> lo, Vector256<int> hi, ref sbyte dst)
        {
            Vector256<int> r0 = Requant8(a0, 0, high, ref mulHi, ref addHi, ref shiftHi, ref mul, ref round, ref shift, zo, lo, hi);
            Vector128<short> w = Sse2.PackSignedSaturate(r0.GetLower(), r0.GetUpper());
            Unsafe.WriteUnaligned(ref Unsafe.As<sbyte, byte>(ref dst), Sse2.PackSignedSaturate(w, w).AsUInt64().ToScalar());
        }

        /// <summary>The same for channels 8..15.</summary>
        private static Vector256<byte> Vbmi16Index1 => Vector256.Create(
            (byte)8, 24, 40, 56, 9, 25, 41, 57, 10, 26, 42, 58, 11, 27, 43, 59, 12, 28, 44, 60, 13, 29, 45, 61, 14, 30, 46, 62, 15, 31, 47, 63);

        /// <summary>8 accumulators of lanes o..o+7 (bias included) requantized and clamped to [lo, hi], int32.</summary>
        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        private static Vector256<int> Requant8(Vector256<int> acc, int o, bool high, ref int mulHi, ref int addHi, ref int shiftHi,
            ref long mul, ref long round, ref long shift, long zo, Vector256<int> lo, Vector256<int> hi)
        {
            if (high)
            {
                return High8(acc, o, ref mulHi, ref addHi, ref shiftHi, lo, hi);
            }

            // int64 lanes (AVX-512F): the reference's zo + ((acc * m + round) >> shift), saturated to int32 (order kept), clamped.
            Vector512<long> v = Avx512F.Multiply(Avx512F.ConvertToVector512Int64(acc).AsInt32(), Vector512.LoadUnsafe(ref mul, (nuint)o).AsInt32());
            v = Avx512F.ShiftRightArithmeticVariable(v + Vector512.LoadUnsafe(ref round, (nuint)o), Vector512.LoadUnsafe(ref shift, (nuint)o).AsUInt64());
            Vector256<int> r = Avx512F.ConvertToVector256Int32WithSaturation(v + Vector512.Create(zo));
            return Vector256.Min(Vector256.Max(r, lo), hi);
        }

        /// <summary>
        /// The multiply-high requantization (see <c>DepthwiseVnniHigh</c>) of 16 int32 lanes on AVX-512F, not clamped:
        /// mE holds the lanes' m, mO the m of the next lane (so that vpmuldq of the odd lanes, moved down by a 64-bit shift,
        /// meets its own m); one vpermt2d (indices hd = <c>HighDwords</c>) takes the high dwords of both products into lane order. 6 operations.
        /// </summary>
        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        private static Vector512<int> High16(Vector512<int> acc, Vector512<int> mE, Vector512<int> mO, Vector512<int> add, Vector512<int> sh, Vector512<int> hd)
        {
            Vector512<long> pe = Avx512F.Multiply(acc, mE);
            Vector512<long> po = Avx512F.Multiply(Avx512F.ShiftRightLogical(acc.AsInt64(), 32).AsInt32(), mO);
            Vector512<int> h = Avx512F.PermuteVar16x32x2(pe.AsInt32(), hd, po.AsInt32());
            return Avx512F.ShiftRightArithmeticVariable(h + add, sh.AsUInt32());
        }

        /// <summary>vpermt2d indices: lane 2k from the high dword of the even product (dword 2k + 1), lane 2k + 1 from the odd one's (16 + 2k + 1).</summary>
        private static Vector512<int> HighDwords => Vector512.Create(1, 17, 3, 19, 5, 21, 7, 23, 9, 25, 11, 27, 13, 29, 15, 31);

        /// <summary>
        /// 32 requantized int32 lanes (two zmm) -> 32 int8 bytes: vpackssdw and vpacksswb (both within 128-bit lanes, saturating:
        /// clamping the bytes afterwards to [lo, hi], inside int8, gives the clamp of the int32 values) and one vpermd that puts the
        /// dwords in the order perm names (the bytes of 128-bit lane k of the word pack are dwords 4k and 4k + 1). 5 operations + store.
        /// </summary>
        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        private static void Pack32(Vector512<int> r0, Vector512<int> r1, Vector512<int> perm, Vector256<sbyte> lo, Vector256<sbyte> hi, ref sbyte dst)
        {
            Vector512<short> w = Avx512BW.PackSignedSaturate(r0, r1);
            Vector512<sbyte> b = Avx512BW.PackSignedSaturate(w, w);
            Vector256<sbyte> v = Avx512F.PermuteVar16x32(b.AsInt32(), perm).GetLower().AsSByte();
            Vector256.Min(Vector256.Max(v, lo), hi).StoreUnsafe(ref dst);
        }

        /// <summary>
        /// <c>Pack32</c>'s dword order for two zmm of the register quads' 32-channel block (r0 = lanes 0-15: channels 0-3,
        /// 16-19, 4-7, 20-23; r1: 8-11, 24-27, 12-15, 28-31): after the packs dword 0 = 0-3, 1 = 8-11, 4 = 16-19, 5 = 24-27,
        /// 8 = 4-7, 9 = 12-15, 12 = 20-23, 13 = 28-31.
        /// </summary>
        private static Vector512<int> Perm32Unpacked => Vector512.Create(0, 8, 1, 9, 4, 12, 5, 13, 0, 0, 0, 0, 0, 0, 0, 0);

        /// <summary>
        /// Two pixels' 32-channel blocks (a0, a1: pixel a's lanes in <c>Perm32Unpacked</c>'s unpack order; b0, b1: pixel b's)
        /// -> 64 int8 bytes, pixel a's 32 at dstA and pixel b's at dstB: two vpackssdw, one vpacksswb (per 128-bit lane: a's
        /// 8 words, then b's), one vpermd (perm = <c>Perm64UnpackedPair</c>) and the clamp on bytes (lo, hi inside int8; as
        /// in <c>Pack32</c>). 6 operations for 64 outputs where two Pack32 take 10.
        /// </summary>
        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        private static void Pack64Pair(Vector512<int> a0, Vector512<int> a1, Vector512<int> b0, Vector512<int> b1, Vector512<int> perm, Vector512<sbyte> lo, Vector512<sbyte> hi,
            ref sbyte dstA, ref sbyte dstB)
        {
            Vector512<sbyte> v = Avx512BW.PackSignedSaturate(Avx512BW.PackSignedSaturate(a0, a1), Avx512BW.PackSignedSaturate(b0, b1));
            v = Vector512.Min(Vector512.Max(Avx512F.PermuteVar16x32(v.AsInt32(), perm).AsSByte(), lo), hi);
            v.GetLower().StoreUnsafe(ref dstA);
            v.GetUpper().StoreUnsafe(ref dstB);
        }

        /// <summary>
        /// <c>Pack64Pair</c>'s dword order: pixel a's dwords sit at 4k and 4k + 1 of the byte pack (as in
        /// <c>Perm32Unpacked</c>), pixel b's at 4k + 2 and 4k + 3.
        /// </summary>
        private static Vector512<int> Perm64UnpackedPair => Vector512.Create(0, 8, 1, 9, 4, 12, 5, 13, 2, 10, 3, 11, 6, 14, 7, 15);

        /// <summary><c>Pack32</c>'s dword order for two zmm of 16 channels in order (pixels a and b): a = 0, 4, 8, 12; b = 1, 5, 9, 13.</summary>
        private static Vector512<int> Perm16Pair => Vector512.Create(0, 4, 8, 12, 1, 5, 9, 13, 0, 0, 0, 0, 0, 0, 0, 0);

        /// <summary>16 requantized int32 lanes -> 16 int8 bytes: vpmovsdb (saturating), then the clamp on bytes.</summary>
        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        private static void Pack16(Vector512<int> r, Vector128<sbyte> lo, Vector128<sbyte> hi, ref sbyte dst) =>
            Vector128.Min(Vector128.Max(Avx512F.ConvertToVector128SByteWithSaturation(r), lo), hi).StoreUnsafe(ref dst);

        /// <summary>Four accumulators of one 32-channel block in unpack order (lanes o..o+31) -> 32 int8 outputs in channel order.</summary>
        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        private static void Store32Unpacked(Vector256<int> a0, Vector256<int> a1, Vector256<int> a2, Vector256<int> a3, int o, bool high,
            ref int mulHi, ref int addHi, ref int shiftHi, ref long mul, ref long round, ref long shift, long zo, Vector256<int> lo, Vector256<int> hi, ref sbyte dst)
        {
            Vector256<int> r0 = Requant8(a0, o, high, ref mulHi, ref addHi, ref shiftHi, ref mul, ref round, ref shift, zo, lo, hi);
            Vector256<int> r1 = Requant8(a1, o + 8, high, ref mulHi, ref addHi, ref shiftHi, ref mul, ref round, ref shift, zo, lo, hi);
            Vector256<int> r2 = Requant8(a2, o + 16, high, ref mulHi, ref addHi, ref shiftHi, ref mul, ref round, ref shift, zo, lo, hi);
            Vector256<int> r3 = Requant8(a3, o + 24, high, ref mulHi, ref addHi, ref shiftHi, ref mul, ref round, ref shift, zo, lo, hi);
            // The packs work within 128-bit lanes like the unpacks did, so they restore the channel order; every value is in
            // [lo, hi], inside int8, so the saturating packs are plain narrowings.
            Avx2.PackSignedSaturate(Avx2.PackSignedSaturate(r0, r1), Avx2.PackSignedSaturate(r2, r3)).StoreUnsafe(ref dst);
        }

        /// <summary>Two accumulators of channels o..o+7 and o+8..o+15 (in order) -> 16 int8 outputs.</summary>
        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        private static void Store16Natural(Vector256<int> a0, Vector256<int> a1, bool high,
            ref int mulHi, ref int addHi, ref int shiftHi, ref long mul, ref long round, ref long shift, long zo, Vector256<int> lo, Vector256<int> hi, ref sbyte dst)
        {
            Vector256<int> r0 = Requant8(a0, 0, high, ref mulHi, ref addHi, ref shiftHi, ref mul, ref round, ref shift, zo, lo, hi);
            Vector256<int> r1 = Requant8(a1, 8, high, ref mulHi, ref addHi, ref shiftHi, ref mul, ref round, ref shift, zo, lo, hi);
            Vector128<short> w = Sse2.PackSignedSaturate(r0.GetLower(), r0.GetUpper());
            Sse2.PackSignedSaturate(w, Sse2.PackSignedSaturate(r1.GetLower(), r1.GetUpper())).StoreUnsafe(ref dst);
        }

        /// <summary><c>DepthwiseQuadRegs</c> one lane at a time (the same integers; tests and machines without the vector path).</summary>
        private static void QuadRegsScalar(ref byte src, int rowStride, int c, int sh, int sw, int oh, int ow, ref sbyte wq, ref int bias, bool high,
            ref int mulHi, ref int addHi, ref int shiftHi, ref long mul, ref long round, ref long shift, long zo, long lo, long hi, ref sbyte dst)
        {
            for (int oy = 0; oy < oh; oy++)
            {
                for (int ox = 0; ox < ow; ox++)
                {
                    for (int l = 0; l < c; l++)
                    {
                        int ch = QuadRegsChannel(c, l), acc = Unsafe.Add(ref bias, l);
                        for (int i = 0; i < 3; i++)
                        {
                            for (int j = 0; j < 3; j++)
                            {
                                int u = Unsafe.Add(ref src, ((((oy * sh) + i) * rowStride) + (((ox * sw) + j) * c)) + ch);
                                acc = unchecked(acc + (u * Unsafe.Add(ref wq, (((i * 2 * c) + l) * 4) + j)));
                            }
                        }

                        sbyte v;
                        if (high)
                        {
                            int h = (int)(((long)acc * Unsafe.Add(ref mulHi, l)) >> 32);
                            long r = (h + Unsafe.Add(ref addHi, l)) >> Unsafe.Add(ref shiftHi, l);
                            v = (sbyte)(r < lo ? lo : r > hi ? hi : r);
                        }
                        else
                        {
                            v = QuantGenKernels.RequantOne(acc, l, ref mul, ref round, ref shift, zo, lo, hi);
                        }

                        Unsafe.Add(ref dst, (((oy * ow) + ox) * c) + ch) = v;
                    }
                }
            }
        }

        /// <summary>
        /// 2-D average pooling of an int8 image [c][h][w] (channelsLast: [h][w][c]) into [c][oh][ow] (channelsLastOut:
        /// [oh][ow][c]), the reference's AvgPool2d: per output the sum of x - zx over the window clipped to the input, then
        /// zo + RoundShift(sum * mult[k], shift[k]) clamped to int8, k = the divisor - 1 (kh * kw when countIncludePad, else the
        /// taps inside the input). Channels-last input: 16 channels per vector sum (int32 lanes: |x - zx| &lt;= 255 per tap);
        /// NCHW input: one channel at a time.
        /// </summary>
        [MethodImpl(MethodImplOptions.AggressiveOptimization)]
        public static void AvgPool(ReadOnlySpan<sbyte> x, bool channelsLast, bool channelsLastOut, int c, int h, int w, int kh, int kw, int sh, int sw, int pt, int pl,
            int oh, int ow, int zx, bool countIncludePad, ref int mult, ref int shift, long zo, Span<sbyte> y)
        {
            if (x.Length < c * h * w || y.Length < c * oh * ow)
            {
                throw new ArgumentException("the pooling buffers are too small for this layer");
            }

            ref sbyte src = ref MemoryMarshal.GetReference(x);
            Span<int> sums = stackalloc int[16];
            int positions = oh * ow;
            for (int oy = 0; oy < oh; oy++)
            {
                int h0 = (oy * sh) - pt;
                int hs = h0 < 0 ? 0 : h0, he = h0 + kh > h ? h : h0 + kh;
                for (int ox = 0; ox < ow; ox++)
                {
                    int w0 = (ox * sw) - pl;
                    int ws = w0 < 0 ? 0 : w0, we = w0 + kw > w ? w : w0 + kw;
                    int count = he > hs && we > ws ? (he - hs) * (we - ws) : 0;
                    int k = (countIncludePad ? kh * kw : count) - 1;
                    long m = Unsafe.Add(ref mult, k < 0 ? 0 : k);
                    int s = Unsafe.Add(ref shift, k < 0 ? 0 : k);
                    long off = -(long)count * zx;
                    int p = (oy * ow) + ox;
                    for (int c0 = 0; c0 < c; c0 += 16)
                    {
                        int n = c - c0 < 16 ? c - c0 : 16;
                        if (channelsLast && n == 16 && Avx512F.IsSupported)
                        {
                            Vector512<int> acc = Vector512<int>.Zero;
                            for (int i = hs; i < he; i++)
                            {
                                for (int j = ws; j < we; j++)
                                {
                                    acc += Avx512F.ConvertToVector512Int32(Vector128.LoadUnsafe(ref src, (nuint)((((i * w) + j) * c) + c0)));
                                }
                            }

                            acc.CopyTo(sums);
                        }
                        else if (channelsLast && n == 16 && Avx2.IsSupported)
                        {
                            Vector256<int> a0 = Vector256<int>.Zero, a1 = Vector256<int>.Zero;
                            for (int i = hs; i < he; i++)
                            {
                                for (int j = ws; j < we; j++)
                                {
                                    Vector128<sbyte> v = Vector128.LoadUnsafe(ref src, (nuint)((((i * w) + j) * c) + c0));
                                    a0 += Avx2.ConvertToVector256Int32(v);
                                    a1 += Avx2.ConvertToVector256Int32(Sse2.ShiftRightLogical128BitLane(v, 8));
                                }
                            }

                            a0.CopyTo(sums);
                            a1.CopyTo(sums.Slice(8));
                        }
                        else
                        {
                            for (int l = 0; l < n; l++)
                            {
                                int sum = 0;
                                for (int i = hs; i < he; i++)
                                {
                                    for (int j = ws; j < we; j++)
                                    {
                                        sum += Unsafe.Add(ref src, channelsLast ? (((i * w) + j) * c) + c0 + l : (((c0 + l) * h) + i) * w + j);
                                    }
                                }

                                sums[l] = sum;
                            }
                        }

                        for (int l = 0; l < n; l++)
                        {
                            long v = zo + QuantGenKernels.RoundShift((sums[l] + off) * m, s);
                            y[channelsLastOut ? (p * c) + c0 + l : ((c0 + l) * positions) + p] = (sbyte)(v < -128 ? -128 : v > 127 ? 127 : v);
                        }
                    }
                }
            }
        }

        /// <summary>Byte 4 l + j of a quad vector comes from byte 16 j + l of [tap 0 | tap 1 | tap 2 | tap 3] (16 bytes each).</summary>
        private static Vector512<byte> QuadIndex => Vector512.Create(
            (byte)0, 16, 32, 48, 1, 17, 33, 49, 2, 18, 34, 50, 3, 19, 35, 51, 4, 20, 36, 52, 5, 21, 37, 53, 6, 22, 38, 54, 7, 23, 39, 55,
            8, 24, 40, 56, 9, 25, 41, 57, 10, 26, 42, 58, 11, 27, 43, 59, 12, 28, 44, 60, 13, 29, 45, 61, 14, 30, 46, 62, 15, 31, 47, 63);

        /// <summary>16 lanes of tap quads as <c>Quad16</c>, gathered by one vpermb.</summary>
        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        private static void Quad16Vbmi(ref sbyte s, int c, int kw, Vector512<byte> index, ref sbyte d)
        {
            Vector128<sbyte> a = Vector128.LoadUnsafe(ref s);
            Vector128<sbyte> b = kw > 1 ? Vector128.LoadUnsafe(ref s, (nuint)c) : Vector128<sbyte>.Zero;
            Vector128<sbyte> e = kw > 2 ? Vector128.LoadUnsafe(ref s, (nuint)(2 * c)) : Vector128<sbyte>.Zero;
            Vector128<sbyte> f = kw > 3 ? Vector128.LoadUnsafe(ref s, (nuint)(3 * c)) : Vector128<sbyte>.Zero;
            Vector512<byte> z = Vector512.Create(Vector256.Create(a, b), Vector256.Create(e, f)).AsByte();
            Avx512Vbmi.PermuteVar64x8(z, index).AsSByte().StoreUnsafe(ref d);
        }

        /// <summary>16 lanes of tap quads: bytes s[l], s[l + c], s[l + 2c], s[l + 3c] (taps past kw: 0) interleaved by byte unpacks.</summary>
        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        private static void Quad16(ref sbyte s, int c, int kw, ref sbyte d)
        {
            Vector128<sbyte> a = Vector128.LoadUnsafe(ref s);
            Vector128<sbyte> b = kw > 1 ? Vector128.LoadUnsafe(ref s, (nuint)c) : Vector128<sbyte>.Zero;
            Vector128<sbyte> e = kw > 2 ? Vector128.LoadUnsafe(ref s, (nuint)(2 * c)) : Vector128<sbyte>.Zero;
            Vector128<sbyte> f = kw > 3 ? Vector128.LoadUnsafe(ref s, (nuint)(3 * c)) : Vector128<sbyte>.Zero;
            Vector128<short> ab0 = Sse2.UnpackLow(a, b).AsInt16(), ab1 = Sse2.UnpackHigh(a, b).AsInt16();
            Vector128<short> ef0 = Sse2.UnpackLow(e, f).AsInt16(), ef1 = Sse2.UnpackHigh(e, f).AsInt16();
            Sse2.UnpackLow(ab0, ef0).AsSByte().StoreUnsafe(ref d);
            Sse2.UnpackHigh(ab0, ef0).AsSByte().StoreUnsafe(ref d, 16);
            Sse2.UnpackLow(ab1, ef1).AsSByte().StoreUnsafe(ref d, 32);
            Sse2.UnpackHigh(ab1, ef1).AsSByte().StoreUnsafe(ref d, 48);
        }

        /// <summary>
        /// The depthwise layer on tap quads (<c>TapQuads</c>), requantized as the reference does (int64 lanes):
        /// y[oy][l] = requant_l(bias[l] + sum_i sum_j t[oy * sh + i][l][j] * w[i][l][j]) for l &lt; lanes (= ow * c, the
        /// channels-last output row). Exact: u8 x s8 products in int32 lanes that wrap like the reference's sum modulo 2^32,
        /// and the range analysis proved the accumulator fits int32. w: [kh][lp][4] int8; bias, mul, round, shift: per lane, lp
        /// entries. AVX-512 + AVX-VNNI: 16 lanes requantized in registers; AVX2 + AVX-VNNI
        /// and without VNNI: the same integers (scalar requantization; callers take this kernel only where UseVnni).
        /// </summary>
        [MethodImpl(MethodImplOptions.AggressiveOptimization)]
        public static void DepthwiseVnni(ReadOnlySpan<sbyte> t, int lp, int kh, int sh, int oh, int lanes, ref sbyte w, ref int bias,
            ref long mul, ref long round, ref long shift, long zo, long lo, long hi, Span<sbyte> y) =>
            Run(t, lp, kh, sh, oh, lanes, ref w, ref bias, false, ref mul, ref round, ref shift, zo, ref Unsafe.NullRef<int>(), ref Unsafe.NullRef<int>(), ref Unsafe.NullRef<int>(), lo, hi, y);

        /// <summary>
        /// <c>DepthwiseVnni</c> with the int32 multiply-high requantization the plan proved exact for the layer: for
        /// every lane the reference's shift s is at least 33, and with t = s - 32, the sign-extended high half of acc * m
        /// (h = floor(acc * m / 2^32), |h| &lt;= 2^30) gives (h + 2^(t - 1) + zo * 2^t) &gt;&gt; t = zo + ((acc * m + 2^(s - 1)) &gt;&gt; s)
        /// (floor division by 2^32 and then by 2^t is floor division by 2^s, and 2^(s - 1) is a multiple of 2^32), the sum
        /// within int32 because |2^(t - 1) + zo * 2^t| &lt; 2^30. mulHi: m, addHi: 2^(t - 1) + zo * 2^t, shiftHi: t, per lane,
        /// lp + 1 entries (the 32-lane blocks read up to lp lanes, the odd lanes mulHi one further).
        /// </summary>
        [MethodImpl(MethodImplOptions.AggressiveOptimization)]
        public static void DepthwiseVnniHigh(ReadOnlySpan<sbyte> t, int lp, int kh, int sh, int oh, int lanes, ref sbyte w, ref int bias,
            ref int mulHi, ref int addHi, ref int shiftHi, long lo, long hi, Span<sbyte> y) =>
            Run(t, lp, kh, sh, oh, lanes, ref w, ref bias, true, ref Unsafe.NullRef<long>(), ref Unsafe.NullRef<long>(), ref Unsafe.NullRef<long>(), 0, ref mulHi, ref addHi, ref shiftHi, lo, hi, y);

        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        private static void Run(ReadOnlySpan<sbyte> t, int lp, int kh, int sh, int oh, int lanes, ref sbyte w, ref int bias, bool high,
            ref long mul, ref long round, ref long shift, long zo, ref int mulHi, ref int addHi, ref int shiftHi, long lo, long hi, Span<sbyte> y)
        {
            if (lp < (lanes + 15) / 16 * 16 || t.Length < (((oh - 1) * sh) + kh) * lp * 4 || y.Length < oh * lanes)
            {
                throw new ArgumentException("the depthwise buffers are too small for this layer");
            }

            ref byte src = ref Unsafe.As<sbyte, byte>(ref MemoryMarshal.GetReference(t));
            ref sbyte dst = ref MemoryMarshal.GetReference(y);
            int rowBytes = lp * 4;
            if (AvxVnni.IsSupported && Avx512BW.IsSupported)
            {
                Vector512<long> zv = Vector512.Create(zo);
                Vector512<int> lv = Vector512.Create((int)lo), hv = Vector512.Create((int)hi);
                for (int oy = 0; oy < oh; oy++)
                {
                    ref byte tr = ref Unsafe.Add(ref src, oy * sh * rowBytes);
                    ref sbyte d = ref Unsafe.Add(ref dst, oy * lanes);
                    int l0 = 0;
                    for (; l0 + 16 < lanes; l0 += 32)
                    {
                        // 32 lanes: four independent vpdpbusd chains of kh steps.
                        Vector256<int> a0 = Vector256<int>.Zero, a1 = Vector256<int>.Zero, a2 = Vector256<int>.Zero, a3 = Vector256<int>.Zero;
                        for (int i = 0; i < kh; i++)
                        {
                            ref byte ti = ref Unsafe.Add(ref tr, (i * rowBytes) + (l0 * 4));
                            ref sbyte wi = ref Unsafe.Add(ref w, (i * rowBytes) + (l0 * 4));
                            a0 = AvxVnni.MultiplyWideningAndAdd(a0, Vector256.LoadUnsafe(ref ti), Vector256.LoadUnsafe(ref wi));
                            a1 = AvxVnni.MultiplyWideningAndAdd(a1, Vector256.LoadUnsafe(ref ti, 32), Vector256.LoadUnsafe(ref wi, 32));
                            a2 = AvxVnni.MultiplyWideningAndAdd(a2, Vector256.LoadUnsafe(ref ti, 64), Vector256.LoadUnsafe(ref wi, 64));
                            a3 = AvxVnni.MultiplyWideningAndAdd(a3, Vector256.LoadUnsafe(ref ti, 96), Vector256.LoadUnsafe(ref wi, 96));
                        }

                        Store16(Join(a0, a1), l0, lanes - l0, high, ref bias, ref mul, ref round, ref shift, zv, ref mulHi, ref addHi, ref shiftHi, lv, hv, ref Unsafe.Add(ref d, l0));
                        Store16(Join(a2, a3), l0 + 16, lanes - l0 - 16, high, ref bias, ref mul, ref round, ref shift, zv, ref mulHi, ref addHi, ref shiftHi, lv, hv, ref Unsafe.Add(ref d, l0 + 16));
                    }

                    for (; l0 < lanes; l0 += 16)
                    {
                        Vector256<int> a0 = Vector256<int>.Zero, a1 = Vector256<int>.Zero;
                        for (int i = 0; i < kh; i++)
                        {
                            ref byte ti = ref Unsafe.Add(ref tr, (i * rowBytes) + (l0 * 4));
                            ref sbyte wi = ref Unsafe.Add(ref w, (i * rowBytes) + (l0 * 4));
                            a0 = AvxVnni.MultiplyWideningAndAdd(a0, Vector256.LoadUnsafe(ref ti), Vector256.LoadUnsafe(ref wi));
                            a1 = AvxVnni.MultiplyWideningAndAdd(a1, Vector256.LoadUnsafe(ref ti, 32), Vector256.LoadUnsafe(ref wi, 32));
                        }

                        Store16(Join(a0, a1), l0, lanes - l0, high, ref bias, ref mul, ref round, ref shift, zv, ref mulHi, ref addHi, ref shiftHi, lv, hv, ref Unsafe.Add(ref d, l0));
                    }
                }

                return;
            }

            if (AvxVnni.IsSupported)
            {
                // AVX2 + AVX-VNNI: 8 lanes per vpdpbusd, the multiply-high requantization on 8 int32 lanes.
                Vector256<int> lv = Vector256.Create((int)lo), hv = Vector256.Create((int)hi);
                Span<int> part = stackalloc int[16];
                for (int oy = 0; oy < oh; oy++)
                {
                    ref byte tr = ref Unsafe.Add(ref src, oy * sh * rowBytes);
                    ref sbyte d = ref Unsafe.Add(ref dst, oy * lanes);
                    for (int l0 = 0; l0 < lanes; l0 += 16)
                    {
                        Vector256<int> a0 = Vector256<int>.Zero, a1 = Vector256<int>.Zero;
                        for (int i = 0; i < kh; i++)
                        {
                            ref byte ti = ref Unsafe.Add(ref tr, (i * rowBytes) + (l0 * 4));
                            ref sbyte wi = ref Unsafe.Add(ref w, (i * rowBytes) + (l0 * 4));
                            a0 = AvxVnni.MultiplyWideningAndAdd(a0, Vector256.LoadUnsafe(ref ti), Vector256.LoadUnsafe(ref wi));
                            a1 = AvxVnni.MultiplyWideningAndAdd(a1, Vector256.LoadUnsafe(ref ti, 32), Vector256.LoadUnsafe(ref wi, 32));
                        }

                        int count = lanes - l0 < 16 ? lanes - l0 : 16;
                        if (high)
                        {
                            Vector256<int> h0 = High8(a0 + Vector256.LoadUnsafe(ref bias, (nuint)l0), l0, ref mulHi, ref addHi, ref shiftHi, lv, hv);
                            Vector256<int> h1 = High8(a1 + Vector256.LoadUnsafe(ref bias, (nuint)(l0 + 8)), l0 + 8, ref mulHi, ref addHi, ref shiftHi, lv, hv);
                            // Every value is within [lo, hi], inside int8: the saturating packs are plain narrowings.
                            Vector128<sbyte> bytes = Sse2.PackSignedSaturate(Sse2.PackSignedSaturate(h0.GetLower(), h0.GetUpper()), Sse2.PackSignedSaturate(h1.GetLower(), h1.GetUpper()));
                            QuantGenKernels.StorePartial16(bytes, count, ref Unsafe.Add(ref d, l0));
                        }
                        else
                        {
                            a0.CopyTo(part);
                            a1.CopyTo(part.Slice(8));
                            for (int l = 0; l < count; l++)
                            {
                                int o = l0 + l;
                                Unsafe.Add(ref d, o) = QuantGenKernels.RequantOne(unchecked(part[l] + Unsafe.Add(ref bias, o)), o, ref mul, ref round, ref shift, zo, lo, hi);
                            }
                        }
                    }
                }

                return;
            }

            // Without AVX-VNNI (tests; the generated code takes the int32 DepthwiseNhwc there): the same integers, one lane at a time.
            for (int oy = 0; oy < oh; oy++)
            {
                ref byte tr = ref Unsafe.Add(ref src, oy * sh * rowBytes);
                for (int l = 0; l < lanes; l++)
                {
                    int acc = Unsafe.Add(ref bias, l);
                    for (int i = 0; i < kh; i++)
                    {
                        for (int j = 0; j < 4; j++)
                        {
                            int k = (i * rowBytes) + (l * 4) + j;
                            acc = unchecked(acc + (Unsafe.Add(ref tr, k) * Unsafe.Add(ref w, k)));
                        }
                    }

                    sbyte v;
                    if (high)
                    {
                        int h = (int)(((long)acc * Unsafe.Add(ref mulHi, l)) >> 32);
                        long r = (h + Unsafe.Add(ref addHi, l)) >> Unsafe.Add(ref shiftHi, l);
                        v = (sbyte)(r < lo ? lo : r > hi ? hi : r);
                    }
                    else
                    {
                        v = QuantGenKernels.RequantOne(acc, l, ref mul, ref round, ref shift, zo, lo, hi);
                    }

                    Unsafe.Add(ref dst, (oy * lanes) + l) = v;
                }
            }
        }

        /// <summary>16 accumulators of lanes o..o+15 (bias not yet added) -> 16 int8 outputs, the int64 or the multiply-high form.</summary>
        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        private static void Store16(Vector512<int> acc, int o, int count, bool high, ref int bias, ref long mul, ref long round, ref long shift, Vector512<long> zo,
            ref int mulHi, ref int addHi, ref int shiftHi, Vector512<int> lo, Vector512<int> hi, ref sbyte dst)
        {
            if (!high)
            {
                QuantGenKernels.Requant16(acc, o, count, ref bias, ref mul, ref round, ref shift, zo, lo, hi, ref dst);
                return;
            }

            acc += Vector512.LoadUnsafe(ref bias, (nuint)o);
            Vector512<int> h = High16(acc, Vector512.LoadUnsafe(ref mulHi, (nuint)o), Vector512.LoadUnsafe(ref mulHi, (nuint)(o + 1)),
                Vector512.LoadUnsafe(ref addHi, (nuint)o), Vector512.LoadUnsafe(ref shiftHi, (nuint)o), HighDwords);
            // Saturating narrow, then the clamp on the bytes ([lo, hi] lies inside int8).
            Vector128<sbyte> b = Avx512F.ConvertToVector128SByteWithSaturation(h);
            QuantGenKernels.StorePartial16(Vector128.Min(Vector128.Max(b, Vector128.Create((sbyte)lo.ToScalar())), Vector128.Create((sbyte)hi.ToScalar())), count, ref dst);
        }

        /// <summary>The multiply-high requantization (see <c>DepthwiseVnniHigh</c>) of 8 lanes from o, bias added; clamped.</summary>
        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        private static Vector256<int> High8(Vector256<int> acc, int o, ref int mulHi, ref int addHi, ref int shiftHi, Vector256<int> lo, Vector256<int> hi)
        {
            Vector256<long> pe = Avx2.Multiply(acc, Vector256.LoadUnsafe(ref mulHi, (nuint)o));
            Vector256<long> po = Avx2.Multiply(Avx2.ShiftRightLogical(acc.AsInt64(), 32).AsInt32(), Vector256.LoadUnsafe(ref mulHi, (nuint)(o + 1)));
            Vector256<int> h = Avx2.Blend(Avx2.ShiftRightLogical(pe, 32).AsInt32(), po.AsInt32(), 0xAA);
            h = Avx2.ShiftRightArithmeticVariable(h + Vector256.LoadUnsafe(ref addHi, (nuint)o), Vector256.LoadUnsafe(ref shiftHi, (nuint)o).AsUInt32());
            return Vector256.Min(Vector256.Max(h, lo), hi);
        }

        /// <summary>
        /// Two ymm halves as one zmm: one vinserti32x8 (Vector512.Create(lo, hi) compiles to a zeroing and two inserts); the same lanes.
        /// </summary>
        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        private static Vector512<int> Join(Vector256<int> lo, Vector256<int> hi) =>
            Avx512F.IsSupported ? Avx512F.InsertVector256(lo.ToVector512Unsafe(), hi, 1) : Vector512.Create(lo, hi);
    }
}
