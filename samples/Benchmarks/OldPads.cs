using System;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;

namespace QuantGen.Benchmarks
{
    /// <summary>
    /// QuantGenConvKernels.PadImageXor, PadImageWide and QuantGenDepthwiseKernels.PadImageU as they were before the border bytes were
    /// written by inline vector stores instead of Span.Fill calls (commit dfa2c37), kept callable only for the probes' A/B
    /// (dw-regs with QUANTGEN_DW_PARTS, stem-probe) in one process.
    /// </summary>
    internal static class OldPads
    {
        [MethodImpl(MethodImplOptions.AggressiveOptimization)]
        public static void PadImageXor(ReadOnlySpan<sbyte> x, bool channelsLast, int c, int h, int w, int pt, int pl, int ph, int pw, sbyte zx, Span<sbyte> img, byte mask)
        {
            zx = (sbyte)(zx ^ (sbyte)mask);
            if (img.Length < ph * pw * c || x.Length < c * h * w)
            {
                throw new ArgumentException("the padded image is too small for this layer");
            }

            int first = pl < pw ? pl : pw;
            int last = pl + w < pw ? pl + w : pw;
            channelsLast |= c == 1; // one channel: both layouts are the same bytes
            ref sbyte x0 = ref MemoryMarshal.GetReference(x);
            for (int r = 0; r < ph; r++)
            {
                Span<sbyte> row = img.Slice(r * pw * c, pw * c);
                int ih = r - pt;
                if ((uint)ih >= (uint)h || last <= first)
                {
                    row.Fill(zx);
                    continue;
                }

                row.Slice(0, first * c).Fill(zx);
                row.Slice(last * c).Fill(zx);
                int count = last - first, iw0 = first - pl;
                if (channelsLast)
                {
                    if (mask == 0)
                    {
                        x.Slice(((ih * w) + iw0) * c, count * c).CopyTo(row.Slice(first * c));
                    }
                    else
                    {
                        CopyRun(ref row[first * c], ref Unsafe.Add(ref x0, ((ih * w) + iw0) * c), count * c, mask);
                    }

                    continue;
                }

                ref sbyte d = ref row[first * c];
                int i0 = 0;
                if (c == 3 && Ssse3.IsSupported)
                {
                    // The 3-channel stems (RGB): 16 pixels of the three planes -> 48 interleaved bytes, three pshufb per 16.
                    ref byte s0 = ref Unsafe.As<sbyte, byte>(ref Unsafe.Add(ref x0, (ih * w) + iw0));
                    ref byte s1 = ref Unsafe.Add(ref s0, h * w);
                    ref byte s2 = ref Unsafe.Add(ref s0, 2 * h * w);
                    Vector128<byte> xm = Vector128.Create(mask);
                    const byte z = 0x80; // pshufb writes 0
                    Vector128<byte> m00 = Vector128.Create((byte)0, z, z, (byte)1, z, z, (byte)2, z, z, (byte)3, z, z, (byte)4, z, z, (byte)5);
                    Vector128<byte> m01 = Vector128.Create(z, (byte)0, z, z, (byte)1, z, z, (byte)2, z, z, (byte)3, z, z, (byte)4, z, z);
                    Vector128<byte> m02 = Vector128.Create(z, z, (byte)0, z, z, (byte)1, z, z, (byte)2, z, z, (byte)3, z, z, (byte)4, z);
                    Vector128<byte> m10 = Vector128.Create(z, z, (byte)6, z, z, (byte)7, z, z, (byte)8, z, z, (byte)9, z, z, (byte)10, z);
                    Vector128<byte> m11 = Vector128.Create((byte)5, z, z, (byte)6, z, z, (byte)7, z, z, (byte)8, z, z, (byte)9, z, z, (byte)10);
                    Vector128<byte> m12 = Vector128.Create(z, (byte)5, z, z, (byte)6, z, z, (byte)7, z, z, (byte)8, z, z, (byte)9, z, z);
                    Vector128<byte> m20 = Vector128.Create(z, (byte)11, z, z, (byte)12, z, z, (byte)13, z, z, (byte)14, z, z, (byte)15, z, z);
                    Vector128<byte> m21 = Vector128.Create(z, z, (byte)11, z, z, (byte)12, z, z, (byte)13, z, z, (byte)14, z, z, (byte)15, z);
                    Vector128<byte> m22 = Vector128.Create((byte)10, z, z, (byte)11, z, z, (byte)12, z, z, (byte)13, z, z, (byte)14, z, z, (byte)15);
                    for (; i0 + 16 <= count; i0 += 16)
                    {
                        Vector128<byte> p0 = Vector128.LoadUnsafe(ref s0, (nuint)i0), p1 = Vector128.LoadUnsafe(ref s1, (nuint)i0), p2 = Vector128.LoadUnsafe(ref s2, (nuint)i0);
                        ref byte o = ref Unsafe.As<sbyte, byte>(ref Unsafe.Add(ref d, i0 * 3));
                        ((Ssse3.Shuffle(p0, m00) | Ssse3.Shuffle(p1, m01) | Ssse3.Shuffle(p2, m02)) ^ xm).StoreUnsafe(ref o);
                        ((Ssse3.Shuffle(p0, m10) | Ssse3.Shuffle(p1, m11) | Ssse3.Shuffle(p2, m12)) ^ xm).StoreUnsafe(ref o, 16);
                        ((Ssse3.Shuffle(p0, m20) | Ssse3.Shuffle(p1, m21) | Ssse3.Shuffle(p2, m22)) ^ xm).StoreUnsafe(ref o, 32);
                    }
                }

                for (int ch = 0; ch < c; ch++)
                {
                    ref sbyte s = ref Unsafe.Add(ref x0, (((ch * h) + ih) * w) + iw0);
                    for (int i = i0; i < count; i++)
                    {
                        Unsafe.Add(ref d, (i * c) + ch) = (sbyte)(Unsafe.Add(ref s, i) ^ (sbyte)mask);
                    }
                }
            }
        }

        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        private static void CopyRun(ref sbyte dst, ref sbyte src, int length, byte mask)
        {
            if (length >= 16)
            {
                Vector128<sbyte> m = Vector128.Create((sbyte)mask);
                int i = 0;
                for (; i + 16 < length; i += 16)
                {
                    (Vector128.LoadUnsafe(ref src, (nuint)i) ^ m).StoreUnsafe(ref dst, (nuint)i);
                }

                (Vector128.LoadUnsafe(ref src, (nuint)(length - 16)) ^ m).StoreUnsafe(ref dst, (nuint)(length - 16));
                return;
            }

            if (length >= 8)
            {
                ulong m8 = mask * 0x0101010101010101UL;
                Unsafe.WriteUnaligned(ref Unsafe.As<sbyte, byte>(ref dst), Unsafe.ReadUnaligned<ulong>(ref Unsafe.As<sbyte, byte>(ref src)) ^ m8);
                Unsafe.WriteUnaligned(ref Unsafe.As<sbyte, byte>(ref Unsafe.Add(ref dst, length - 8)), Unsafe.ReadUnaligned<ulong>(ref Unsafe.As<sbyte, byte>(ref Unsafe.Add(ref src, length - 8))) ^ m8);
                return;
            }

            if (length >= 4)
            {
                uint m4 = mask * 0x01010101U;
                Unsafe.WriteUnaligned(ref Unsafe.As<sbyte, byte>(ref dst), Unsafe.ReadUnaligned<uint>(ref Unsafe.As<sbyte, byte>(ref src)) ^ m4);
                Unsafe.WriteUnaligned(ref Unsafe.As<sbyte, byte>(ref Unsafe.Add(ref dst, length - 4)), Unsafe.ReadUnaligned<uint>(ref Unsafe.As<sbyte, byte>(ref Unsafe.Add(ref src, length - 4))) ^ m4);
                return;
            }

            for (int i = 0; i < length; i++)
            {
                Unsafe.Add(ref dst, i) = (sbyte)(Unsafe.Add(ref src, i) ^ (sbyte)mask);
            }
        }

