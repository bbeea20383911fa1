// QuantGen kernel library: the image layouts of the few-channel stems (the first convolution of a CNN). Emitted into a
// model's generated code only when its plan takes such a layout for some layer.
using System;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;

namespace QuantGen.Generated
{
    /// <summary>
    /// The stacked image of an RGB 3x3 stem (ConvPlan.StemStack): the 27 taps of a position in 7 quads instead of the 9 of
    /// the 4-channel image (one quad per kernel row and pixel pair plus a padding channel), so the implicit im2col tiles
    /// (QuantGenConvKernels.ConvGemmImplicitHigh) do 7/9 of the vpdpbusd work.
    /// </summary>
    internal static class QuantGenStemKernels
    {
        /// <summary>
        /// Stacks the three image rows of each output row: stack[oy * rowStride + px * 9 + i * 3 + ch] =
        /// img[((oy * sh + i) * pw + px) * c + ch] for px &lt; pw, i &lt; 3, ch &lt; 3 (img: a channels-last padded image of c = 3
        /// or 4 bytes per pixel, the first 3 the channels, pw pixels per row); bytes [9 pw, rowStride) of each stacked row are 0. A position (oy, ox) of a 3x3 conv
        /// at column stride sw then reads its 27 taps as one run of 27 bytes at oy * rowStride + 9 sw ox, in the order
        /// (column, row, channel), and a 28th byte that meets a zero weight (rowStride &gt; 9 pw keeps it inside the row).
        /// With AVX-512 VBMI one vpermt2b of the three rows' 32-byte runs writes 7 pixels (63 bytes) per 64-byte store.
        /// </summary>
        [MethodImpl(MethodImplOptions.AggressiveOptimization)]
        public static void StackRows3(ReadOnlySpan<sbyte> img, int c, int pw, int sh, int oh, Span<sbyte> stack, int rowStride)
        {
            int rowBytes = pw * c;
            if ((c != 3 && c != 4) || oh < 1 || pw < 1 || sh < 1 || rowStride <= pw * 9 || stack.Length < oh * rowStride || img.Length < (((oh - 1) * sh) + 3) * rowBytes)
            {
                throw new ArgumentException("StackRows3 needs rowStride > 9 pw and images large enough for oh stacked rows");
            }

            ref sbyte s0 = ref MemoryMarshal.GetReference(img);
            ref sbyte d0 = ref MemoryMarshal.GetReference(stack);
            bool vector = Avx512Vbmi.IsSupported && pw >= 7;
            // Byte j of a step's 64: pixel p = j / 9, kernel row i = (j % 9) / 3, channel j % 3, i.e. byte c p + j % 3 of row i's
            // 32 (rows 0 and 1 in table bytes 0-31 and 32-63, row 2 in 64-95).
            Vector512<byte> idx = c == 3
                ? Vector512.Create((byte)0, 1, 2, 32, 33, 34, 64, 65, 66, 3, 4, 5, 35, 36, 37, 67, 68, 69, 6, 7, 8, 38, 39, 40, 70, 71, 72,
                    9, 10, 11, 41, 42, 43, 73, 74, 75, 12, 13, 14, 44, 45, 46, 76, 77, 78, 15, 16, 17, 47, 48, 49, 79, 80, 81, 18, 19, 20, 50, 51, 52, 82, 83, 84, 21)
                : Vector512.Create((byte)0, 1, 2, 32, 33, 34, 64, 65, 66, 4, 5, 6, 36, 37, 38, 68, 69, 70, 8, 9, 10, 40, 41, 42, 72, 73, 74,
                    12, 13, 14, 44, 45, 46, 76, 77, 78, 16, 17, 18, 48, 49, 50, 80, 81, 82, 20, 21, 22, 52, 53, 54, 84, 85, 86, 24, 25, 26, 56, 57, 58, 88, 89, 90, 28);
            for (int oy = 0; oy < oh; oy++)
            {
                int r0 = oy * sh * rowBytes;
                ref sbyte d = ref Unsafe.Add(ref d0, oy * rowStride);
                int px = 0;
                // The vector steps read 32 bytes from each row at c px (up to 11 or 4 bytes past a row: inside img, checked).
                if (vector && r0 + (2 * rowBytes) + (c * (pw - 7)) + 32 <= img.Length)
                {
                    ref byte a0 = ref Unsafe.As<sbyte, byte>(ref Unsafe.Add(ref s0, r0));
                    ref byte a1 = ref Unsafe.Add(ref a0, rowBytes);
                    ref byte a2 = ref Unsafe.Add(ref a1, rowBytes);
                    for (; ; px += 7)
                    {
                        if (px + 7 > pw)
                        {
                            // The last pixels: one step over the row's last 7 (rewriting some with the same bytes).
                            px = pw - 7;
                        }

                        // Row 0 loaded into a fresh zmm (a ymm load zeroes the upper half), row 1 inserted: Vector512.Create(lo, hi)
                        // inserted both halves into one register, a dependency from each step to the next (~2x slower).
                        Vector512<byte> a = Avx512F.InsertVector256(Vector256.LoadUnsafe(ref a0, (nuint)(c * px)).ToVector512Unsafe(), Vector256.LoadUnsafe(ref a1, (nuint)(c * px)), 1);
                        Vector512<byte> b = Vector256.LoadUnsafe(ref a2, (nuint)(c * px)).ToVector512Unsafe();
                        Avx512Vbmi.PermuteVar64x8x2(a, idx, b).StoreUnsafe(ref Unsafe.As<sbyte, byte>(ref Unsafe.Add(ref d, 9 * px)));
                        if (px + 7 == pw)
                        {
                            break;
                        }
                    }

                    px = pw;
                }

                for (; px < pw; px++)
                {
                    for (int i = 0; i < 3; i++)
                    {
                        ref sbyte s = ref Unsafe.Add(ref s0, r0 + (i * rowBytes) + (c * px));
                        Unsafe.Add(ref d, (9 * px) + (3 * i)) = s;
                        Unsafe.Add(ref d, (9 * px) + (3 * i) + 1) = Unsafe.Add(ref s, 1);
                        Unsafe.Add(ref d, (9 * px) + (3 * i) + 2) = Unsafe.Add(ref s, 2);
                    }
                }

                for (int j = 9 * pw; j < rowStride; j++)
                {
                    Unsafe.Add(ref d, j) = 0;
                }
            }
        }
    }
}