        [MethodImpl(MethodImplOptions.AggressiveOptimization)]
        public static void PadImageU(ReadOnlySpan<sbyte> x, bool channelsLast, int c, int h, int w, int pt, int pl, int ph, int pw, sbyte zx, Span<sbyte> img)
        {
            int first = pl < pw ? pl : pw, last = pl + w < pw ? pl + w : pw;
            if (!channelsLast || !Vector256.IsHardwareAccelerated || (last - first) * c < 32 || img.Length < ph * pw * c || x.Length < c * h * w)
            {
                PadImageXor(x, channelsLast, c, h, w, pt, pl, ph, pw, zx, img, 0x80);
                return;
            }

            sbyte zu = (sbyte)(zx ^ unchecked((sbyte)0x80));
            Vector256<sbyte> m = Vector256.Create(unchecked((sbyte)0x80));
            int run = (last - first) * c;
            ref sbyte x0 = ref MemoryMarshal.GetReference(x);
            for (int r = 0; r < ph; r++)
            {
                Span<sbyte> row = img.Slice(r * pw * c, pw * c);
                int ih = r - pt;
                if ((uint)ih >= (uint)h)
                {
                    row.Fill(zu);
                    continue;
                }

                row.Slice(0, first * c).Fill(zu);
                row.Slice(last * c).Fill(zu);
                ref sbyte d = ref row[first * c];
                ref sbyte s = ref Unsafe.Add(ref x0, ((ih * w) + first - pl) * c);
                int i = 0;
                for (; i + 32 < run; i += 32)
                {
                    (Vector256.LoadUnsafe(ref s, (nuint)i) ^ m).StoreUnsafe(ref d, (nuint)i);
                }

                (Vector256.LoadUnsafe(ref s, (nuint)(run - 32)) ^ m).StoreUnsafe(ref d, (nuint)(run - 32));
            }
        }

        [MethodImpl(MethodImplOptions.AggressiveOptimization)]
        public static void PadImageWide(ReadOnlySpan<sbyte> x, bool channelsLast, int c, int h, int w, int pt, int pl, int ph, int pw, sbyte zx, Span<sbyte> img, byte mask, int cImg)
        {
            zx = (sbyte)(zx ^ (sbyte)mask);
            if (cImg < c || img.Length < ph * pw * cImg || x.Length < c * h * w)
            {
                throw new ArgumentException("the padded image is too small for this layer");
            }

            int first = pl < pw ? pl : pw;
            int last = pl + w < pw ? pl + w : pw;
            channelsLast |= c == 1;
            ref sbyte x0 = ref MemoryMarshal.GetReference(x);
            for (int r = 0; r < ph; r++)
            {
                Span<sbyte> row = img.Slice(r * pw * cImg, pw * cImg);
                int ih = r - pt;
                if ((uint)ih >= (uint)h || last <= first)
                {
                    row.Fill(zx);
                    continue;
                }

                row.Slice(0, first * cImg).Fill(zx);
                row.Slice(last * cImg).Fill(zx);
                ref sbyte d = ref row[first * cImg];
                int count = last - first, iw0 = first - pl, i0 = 0;
                if (!channelsLast && c == 3 && cImg == 4 && Sse2.IsSupported)
                {
                    ref byte s0 = ref Unsafe.As<sbyte, byte>(ref Unsafe.Add(ref x0, (ih * w) + iw0));
                    ref byte s1 = ref Unsafe.Add(ref s0, h * w);
                    ref byte s2 = ref Unsafe.Add(ref s0, 2 * h * w);
                    Vector128<byte> xm = Vector128.Create(mask), p3 = Vector128.Create((byte)zx);
                    for (; i0 + 16 <= count; i0 += 16)
                    {
                        Vector128<byte> p0 = Vector128.LoadUnsafe(ref s0, (nuint)i0) ^ xm, p1 = Vector128.LoadUnsafe(ref s1, (nuint)i0) ^ xm, p2 = Vector128.LoadUnsafe(ref s2, (nuint)i0) ^ xm;
                        Vector128<ushort> a = Sse2.UnpackLow(p0, p1).AsUInt16(), b = Sse2.UnpackHigh(p0, p1).AsUInt16();
                        Vector128<ushort> e = Sse2.UnpackLow(p2, p3).AsUInt16(), f = Sse2.UnpackHigh(p2, p3).AsUInt16();
                        ref byte o = ref Unsafe.As<sbyte, byte>(ref Unsafe.Add(ref d, i0 * 4));
                        Sse2.UnpackLow(a, e).AsByte().StoreUnsafe(ref o);
                        Sse2.UnpackHigh(a, e).AsByte().StoreUnsafe(ref o, 16);
                        Sse2.UnpackLow(b, f).AsByte().StoreUnsafe(ref o, 32);
                        Sse2.UnpackHigh(b, f).AsByte().StoreUnsafe(ref o, 48);
                    }
                }

                for (int i = i0; i < count; i++)
                {
                    for (int ch = 0; ch < cImg; ch++)
                    {
                        int src = channelsLast ? (((ih * w) + iw0 + i) * c) + ch : (((ch * h) + ih) * w) + iw0 + i;
                        Unsafe.Add(ref d, (i * cImg) + ch) = ch < c ? (sbyte)(Unsafe.Add(ref x0, src) ^ (sbyte)mask) : zx;
                    }
                }
            }
        }
    }
}
