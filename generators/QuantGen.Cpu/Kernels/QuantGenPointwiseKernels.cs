// QuantGen kernel library: the pointwise (1x1) and small-K convolution GEMM with the int32 multiply-high requantization
// in its store. Emitted into a model's generated code only when its plan takes that form for some layer.
using System;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;

namespace QuantGen.Generated
{
    /// <summary>
    /// <see cref="GemmVnniHigh"/>: QuantGenKernels.GemmVnni's tiles (vpdpbusd on u = a + 128) with a cheaper epilogue. At
    /// K = 8..64 (MobileNet's and DS-CNN's pointwise convs) the int64 requantization of 16 outputs (about 20 vector ops)
    /// costs as much as the vpdpbusd that made them; the multiply-high form takes about 12.
    /// </summary>
    internal static class QuantGenPointwiseKernels
    {
        /// <summary>
        /// y[r * yStride + o] = clamp(zo + ((acc * m + 2^(s - 1)) &gt;&gt; s), lo, hi) for o &lt; n, acc = bias[o] + sum_k a[r, k] w[o, k],
        /// computed in int32 lanes as (hi32(acc * m) + addHi[o]) &gt;&gt; shiftHi[o] with m = mulHi[o], t = shiftHi[o] = s - 32
        /// and addHi[o] = 2^(t - 1) + zo * 2^t. Exact when s &gt;= 33, t &lt;= 30 and |addHi| &lt; 2^30 (the plan proves it per
        /// channel, Conv2dLowering.MulHighApplies): for any int32 acc and m, |acc * m| &lt;= 2^62, so h = floor(acc * m / 2^32)
        /// is within [-2^30, 2^30] and h + addHi cannot overflow; floor(floor(p / 2^32) / 2^t) = floor(p / 2^s), and
        /// 2^(t - 1) * 2^32 = 2^(s - 1), so the rounding term moves in front of the first floor unchanged.
        /// a: int8 rows aStride bytes apart, kQuads * 4 bytes of each readable (bytes past k meet zero weights), run as
        /// u = a + 128; w: [kQuads][np][4] int8 (np = n rounded up to 8); bias (with -128 * sum_k w folded in), mulHi, addHi,
        /// shiftHi: int32, readable up to n rounded up to 16 entries plus one (the odd lanes read mulHi one lane on).
        /// The accumulator range was proven to fit int32, so vpdpbusd's wrapped partial sums end at the exact value.
        /// Needs AVX-VNNI (callers check QuantGenKernels.UseVnni); AVX-512 requantizes 16 lanes at once, AVX2 8.
        /// </summary>
        [MethodImpl(MethodImplOptions.AggressiveOptimization)]
        public static void GemmVnniHigh(ref sbyte a, int rows, int aStride, ref sbyte w, int kQuads, int np, int n,
            ref int bias, ref int mulHi, ref int addHi, ref int shiftHi, int lo, int hi, ref sbyte y, int yStride)
        {
            if (!AvxVnni.IsSupported)
            {
                throw new PlatformNotSupportedException("GemmVnniHigh needs AVX-VNNI; callers check UseVnni");
            }

            var k = new Epilogue(ref bias, ref mulHi, ref addHi, ref shiftHi, lo, hi, n);
            if (Avx512BW.IsSupported && n % 32 == 0)
            {
                // Whole 32-channel blocks (DS-CNN's 64, MobileNet's 32..256): the tiles store whole rows, packed (Rows32).
                Rows32(ref a, rows, aStride, ref w, kQuads, np, ref k, ref y, yStride);
                return;
            }

            int o0 = 0;
            // Channel blocks of 32 outside (their packed weights stay in L1), rows inside; 16 accumulators need AVX-512's
            // 32 vector registers (with 16 the JIT spills), so AVX2 takes 16-channel blocks throughout.
            for (; Avx512F.IsSupported && o0 + 32 <= np; o0 += 32)
            {
                ref sbyte wb = ref Unsafe.Add(ref w, o0 * 4);
                int r = 0;
                for (; r + 4 <= rows; r += 4)
                {
                    Tile4x32(ref Unsafe.Add(ref a, r * aStride), aStride, ref wb, kQuads, np, o0, ref k, ref Unsafe.Add(ref y, r * yStride), yStride);
                }

                for (; r < rows; r++)
                {
                    Row1x32(ref Unsafe.Add(ref a, r * aStride), ref wb, kQuads, np, o0, ref k, ref Unsafe.Add(ref y, r * yStride));
                }
            }

            if (Avx512BW.IsSupported && np == 16)
            {
                // One block of 16 channels (MobileNet's 8 -> 16 pointwise: 2304 rows of K = 8): the rows loop in one method with
                // the store's constants in registers, instead of a call and the constants' loads per 4-row tile.
                if (FlipTiles(aStride, kQuads))
                {
                    Rows16<FlippedRows>(ref a, rows, aStride, ref w, kQuads, ref k, ref y, yStride);
                }
                else
                {
                    Rows16<SignedRows>(ref a, rows, aStride, ref w, kQuads, ref k, ref y, yStride);
                }

                return;
            }

            for (; o0 < np; o0 += 16)
            {
                ref sbyte wb = ref Unsafe.Add(ref w, o0 * 4);
                bool two = o0 + 16 <= np;
                int r = 0;
                for (; r + 4 <= rows; r += 4)
                {
                    Tile4x16(ref Unsafe.Add(ref a, r * aStride), aStride, ref wb, kQuads, np, two, o0, ref k, ref Unsafe.Add(ref y, r * yStride), yStride);
                }

                for (; r < rows; r++)
                {
                    Row1x16(ref Unsafe.Add(ref a, r * aStride), ref wb, kQuads, np, two, o0, ref k, ref Unsafe.Add(ref y, r * yStride));
                }
            }
        }

        /// <summary>
        /// <see cref="GemmVnniHigh"/> into a padded u-image (the producer of a depthwise layer's input, CpuPlan.PaddedImages): row r
        /// goes to y + r * yStride + (r / run) * gap (image rows of run pixels, gap bytes of border between them) and each stored
        /// byte is u = v ^ 0x80 (v + 128 mod 256, after the clamp). The packed 32-channel tiles do both in their store (one
        /// vpxor per stored vector); other paths run one GEMM per image row and flip the bytes after it: the same bytes.
        /// </summary>
        [MethodImpl(MethodImplOptions.AggressiveOptimization)]
        public static void GemmVnniHighImage(ref sbyte a, int rows, int aStride, ref sbyte w, int kQuads, int np, int n,
            ref int bias, ref int mulHi, ref int addHi, ref int shiftHi, int lo, int hi, ref sbyte y, int yStride, int run, int gap)
        {
            if (run <= 0 || gap < 0)
            {
                throw new ArgumentOutOfRangeException(nameof(run));
            }

            if (AvxVnni.IsSupported && Avx512BW.IsSupported && n % 32 == 0)
            {
                var k = new Epilogue(ref bias, ref mulHi, ref addHi, ref shiftHi, lo, hi, n) { Run = run, Gap = gap, Flip = true };
                Rows32(ref a, rows, aStride, ref w, kQuads, np, ref k, ref y, yStride);
                return;
            }

            for (int r0 = 0; r0 < rows; r0 += run)
            {
                int count = rows - r0 < run ? rows - r0 : run;
                ref sbyte yr = ref Unsafe.Add(ref y, (r0 * yStride) + (r0 / run * gap));
                GemmVnniHigh(ref Unsafe.Add(ref a, r0 * aStride), count, aStride, ref w, kQuads, np, n, ref bias, ref mulHi, ref addHi, ref shiftHi, lo, hi, ref yr, yStride);
                for (int i = 0; i < count; i++)
                {
                    for (int o = 0; o < n; o++)
                    {
                        Unsafe.Add(ref yr, (i * yStride) + o) ^= unchecked((sbyte)0x80);
                    }
                }
            }
        }

        /// <summary>The byte offsets of the output rows 0, 1, ...: r * yStride, plus gap after every run rows (a padded image's border).</summary>
        private struct RowCursor
        {
            private readonly nint stride;
            private readonly nint gap;
            private readonly int run;
            private nint next;
            private int col;

            public RowCursor(int yStride, int run, int gap)
            {
                stride = yStride;
                this.gap = gap;
                this.run = gap != 0 ? run : int.MaxValue;
                next = 0;
                col = 0;
            }

            public nint Next()
            {
                nint o = next;
                next += stride;
                if (++col == run)
                {
                    col = 0;
                    next += gap;
                }

                return o;
            }
        }

        /// <summary>The per-layer constants of the store, passed by reference to the tiles.</summary>
        private ref struct Epilogue
        {
            public ref int Bias;
            public ref int MulHi;
            public ref int AddHi;
            public ref int ShiftHi;
            public int Lo;
            public int Hi;
            public int N;

            /// <summary>A padded u-image as the output (<see cref="GemmVnniHighImage"/>): row r at r * yStride + (r / Run) * Gap.</summary>
            public int Run;
            public int Gap;
            public bool Flip;

            /// <summary>The byte offset of output row r.</summary>
            public readonly nint At(int r, int yStride) => Gap == 0 ? (nint)r * yStride : ((nint)r * yStride) + ((nint)(r / Run) * Gap);

            /// <summary>The packed bytes as stored: v, or u = v ^ 0x80 for a padded u-image.</summary>
            public readonly Vector256<sbyte> Out(Vector256<sbyte> v) => Flip ? v ^ Vector256.Create(unchecked((sbyte)0x80)) : v;

            public readonly Vector512<sbyte> Out(Vector512<sbyte> v) => Flip ? v ^ Vector512.Create(unchecked((sbyte)0x80)) : v;

            /// <summary>
            /// Whether the byte clamp after the saturating narrowing does anything: not where [Lo, Hi] covers int8 (the zoo's
            /// pointwise layers: ReLU is their zero point -128), so the packed stores leave out its vpmaxsb and vpminsb.
            /// </summary>
            public readonly bool Clamp => Lo > sbyte.MinValue || Hi < sbyte.MaxValue;

            /// <summary>A bias Add fused into the store (<see cref="GemmVnniHighAddRows"/>): its per-column constants and integers.</summary>
            public bool Post;
            public ref int PostT;
            public ref int PostQ;
            public int PostM;
            public int PostS;
            public int PostLo;
            public int PostHi;

            /// <summary>
            /// <see cref="ZmmStore"/>, read once per kernel call. Read inside the tiles, the static field made them 2.1-2.4x slower
            /// in the generated models (DS-CNN's stem 4.79 us per call against 2.24, ResNet-8's stack3 conv1 14.55 against 6.00;
            /// probably a class-initialization check per tile: the tiles are compiled at their first call, AggressiveOptimization,
            /// which may come before the class's static constructor ran; the probes, which set the field first, did not see it).
            /// </summary>
            public bool Zmm;

            public Epilogue(ref int bias, ref int mulHi, ref int addHi, ref int shiftHi, int lo, int hi, int n)
            {
                Zmm = ZmmStore;
                Bias = ref bias;
                MulHi = ref mulHi;
                AddHi = ref addHi;
                ShiftHi = ref shiftHi;
                Lo = lo;
                Hi = hi;
                N = n;
            }
        }

        /// <summary>
        /// <see cref="GemmVnniHigh"/> followed by the bias Add of QuantGenKernels.AddRowsS8 on its int8 output, in one pass where
        /// AVX-512BW runs the packed 32-channel tiles (n % 32 == 0): the store clamps each requantized lane to [lo, hi] (the
        /// GEMM's int8 value v, exactly as stored alone), forms ((v * m + t[o]) &gt;&gt; s) + q[o] in the same int32 lanes (the plan
        /// proved every intermediate within int32 for every int8 v: AddLowering.AddBiasRows) and narrows that, clamped to
        /// [addLo, addHi], instead of v. Elsewhere the two kernels run one after the other on y (the Add in place: element j of a
        /// row is read before it is written). Both are the reference's two layers to the bit.
        /// </summary>
        [MethodImpl(MethodImplOptions.AggressiveOptimization)]
        public static void GemmVnniHighAddRows(ref sbyte a, int rows, int aStride, ref sbyte w, int kQuads, int np, int n,
            ref int bias, ref int mulHi, ref int addHi, ref int shiftHi, int lo, int hi, int m, ref int t, ref int q, int s, int addLo, int addHiClamp, ref sbyte y, int yStride)
        {
            if (Avx512BW.IsSupported && AvxVnni.IsSupported && n % 32 == 0 && lo >= sbyte.MinValue && hi <= sbyte.MaxValue && addLo >= sbyte.MinValue && addHiClamp <= sbyte.MaxValue)
            {
                var k = new Epilogue(ref bias, ref mulHi, ref addHi, ref shiftHi, lo, hi, n)
                {
                    Post = true,
                    PostT = ref t,
                    PostQ = ref q,
                    PostM = m,
                    PostS = s,
                    PostLo = addLo,
                    PostHi = addHiClamp,
                };
                Rows32(ref a, rows, aStride, ref w, kQuads, np, ref k, ref y, yStride);
                return;
            }

            GemmVnniHigh(ref a, rows, aStride, ref w, kQuads, np, n, ref bias, ref mulHi, ref addHi, ref shiftHi, lo, hi, ref y, yStride);
            ReadOnlySpan<int> tc = MemoryMarshal.CreateReadOnlySpan(ref t, n), qc = MemoryMarshal.CreateReadOnlySpan(ref q, n);
            for (int r = 0; r < rows; r++)
            {
                Span<sbyte> row = MemoryMarshal.CreateSpan(ref Unsafe.Add(ref y, r * yStride), n);
                QuantGenKernels.AddRowsS8(row, n, m, tc, qc, s, addLo, addHiClamp, row);
            }
        }

        /// <summary>
        /// The fused bias Add on 16 lanes of channels o.. o + 15: the GEMM's value clamped to [Lo, Hi] as its own store would,
        /// then ((v * PostM + PostT[o]) &gt;&gt; PostS) + PostQ[o] (QuantGenKernels.AddRowsS8's integers; narrowed by the caller).
        /// </summary>
        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        private static Vector512<int> AddRowsAt(Vector512<int> h, ref Epilogue k, int o)
        {
            Vector512<int> v = Vector512.Min(Vector512.Max(h, Vector512.Create(k.Lo)), Vector512.Create(k.Hi));
            return Vector512.ShiftRightArithmetic((v * Vector512.Create(k.PostM)) + Vector512.LoadUnsafe(ref k.PostT, (nuint)o), k.PostS) + Vector512.LoadUnsafe(ref k.PostQ, (nuint)o);
        }

        [MethodImpl(MethodImplOptions.NoInlining | MethodImplOptions.AggressiveOptimization)]
        private static void Tile4x32(ref sbyte a0, int aStride, ref sbyte wb, int kQuads, int np, int o0, ref Epilogue k, ref sbyte y, int yStride)
        {
            ref sbyte a1 = ref Unsafe.Add(ref a0, aStride);
            ref sbyte a2 = ref Unsafe.Add(ref a1, aStride);
            ref sbyte a3 = ref Unsafe.Add(ref a2, aStride);
            // The accumulators start at the bias (so the store does not add it).
            Vector256<int> b0 = Vector256.LoadUnsafe(ref k.Bias, (nuint)o0), b1 = Vector256.LoadUnsafe(ref k.Bias, (nuint)(o0 + 8));
            Vector256<int> b2 = Vector256.LoadUnsafe(ref k.Bias, (nuint)(o0 + 16)), b3 = Vector256.LoadUnsafe(ref k.Bias, (nuint)(o0 + 24));
            Vector256<int> c00 = b0, c01 = b1, c02 = b2, c03 = b3;
            Vector256<int> c10 = b0, c11 = b1, c12 = b2, c13 = b3;
            Vector256<int> c20 = b0, c21 = b1, c22 = b2, c23 = b3;
            Vector256<int> c30 = b0, c31 = b1, c32 = b2, c33 = b3;
            for (int q = 0; q < kQuads; q++)
            {
                ref sbyte wq = ref Unsafe.Add(ref wb, q * np * 4);
                Vector256<sbyte> w0 = Vector256.LoadUnsafe(ref wq);
                Vector256<sbyte> w1 = Vector256.LoadUnsafe(ref wq, 32);
                Vector256<sbyte> w2 = Vector256.LoadUnsafe(ref wq, 64);
                Vector256<sbyte> w3 = Vector256.LoadUnsafe(ref wq, 96);
                Vector256<byte> b = Quad(ref a0, q);
                c00 = AvxVnni.MultiplyWideningAndAdd(c00, b, w0);
                c01 = AvxVnni.MultiplyWideningAndAdd(c01, b, w1);
                c02 = AvxVnni.MultiplyWideningAndAdd(c02, b, w2);
                c03 = AvxVnni.MultiplyWideningAndAdd(c03, b, w3);
                b = Quad(ref a1, q);
                c10 = AvxVnni.MultiplyWideningAndAdd(c10, b, w0);
                c11 = AvxVnni.MultiplyWideningAndAdd(c11, b, w1);
                c12 = AvxVnni.MultiplyWideningAndAdd(c12, b, w2);
                c13 = AvxVnni.MultiplyWideningAndAdd(c13, b, w3);
                b = Quad(ref a2, q);
                c20 = AvxVnni.MultiplyWideningAndAdd(c20, b, w0);
                c21 = AvxVnni.MultiplyWideningAndAdd(c21, b, w1);
                c22 = AvxVnni.MultiplyWideningAndAdd(c22, b, w2);
                c23 = AvxVnni.MultiplyWideningAndAdd(c23, b, w3);
                b = Quad(ref a3, q);
                c30 = AvxVnni.MultiplyWideningAndAdd(c30, b, w0);
                c31 = AvxVnni.MultiplyWideningAndAdd(c31, b, w1);
                c32 = AvxVnni.MultiplyWideningAndAdd(c32, b, w2);
                c33 = AvxVnni.MultiplyWideningAndAdd(c33, b, w3);
            }

            Store16(c00, c01, o0, ref k, ref y);
            Store16(c02, c03, o0 + 16, ref k, ref y);
            y = ref Unsafe.Add(ref y, yStride);
            Store16(c10, c11, o0, ref k, ref y);
            Store16(c12, c13, o0 + 16, ref k, ref y);
            y = ref Unsafe.Add(ref y, yStride);
            Store16(c20, c21, o0, ref k, ref y);
            Store16(c22, c23, o0 + 16, ref k, ref y);
            y = ref Unsafe.Add(ref y, yStride);
            Store16(c30, c31, o0, ref k, ref y);
            Store16(c32, c33, o0 + 16, ref k, ref y);
        }

        /// <summary>
        /// All rows of a GEMM of whole 32-channel blocks (n % 32 == 0, AVX-512): per block, 4-row tiles (<see cref="Tile4x32Packed{TRows}"/>)
        /// then single rows (<see cref="Row1x32Packed"/>). Their store requantizes 16 lanes with QuantGenKernels.MulHigh16's
        /// integers (the high halves gathered by one vpermt2d), narrows 64 lanes with saturating packs and clamps the bytes:
        /// clamp(sat8(h), lo', hi') = sat8(clamp(h, lo, hi)) with lo' = max(lo, -128), hi' = min(hi, 127). Measured on the Xeon
        /// (pw-probe tiles, 2026-12-06): 0.76..0.90x of the Tile4x32 + Store16 time on DS-CNN's and MobileNet's pointwise shapes.
        /// From K = 32 (<see cref="YmmStoreQuads"/>) the same integers are stored on ymm only (<see cref="Row32"/>), no 512-bit uop.
        /// </summary>
        [MethodImpl(MethodImplOptions.NoInlining | MethodImplOptions.AggressiveOptimization)]
        private static void Rows32(ref sbyte a, int rows, int aStride, ref sbyte w, int kQuads, int np, ref Epilogue k, ref sbyte y, int yStride)
        {
            for (int o0 = 0; o0 < np; o0 += 32)
            {
                ref sbyte wb = ref Unsafe.Add(ref w, o0 * 4);
                // All 4-row tiles of the block in one call (a call per tile cost about as much as the narrowing).
                int r = rows / 4 * 4;
                if (kQuads >= 16 && !k.Post)
                {
                    // K >= 64 (> 32 bytes per row: never flipped rows).
                    Tile4x32Unrolled<SignedRows>(ref a, rows / 4, aStride, ref wb, kQuads, np, o0, ref k, ref Unsafe.Add(ref y, o0), yStride);
                }
                else if (FlipTiles(aStride, kQuads))
                {
                    Tile4x32Packed<FlippedRows>(ref a, rows / 4, aStride, ref wb, kQuads, np, o0, ref k, ref Unsafe.Add(ref y, o0), yStride);
                }
                else
                {
                    Tile4x32Packed<SignedRows>(ref a, rows / 4, aStride, ref wb, kQuads, np, o0, ref k, ref Unsafe.Add(ref y, o0), yStride);
                }

                for (; r < rows; r++)
                {
                    Row1x32Packed(ref Unsafe.Add(ref a, r * aStride), ref wb, kQuads, np, o0, ref k, ref Unsafe.Add(ref y, k.At(r, yStride) + o0));
                }
            }
        }

        /// <summary>
        /// `tiles` tiles of 4 rows x 32 channels, one after the other: the 16 accumulators stay in ymm0-15 (the JIT gives vpdpbusd's
        /// accumulator no other register: a 24-accumulator tile copies 10 of them in and out every quad), then two packed 2-row stores.
        /// </summary>
        [MethodImpl(MethodImplOptions.NoInlining | MethodImplOptions.AggressiveOptimization)]
        private static void Tile4x32Packed<TRows>(ref sbyte a, int tiles, int aStride, ref sbyte wb, int kQuads, int np, int o0, ref Epilogue k, ref sbyte y, int yStride)
            where TRows : struct, IQuadRows
        {
            Span<sbyte> flipped = stackalloc sbyte[FlipBytes];
            var rows = new RowCursor(yStride, k.Run, k.Gap);
            for (int tile = 0; tile < tiles; tile++)
            {
                ref sbyte at = ref Unsafe.Add(ref a, tile * 4 * aStride);
                ref sbyte a0 = ref typeof(TRows) == typeof(FlippedRows) ? ref FlipRows4(ref at, kQuads, ref MemoryMarshal.GetReference(flipped)) : ref at;

                ref sbyte yt = ref Unsafe.Add(ref y, rows.Next());
                ref sbyte yt1 = ref Unsafe.Add(ref y, rows.Next());
                ref sbyte yt2 = ref Unsafe.Add(ref y, rows.Next());
                ref sbyte yt3 = ref Unsafe.Add(ref y, rows.Next());
                ref sbyte a1 = ref Unsafe.Add(ref a0, aStride);
                ref sbyte a2 = ref Unsafe.Add(ref a1, aStride);
                ref sbyte a3 = ref Unsafe.Add(ref a2, aStride);
                Vector256<int> b0 = Vector256.LoadUnsafe(ref k.Bias, (nuint)o0), b1 = Vector256.LoadUnsafe(ref k.Bias, (nuint)(o0 + 8));
                Vector256<int> b2 = Vector256.LoadUnsafe(ref k.Bias, (nuint)(o0 + 16)), b3 = Vector256.LoadUnsafe(ref k.Bias, (nuint)(o0 + 24));
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
                    Vector256<byte> x = default(TRows).Quad(ref a0, q);
                    c00 = AvxVnni.MultiplyWideningAndAdd(c00, x, w0);
                    c01 = AvxVnni.MultiplyWideningAndAdd(c01, x, w1);
                    c02 = AvxVnni.MultiplyWideningAndAdd(c02, x, w2);
                    c03 = AvxVnni.MultiplyWideningAndAdd(c03, x, w3);
                    x = default(TRows).Quad(ref a1, q);
                    c10 = AvxVnni.MultiplyWideningAndAdd(c10, x, w0);
                    c11 = AvxVnni.MultiplyWideningAndAdd(c11, x, w1);
                    c12 = AvxVnni.MultiplyWideningAndAdd(c12, x, w2);
                    c13 = AvxVnni.MultiplyWideningAndAdd(c13, x, w3);
                    x = default(TRows).Quad(ref a2, q);
                    c20 = AvxVnni.MultiplyWideningAndAdd(c20, x, w0);
                    c21 = AvxVnni.MultiplyWideningAndAdd(c21, x, w1);
                    c22 = AvxVnni.MultiplyWideningAndAdd(c22, x, w2);
                    c23 = AvxVnni.MultiplyWideningAndAdd(c23, x, w3);
                    x = default(TRows).Quad(ref a3, q);
                    c30 = AvxVnni.MultiplyWideningAndAdd(c30, x, w0);
                    c31 = AvxVnni.MultiplyWideningAndAdd(c31, x, w1);
                    c32 = AvxVnni.MultiplyWideningAndAdd(c32, x, w2);
                    c33 = AvxVnni.MultiplyWideningAndAdd(c33, x, w3);
                }

                ref int m = ref Unsafe.Add(ref k.MulHi, o0);
                ref int add = ref Unsafe.Add(ref k.AddHi, o0);
                ref int sh = ref Unsafe.Add(ref k.ShiftHi, o0);
                if (k.Post)
                {
                    Vector512<sbyte> plo = Vector512.Create((sbyte)k.PostLo), phi = Vector512.Create((sbyte)k.PostHi);
                    Vector512<sbyte> p01 = QuantGenKernels.PackClampS8(AddRowsAt(High16At(c00, c01, ref m, ref add, ref sh, 0), ref k, o0), AddRowsAt(High16At(c02, c03, ref m, ref add, ref sh, 16), ref k, o0 + 16),
                        AddRowsAt(High16At(c10, c11, ref m, ref add, ref sh, 0), ref k, o0), AddRowsAt(High16At(c12, c13, ref m, ref add, ref sh, 16), ref k, o0 + 16), plo, phi);
                    p01.GetLower().StoreUnsafe(ref yt);
                    p01.GetUpper().StoreUnsafe(ref Unsafe.Add(ref yt, yStride));
                    Vector512<sbyte> p23 = QuantGenKernels.PackClampS8(AddRowsAt(High16At(c20, c21, ref m, ref add, ref sh, 0), ref k, o0), AddRowsAt(High16At(c22, c23, ref m, ref add, ref sh, 16), ref k, o0 + 16),
                        AddRowsAt(High16At(c30, c31, ref m, ref add, ref sh, 0), ref k, o0), AddRowsAt(High16At(c32, c33, ref m, ref add, ref sh, 16), ref k, o0 + 16), plo, phi);
                    p23.GetLower().StoreUnsafe(ref Unsafe.Add(ref yt, 2 * yStride));
                    p23.GetUpper().StoreUnsafe(ref Unsafe.Add(ref yt, 3 * yStride));
                    continue;
                }

                if (kQuads >= YmmStoreQuads && !k.Zmm)
                {
                    Vector256<sbyte> lo8 = Vector256.Create((sbyte)(k.Lo > sbyte.MinValue ? k.Lo : sbyte.MinValue)), hi8 = Vector256.Create((sbyte)(k.Hi < sbyte.MaxValue ? k.Hi : sbyte.MaxValue));
                    Vector256<int> perm = RowPerm;
                    bool clamp8 = k.Clamp;
                    bool flip = k.Flip;
                    Row32(c00, c01, c02, c03, ref m, ref add, ref sh, perm, lo8, hi8, clamp8, flip, ref yt);
                    Row32(c10, c11, c12, c13, ref m, ref add, ref sh, perm, lo8, hi8, clamp8, flip, ref yt1);
                    Row32(c20, c21, c22, c23, ref m, ref add, ref sh, perm, lo8, hi8, clamp8, flip, ref yt2);
                    Row32(c30, c31, c32, c33, ref m, ref add, ref sh, perm, lo8, hi8, clamp8, flip, ref yt3);
                    continue;
                }

                Vector512<sbyte> r01 = Rows2Zmm(c00, c01, c02, c03, c10, c11, c12, c13, ref m, ref add, ref sh, ref k);
                r01.GetLower().StoreUnsafe(ref yt);
                r01.GetUpper().StoreUnsafe(ref yt1);
                Vector512<sbyte> r23 = Rows2Zmm(c20, c21, c22, c23, c30, c31, c32, c33, ref m, ref add, ref sh, ref k);
                r23.GetLower().StoreUnsafe(ref yt2);
                r23.GetUpper().StoreUnsafe(ref yt3);
            }
        }

        /// <summary>
        /// <see cref="Tile4x32Packed{TRows}"/> from K = 64 without the fused Add (DS-CNN's 125 x 64 -&gt; 64, MobileNet's K &gt;= 64 1x1
        /// convs), the same integers and ymm store (<see cref="Row32"/>), with the multiply loop four quads per iteration: the
        /// activations addressed by one native offset, the weights by strides computed once (DOTNET_JitDisasm: about 6 scalar
        /// operations per four quads instead of 7 per quad; scalar operations share ports 0 and 1 with vpdpbusd). A separate
        /// method, so that the K = 16 / 32 tiles' code is left as it was (in one method with it they measured 0.90-0.98x).
        /// </summary>
        [MethodImpl(MethodImplOptions.NoInlining | MethodImplOptions.AggressiveOptimization)]
        private static void Tile4x32Unrolled<TRows>(ref sbyte a, int tiles, int aStride, ref sbyte wb, int kQuads, int np, int o0, ref Epilogue k, ref sbyte y, int yStride)
            where TRows : struct, IQuadRows
        {
            Span<sbyte> flipped = stackalloc sbyte[FlipBytes];
            // The output rows through the image cursor (a producer writing the next layer's padded image: rows yStride apart, a
            // border gap after every k.Run rows), as in Tile4x32Packed.
            var rows = new RowCursor(yStride, k.Run, k.Gap);
            for (int tile = 0; tile < tiles; tile++)
            {
                ref sbyte at = ref Unsafe.Add(ref a, tile * 4 * aStride);
                ref sbyte a0 = ref typeof(TRows) == typeof(FlippedRows) ? ref FlipRows4(ref at, kQuads, ref MemoryMarshal.GetReference(flipped)) : ref at;

                ref sbyte yt = ref Unsafe.Add(ref y, rows.Next());
                ref sbyte yt1 = ref Unsafe.Add(ref y, rows.Next());
                ref sbyte yt2 = ref Unsafe.Add(ref y, rows.Next());
                ref sbyte yt3 = ref Unsafe.Add(ref y, rows.Next());
                ref sbyte a1 = ref Unsafe.Add(ref a0, aStride);
                ref sbyte a2 = ref Unsafe.Add(ref a1, aStride);
                ref sbyte a3 = ref Unsafe.Add(ref a2, aStride);
                Vector256<int> b0 = Vector256.LoadUnsafe(ref k.Bias, (nuint)o0), b1 = Vector256.LoadUnsafe(ref k.Bias, (nuint)(o0 + 8));
                Vector256<int> b2 = Vector256.LoadUnsafe(ref k.Bias, (nuint)(o0 + 16)), b3 = Vector256.LoadUnsafe(ref k.Bias, (nuint)(o0 + 24));
                Vector256<int> c00 = b0, c01 = b1, c02 = b2, c03 = b3;
                Vector256<int> c10 = b0, c11 = b1, c12 = b2, c13 = b3;
                Vector256<int> c20 = b0, c21 = b1, c22 = b2, c23 = b3;
                Vector256<int> c30 = b0, c31 = b1, c32 = b2, c33 = b3;
                ref sbyte wq = ref wb;
                int step = np * 4;
                nint qo = 0, s1 = step, s2 = 2 * step, s3 = 3 * step, s4 = 4 * step;
                for (int i = kQuads >> 2; i > 0; i--)
                {
                    Vector256<sbyte> w0 = Vector256.LoadUnsafe(ref wq);
                    Vector256<sbyte> w1 = Vector256.LoadUnsafe(ref wq, 32);
                    Vector256<sbyte> w2 = Vector256.LoadUnsafe(ref wq, 64);
                    Vector256<sbyte> w3 = Vector256.LoadUnsafe(ref wq, 96);
                    Vector256<byte> x = default(TRows).Quad(ref Unsafe.Add(ref a0, qo), 0);
                    c00 = AvxVnni.MultiplyWideningAndAdd(c00, x, w0);
                    c01 = AvxVnni.MultiplyWideningAndAdd(c01, x, w1);
                    c02 = AvxVnni.MultiplyWideningAndAdd(c02, x, w2);
                    c03 = AvxVnni.MultiplyWideningAndAdd(c03, x, w3);
                    x = default(TRows).Quad(ref Unsafe.Add(ref a1, qo), 0);
                    c10 = AvxVnni.MultiplyWideningAndAdd(c10, x, w0);
                    c11 = AvxVnni.MultiplyWideningAndAdd(c11, x, w1);
                    c12 = AvxVnni.MultiplyWideningAndAdd(c12, x, w2);
                    c13 = AvxVnni.MultiplyWideningAndAdd(c13, x, w3);
                    x = default(TRows).Quad(ref Unsafe.Add(ref a2, qo), 0);
                    c20 = AvxVnni.MultiplyWideningAndAdd(c20, x, w0);
                    c21 = AvxVnni.MultiplyWideningAndAdd(c21, x, w1);
                    c22 = AvxVnni.MultiplyWideningAndAdd(c22, x, w2);
                    c23 = AvxVnni.MultiplyWideningAndAdd(c23, x, w3);
                    x = default(TRows).Quad(ref Unsafe.Add(ref a3, qo), 0);
                    c30 = AvxVnni.MultiplyWideningAndAdd(c30, x, w0);
                    c31 = AvxVnni.MultiplyWideningAndAdd(c31, x, w1);
                    c32 = AvxVnni.MultiplyWideningAndAdd(c32, x, w2);
                    c33 = AvxVnni.MultiplyWideningAndAdd(c33, x, w3);
                    ref sbyte w1q = ref Unsafe.Add(ref wq, s1);
                    w0 = Vector256.LoadUnsafe(ref w1q);
                    w1 = Vector256.LoadUnsafe(ref w1q, 32);
                    w2 = Vector256.LoadUnsafe(ref w1q, 64);
                    w3 = Vector256.LoadUnsafe(ref w1q, 96);
                    x = default(TRows).Quad(ref Unsafe.Add(ref a0, qo), 1);
                    c00 = AvxVnni.MultiplyWideningAndAdd(c00, x, w0);
                    c01 = AvxVnni.MultiplyWideningAndAdd(c01, x, w1);
                    c02 = AvxVnni.MultiplyWideningAndAdd(c02, x, w2);
                    c03 = AvxVnni.MultiplyWideningAndAdd(c03, x, w3);
                    x = default(TRows).Quad(ref Unsafe.Add(ref a1, qo), 1);
                    c10 = AvxVnni.MultiplyWideningAndAdd(c10, x, w0);
                    c11 = AvxVnni.MultiplyWideningAndAdd(c11, x, w1);
                    c12 = AvxVnni.MultiplyWideningAndAdd(c12, x, w2);
                    c13 = AvxVnni.MultiplyWideningAndAdd(c13, x, w3);
                    x = default(TRows).Quad(ref Unsafe.Add(ref a2, qo), 1);
                    c20 = AvxVnni.MultiplyWideningAndAdd(c20, x, w0);
                    c21 = AvxVnni.MultiplyWideningAndAdd(c21, x, w1);
                    c22 = AvxVnni.MultiplyWideningAndAdd(c22, x, w2);
                    c23 = AvxVnni.MultiplyWideningAndAdd(c23, x, w3);
                    x = default(TRows).Quad(ref Unsafe.Add(ref a3, qo), 1);
                    c30 = AvxVnni.MultiplyWideningAndAdd(c30, x, w0);
                    c31 = AvxVnni.MultiplyWideningAndAdd(c31, x, w1);
                    c32 = AvxVnni.MultiplyWideningAndAdd(c32, x, w2);
                    c33 = AvxVnni.MultiplyWideningAndAdd(c33, x, w3);
                    ref sbyte w2q = ref Unsafe.Add(ref wq, s2);
                    w0 = Vector256.LoadUnsafe(ref w2q);
                    w1 = Vector256.LoadUnsafe(ref w2q, 32);
                    w2 = Vector256.LoadUnsafe(ref w2q, 64);
                    w3 = Vector256.LoadUnsafe(ref w2q, 96);
                    x = default(TRows).Quad(ref Unsafe.Add(ref a0, qo), 2);
                    c00 = AvxVnni.MultiplyWideningAndAdd(c00, x, w0);
                    c01 = AvxVnni.MultiplyWideningAndAdd(c01, x, w1);
                    c02 = AvxVnni.MultiplyWideningAndAdd(c02, x, w2);
                    c03 = AvxVnni.MultiplyWideningAndAdd(c03, x, w3);
                    x = default(TRows).Quad(ref Unsafe.Add(ref a1, qo), 2);
                    c10 = AvxVnni.MultiplyWideningAndAdd(c10, x, w0);
                    c11 = AvxVnni.MultiplyWideningAndAdd(c11, x, w1);
                    c12 = AvxVnni.MultiplyWideningAndAdd(c12, x, w2);
                    c13 = AvxVnni.MultiplyWideningAndAdd(c13, x, w3);
                    x = default(TRows).Quad(ref Unsafe.Add(ref a2, qo), 2);
                    c20 = AvxVnni.MultiplyWideningAndAdd(c20, x, w0);
                    c21 = AvxVnni.MultiplyWideningAndAdd(c21, x, w1);
                    c22 = AvxVnni.MultiplyWideningAndAdd(c22, x, w2);
                    c23 = AvxVnni.MultiplyWideningAndAdd(c23, x, w3);
                    x = default(TRows).Quad(ref Unsafe.Add(ref a3, qo), 2);
                    c30 = AvxVnni.MultiplyWideningAndAdd(c30, x, w0);
                    c31 = AvxVnni.MultiplyWideningAndAdd(c31, x, w1);
                    c32 = AvxVnni.MultiplyWideningAndAdd(c32, x, w2);
                    c33 = AvxVnni.MultiplyWideningAndAdd(c33, x, w3);
                    ref sbyte w3q = ref Unsafe.Add(ref wq, s3);
                    w0 = Vector256.LoadUnsafe(ref w3q);
                    w1 = Vector256.LoadUnsafe(ref w3q, 32);
                    w2 = Vector256.LoadUnsafe(ref w3q, 64);
                    w3 = Vector256.LoadUnsafe(ref w3q, 96);
                    x = default(TRows).Quad(ref Unsafe.Add(ref a0, qo), 3);
                    c00 = AvxVnni.MultiplyWideningAndAdd(c00, x, w0);
                    c01 = AvxVnni.MultiplyWideningAndAdd(c01, x, w1);
                    c02 = AvxVnni.MultiplyWideningAndAdd(c02, x, w2);
                    c03 = AvxVnni.MultiplyWideningAndAdd(c03, x, w3);
                    x = default(TRows).Quad(ref Unsafe.Add(ref a1, qo), 3);
                    c10 = AvxVnni.MultiplyWideningAndAdd(c10, x, w0);
                    c11 = AvxVnni.MultiplyWideningAndAdd(c11, x, w1);
                    c12 = AvxVnni.MultiplyWideningAndAdd(c12, x, w2);
                    c13 = AvxVnni.MultiplyWideningAndAdd(c13, x, w3);
                    x = default(TRows).Quad(ref Unsafe.Add(ref a2, qo), 3);
                    c20 = AvxVnni.MultiplyWideningAndAdd(c20, x, w0);
                    c21 = AvxVnni.MultiplyWideningAndAdd(c21, x, w1);
                    c22 = AvxVnni.MultiplyWideningAndAdd(c22, x, w2);
                    c23 = AvxVnni.MultiplyWideningAndAdd(c23, x, w3);
                    x = default(TRows).Quad(ref Unsafe.Add(ref a3, qo), 3);
                    c30 = AvxVnni.MultiplyWideningAndAdd(c30, x, w0);
                    c31 = AvxVnni.MultiplyWideningAndAdd(c31, x, w1);
                    c32 = AvxVnni.MultiplyWideningAndAdd(c32, x, w2);
                    c33 = AvxVnni.MultiplyWideningAndAdd(c33, x, w3);
                    wq = ref Unsafe.Add(ref wq, s4);
                    qo += 16;
                }

                for (int i = kQuads & 3; i > 0; i--)
                {
                    Vector256<sbyte> w0 = Vector256.LoadUnsafe(ref wq);
                    Vector256<sbyte> w1 = Vector256.LoadUnsafe(ref wq, 32);
                    Vector256<sbyte> w2 = Vector256.LoadUnsafe(ref wq, 64);
                    Vector256<sbyte> w3 = Vector256.LoadUnsafe(ref wq, 96);
                    wq = ref Unsafe.Add(ref wq, s1);
                    Vector256<byte> x = default(TRows).Quad(ref Unsafe.Add(ref a0, qo), 0);
                    c00 = AvxVnni.MultiplyWideningAndAdd(c00, x, w0);
                    c01 = AvxVnni.MultiplyWideningAndAdd(c01, x, w1);
                    c02 = AvxVnni.MultiplyWideningAndAdd(c02, x, w2);
                    c03 = AvxVnni.MultiplyWideningAndAdd(c03, x, w3);
                    x = default(TRows).Quad(ref Unsafe.Add(ref a1, qo), 0);
                    c10 = AvxVnni.MultiplyWideningAndAdd(c10, x, w0);
                    c11 = AvxVnni.MultiplyWideningAndAdd(c11, x, w1);
                    c12 = AvxVnni.MultiplyWideningAndAdd(c12, x, w2);
                    c13 = AvxVnni.MultiplyWideningAndAdd(c13, x, w3);
                    x = default(TRows).Quad(ref Unsafe.Add(ref a2, qo), 0);
                    c20 = AvxVnni.MultiplyWideningAndAdd(c20, x, w0);
                    c21 = AvxVnni.MultiplyWideningAndAdd(c21, x, w1);
                    c22 = AvxVnni.MultiplyWideningAndAdd(c22, x, w2);
                    c23 = AvxVnni.MultiplyWideningAndAdd(c23, x, w3);
                    x = default(TRows).Quad(ref Unsafe.Add(ref a3, qo), 0);
                    c30 = AvxVnni.MultiplyWideningAndAdd(c30, x, w0);
                    c31 = AvxVnni.MultiplyWideningAndAdd(c31, x, w1);
                    c32 = AvxVnni.MultiplyWideningAndAdd(c32, x, w2);
                    c33 = AvxVnni.MultiplyWideningAndAdd(c33, x, w3);
                    qo += 4;
                }

                ref int m = ref Unsafe.Add(ref k.MulHi, o0);
                ref int add = ref Unsafe.Add(ref k.AddHi, o0);
                ref int sh = ref Unsafe.Add(ref k.ShiftHi, o0);
                if (k.Zmm)
                {
                    Vector512<sbyte> r01 = Rows2Zmm(c00, c01, c02, c03, c10, c11, c12, c13, ref m, ref add, ref sh, ref k);
                    r01.GetLower().StoreUnsafe(ref yt);
                    r01.GetUpper().StoreUnsafe(ref yt1);
                    Vector512<sbyte> r23 = Rows2Zmm(c20, c21, c22, c23, c30, c31, c32, c33, ref m, ref add, ref sh, ref k);
                    r23.GetLower().StoreUnsafe(ref yt2);
                    r23.GetUpper().StoreUnsafe(ref yt3);
                    continue;
                }

                Vector256<sbyte> lo8 = Vector256.Create((sbyte)(k.Lo > sbyte.MinValue ? k.Lo : sbyte.MinValue)), hi8 = Vector256.Create((sbyte)(k.Hi < sbyte.MaxValue ? k.Hi : sbyte.MaxValue));
                Vector256<int> perm = RowPerm;
                bool clamp8 = k.Clamp;
                bool flip = k.Flip;
                Row32(c00, c01, c02, c03, ref m, ref add, ref sh, perm, lo8, hi8, clamp8, flip, ref yt);
                Row32(c10, c11, c12, c13, ref m, ref add, ref sh, perm, lo8, hi8, clamp8, flip, ref yt1);
                Row32(c20, c21, c22, c23, ref m, ref add, ref sh, perm, lo8, hi8, clamp8, flip, ref yt2);
                Row32(c30, c31, c32, c33, ref m, ref add, ref sh, perm, lo8, hi8, clamp8, flip, ref yt3);
            }
        }

        /// <summary>1 row x 32 channels, even and odd quads in separate chains, one packed 32-byte store.</summary>
        [MethodImpl(MethodImplOptions.NoInlining | MethodImplOptions.AggressiveOptimization)]
        private static void Row1x32Packed(ref sbyte a0, ref sbyte wb, int kQuads, int np, int o0, ref Epilogue k, ref sbyte y)
        {
            Vector256<int> c0 = Vector256.LoadUnsafe(ref k.Bias, (nuint)o0), c1 = Vector256.LoadUnsafe(ref k.Bias, (nuint)(o0 + 8));
            Vector256<int> c2 = Vector256.LoadUnsafe(ref k.Bias, (nuint)(o0 + 16)), c3 = Vector256.LoadUnsafe(ref k.Bias, (nuint)(o0 + 24));
            Vector256<int> d0 = default, d1 = default, d2 = default, d3 = default;
            int step = np * 4;
            int q = 0;
            for (; q + 2 <= kQuads; q += 2)
            {
                ref sbyte wq = ref Unsafe.Add(ref wb, q * step);
                Vector256<byte> b = Quad(ref a0, q);
                c0 = AvxVnni.MultiplyWideningAndAdd(c0, b, Vector256.LoadUnsafe(ref wq));
                c1 = AvxVnni.MultiplyWideningAndAdd(c1, b, Vector256.LoadUnsafe(ref wq, 32));
                c2 = AvxVnni.MultiplyWideningAndAdd(c2, b, Vector256.LoadUnsafe(ref wq, 64));
                c3 = AvxVnni.MultiplyWideningAndAdd(c3, b, Vector256.LoadUnsafe(ref wq, 96));
                wq = ref Unsafe.Add(ref wq, step);
                b = Quad(ref a0, q + 1);
                d0 = AvxVnni.MultiplyWideningAndAdd(d0, b, Vector256.LoadUnsafe(ref wq));
                d1 = AvxVnni.MultiplyWideningAndAdd(d1, b, Vector256.LoadUnsafe(ref wq, 32));
                d2 = AvxVnni.MultiplyWideningAndAdd(d2, b, Vector256.LoadUnsafe(ref wq, 64));
                d3 = AvxVnni.MultiplyWideningAndAdd(d3, b, Vector256.LoadUnsafe(ref wq, 96));
            }

            if (q < kQuads)
            {
                ref sbyte wq = ref Unsafe.Add(ref wb, q * step);
                Vector256<byte> b = Quad(ref a0, q);
                c0 = AvxVnni.MultiplyWideningAndAdd(c0, b, Vector256.LoadUnsafe(ref wq));
                c1 = AvxVnni.MultiplyWideningAndAdd(c1, b, Vector256.LoadUnsafe(ref wq, 32));
                c2 = AvxVnni.MultiplyWideningAndAdd(c2, b, Vector256.LoadUnsafe(ref wq, 64));
                c3 = AvxVnni.MultiplyWideningAndAdd(c3, b, Vector256.LoadUnsafe(ref wq, 96));
            }

            ref int m = ref Unsafe.Add(ref k.MulHi, o0);
            ref int add = ref Unsafe.Add(ref k.AddHi, o0);
            ref int sh = ref Unsafe.Add(ref k.ShiftHi, o0);
            if (!k.Post && kQuads >= YmmStoreQuads)
            {
                Row32(c0 + d0, c1 + d1, c2 + d2, c3 + d3, ref m, ref add, ref sh, RowPerm,
                    Vector256.Create((sbyte)(k.Lo > sbyte.MinValue ? k.Lo : sbyte.MinValue)), Vector256.Create((sbyte)(k.Hi < sbyte.MaxValue ? k.Hi : sbyte.MaxValue)), k.Clamp, k.Flip, ref y);
                return;
            }

            Vector512<sbyte> lo = Vector512.Create((sbyte)(k.Lo > sbyte.MinValue ? k.Lo : sbyte.MinValue)), hi = Vector512.Create((sbyte)(k.Hi < sbyte.MaxValue ? k.Hi : sbyte.MaxValue));
            Vector512<int> h0 = High16At(c0 + d0, c1 + d1, ref m, ref add, ref sh, 0), h1 = High16At(c2 + d2, c3 + d3, ref m, ref add, ref sh, 16);
            if (k.Post)
            {
                h0 = AddRowsAt(h0, ref k, o0);
                h1 = AddRowsAt(h1, ref k, o0 + 16);
                lo = Vector512.Create((sbyte)k.PostLo);
                hi = Vector512.Create((sbyte)k.PostHi);
            }

            k.Out(QuantGenKernels.PackClampS8(h0, h1, h0, h1, lo, hi)).GetLower().StoreUnsafe(ref y);
        }

        /// <summary>
        /// From this many quads (K &gt;= 32) the 32-channel tiles store on ymm only (<see cref="Row32"/>). On the Intel Xeon a 512-bit
        /// uop in flight closes port 1 to vector uops, so the zmm store slowed the tile's ymm vpdpbusd around it: ymm-probe
        /// (2026-12-06) put the ymm store at 1.04-1.54x of the zmm one for K = 32..256 and at 0.90-0.95x for K = 16, where the
        /// store's extra operations outweigh the multiplies it overlaps.
        /// </summary>
        private const int YmmStoreQuads = 8;

        /// <summary>
        /// Whether the 32-channel tiles from K = 32 (<see cref="YmmStoreQuads"/>), the K &gt;= 64 tiles and the 4 x 32 implicit conv
        /// tiles store through the zmm form (<see cref="Pack4"/> of <see cref="High16At"/>: two rows per 512-bit operation) instead
        /// of <see cref="Row32"/>'s ymm form: the same bytes. True on AMD processors (CPUID vendor AuthenticAMD): on Zen 5, whose
        /// 512-bit units are full width, the zmm store measured 1.04-1.11x of the ymm one on DS-CNN's and MobileNet's pointwise
        /// shapes (`store-ab`, BENCHMARKS.md session 17); on the Intel Xeon a 512-bit uop closes port 1 to the ymm vpdpbusd (the
        /// reason for <see cref="YmmStoreQuads"/>). Read once per tile; tests set it to run both forms.
        /// </summary>
        internal static bool ZmmStore = X86Base.IsSupported && IsAmd();

        private static bool IsAmd()
        {
            (int _, int ebx, int ecx, int edx) = X86Base.CpuId(0, 0);
            // "AuthenticAMD": EBX "Auth", EDX "enti", ECX "cAMD" (little-endian dwords).
            return ebx == 0x68747541 && edx == 0x69746E65 && ecx == 0x444D4163;
        }

        /// <summary>
        /// One row's 32 channels (four ymm accumulators in channel order, bias included) requantized by <see cref="High8At"/>,
        /// narrowed by saturating packs (vpackssdw, vpacksswb, within 128-bit lanes), put back in channel order by one vpermd
        /// (perm = <see cref="RowPerm"/>) and clamped on bytes (lo, hi inside int8: the clamp of the int32 values, as in the zmm
        /// store; left out when clamp is false, [lo, hi] = int8), one 32-byte store. No 512-bit operation.
        /// </summary>
        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        private static void Row32(Vector256<int> c0, Vector256<int> c1, Vector256<int> c2, Vector256<int> c3, ref int m, ref int add, ref int sh,
            Vector256<int> perm, Vector256<sbyte> lo, Vector256<sbyte> hi, bool clamp, bool flip, ref sbyte dst)
        {
            Vector256<short> w01 = Avx2.PackSignedSaturate(High8At(c0, ref m, ref add, ref sh, 0), High8At(c1, ref m, ref add, ref sh, 8));
            Vector256<short> w23 = Avx2.PackSignedSaturate(High8At(c2, ref m, ref add, ref sh, 16), High8At(c3, ref m, ref add, ref sh, 24));
            Vector256<sbyte> b = Avx2.PermuteVar8x32(Avx2.PackSignedSaturate(w01, w23).AsInt32(), perm).AsSByte();
            b = clamp ? Vector256.Min(Vector256.Max(b, lo), hi) : b;
            (flip ? b ^ Vector256.Create(unchecked((sbyte)0x80)) : b).StoreUnsafe(ref dst);
        }

        /// <summary>
        /// The zmm store form of two rows of 32 channels (ymm accumulators a0-a3 and b0-b3 in channel order, bias included):
        /// <see cref="High16At"/> on each 16-channel half, <see cref="Pack4"/> with the byte clamp to [Lo, Hi] (left out where it
        /// covers int8), flipped to u for a padded u-image (<see cref="Epilogue.Out(Vector512{sbyte})"/>): row a in the lower 32
        /// bytes, row b in the upper. The same bytes as two <see cref="Row32"/>.
        /// </summary>
        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        private static Vector512<sbyte> Rows2Zmm(Vector256<int> a0, Vector256<int> a1, Vector256<int> a2, Vector256<int> a3, Vector256<int> b0, Vector256<int> b1,
            Vector256<int> b2, Vector256<int> b3, ref int m, ref int add, ref int sh, ref Epilogue k)
        {
            Vector512<sbyte> lo = Vector512.Create((sbyte)(k.Lo > sbyte.MinValue ? k.Lo : sbyte.MinValue)), hi = Vector512.Create((sbyte)(k.Hi < sbyte.MaxValue ? k.Hi : sbyte.MaxValue));
            return k.Out(Pack4(High16At(a0, a1, ref m, ref add, ref sh, 0), High16At(a2, a3, ref m, ref add, ref sh, 16),
                High16At(b0, b1, ref m, ref add, ref sh, 0), High16At(b2, b3, ref m, ref add, ref sh, 16), lo, hi, k.Clamp));
        }

        /// <summary>After <see cref="Row32"/>'s packs dword 2k of a 128-bit lane holds channels 8k.., the lanes' halves: 0-3 8-11 16-19 24-27 | 4-7 12-15 20-23 28-31.</summary>
        private static Vector256<int> RowPerm => Vector256.Create(0, 4, 1, 5, 2, 6, 3, 7);

        /// <summary>
        /// <see cref="High16At"/>'s integers on 8 lanes of one ymm accumulator (channels o .. o + 7): two vpmuldq, one vpermt2d
        /// (AVX-512VL on ymm, a 256-bit operation) taking the high dwords into lane order, vpaddd, vpsravd.
        /// </summary>
        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        private static Vector256<int> High8At(Vector256<int> acc, ref int mulHi, ref int addHi, ref int shiftHi, int o)
        {
            Vector256<long> pe = Avx2.Multiply(acc, Vector256.LoadUnsafe(ref mulHi, (nuint)o));
            Vector256<long> po = Avx2.Multiply(Avx2.ShiftRightLogical(acc.AsInt64(), 32).AsInt32(), Vector256.LoadUnsafe(ref mulHi, (nuint)(o + 1)));
            Vector256<int> h = Avx512F.VL.PermuteVar8x32x2(pe.AsInt32(), Vector256.Create(1, 9, 3, 11, 5, 13, 7, 15), po.AsInt32());
            return Avx2.ShiftRightArithmeticVariable(h + Vector256.LoadUnsafe(ref addHi, (nuint)o), Vector256.LoadUnsafe(ref shiftHi, (nuint)o).AsUInt32());
        }

        /// <summary>
        /// QuantGenKernels.MulHigh16's integers before the clamp, on channels o.. o + 15 of ymm accumulators (bias included):
        /// (hi32(acc * m) + addHi) &gt;&gt; shiftHi, the even and odd products' high halves gathered by one vpermt2d.
        /// </summary>
        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        private static Vector512<int> High16At(Vector256<int> c0, Vector256<int> c1, ref int mulHi, ref int addHi, ref int shiftHi, int o)
        {
            Vector512<int> acc = Join(c0, c1);
            Vector512<long> pe = Avx512F.Multiply(acc, Vector512.LoadUnsafe(ref mulHi, (nuint)o));
            Vector512<long> po = Avx512F.Multiply(Avx512F.ShiftRightLogical(acc.AsInt64(), 32).AsInt32(), Vector512.LoadUnsafe(ref mulHi, (nuint)(o + 1)));
            Vector512<int> h = Avx512F.PermuteVar16x32x2(pe.AsInt32(), Vector512.Create(1, 17, 3, 19, 5, 21, 7, 23, 9, 25, 11, 27, 13, 29, 15, 31), po.AsInt32());
            return Avx512F.ShiftRightArithmeticVariable(h + Vector512.LoadUnsafe(ref addHi, (nuint)o), Vector512.LoadUnsafe(ref shiftHi, (nuint)o).AsUInt32());
        }

        /// <summary>
        /// All rows of a 16-channel GEMM (np == 16, AVX-512): 4-row tiles as <see cref="Tile4x16"/>, stored by the operations of
        /// QuantGenKernels.MulHigh16 on constants loaded once (the same integers; n == yStride == 16: 4 rows packed into one store,
        /// 1.02x on MobileNet's 2304 x 8 -> 16 in pw-probe tiles: that layer is bound elsewhere), the last rows by <see cref="Row1x16"/>.
        /// </summary>
        [MethodImpl(MethodImplOptions.NoInlining | MethodImplOptions.AggressiveOptimization)]
        private static void Rows16<TRows>(ref sbyte a, int rows, int aStride, ref sbyte w, int kQuads, ref Epilogue k, ref sbyte y, int yStride)
            where TRows : struct, IQuadRows
        {
            // The store's constants are read where they are used (memory operands), not held in registers across the rows: held,
            // they took 9 of ymm0-15 and the JIT kept three accumulators in ymm16-18, copied in and out of ymm9 around every
            // vpdpbusd (which it gives ymm0-15 only).
            Span<sbyte> flipped = stackalloc sbyte[FlipBytes];
            int n = k.N, lo8 = k.Lo > sbyte.MinValue ? k.Lo : sbyte.MinValue, hi8 = k.Hi < sbyte.MaxValue ? k.Hi : sbyte.MaxValue;
            bool packed = n == 16 && yStride == 16, clamp = k.Clamp;
            int r = 0;
            for (; r + 4 <= rows; r += 4)
            {
                ref sbyte ar = ref Unsafe.Add(ref a, r * aStride);
                ref sbyte a0 = ref typeof(TRows) == typeof(FlippedRows) ? ref FlipRows4(ref ar, kQuads, ref MemoryMarshal.GetReference(flipped)) : ref ar;

                ref sbyte a1 = ref Unsafe.Add(ref a0, aStride);
                ref sbyte a2 = ref Unsafe.Add(ref a1, aStride);
                ref sbyte a3 = ref Unsafe.Add(ref a2, aStride);
                Vector256<int> b0 = Vector256.LoadUnsafe(ref k.Bias), b1 = Vector256.LoadUnsafe(ref k.Bias, 8);
                Vector256<int> c00 = b0, c01 = b1, c10 = b0, c11 = b1, c20 = b0, c21 = b1, c30 = b0, c31 = b1;
                for (int q = 0; q < kQuads; q++)
                {
                    ref sbyte wq = ref Unsafe.Add(ref w, q * 64);
                    Vector256<sbyte> w0 = Vector256.LoadUnsafe(ref wq), w1 = Vector256.LoadUnsafe(ref wq, 32);
                    Vector256<byte> x = default(TRows).Quad(ref a0, q);
                    c00 = AvxVnni.MultiplyWideningAndAdd(c00, x, w0);
                    c01 = AvxVnni.MultiplyWideningAndAdd(c01, x, w1);
                    x = default(TRows).Quad(ref a1, q);
                    c10 = AvxVnni.MultiplyWideningAndAdd(c10, x, w0);
                    c11 = AvxVnni.MultiplyWideningAndAdd(c11, x, w1);
                    x = default(TRows).Quad(ref a2, q);
                    c20 = AvxVnni.MultiplyWideningAndAdd(c20, x, w0);
                    c21 = AvxVnni.MultiplyWideningAndAdd(c21, x, w1);
                    x = default(TRows).Quad(ref a3, q);
                    c30 = AvxVnni.MultiplyWideningAndAdd(c30, x, w0);
                    c31 = AvxVnni.MultiplyWideningAndAdd(c31, x, w1);
                }

                ref sbyte yr = ref Unsafe.Add(ref y, r * yStride);
                if (packed)
                {
                    // All 16 channels, rows contiguous: the 4 rows narrowed by saturating packs into one vector (row i in bytes
                    // 16 i ..), clamped as bytes (see Rows32), one 64-byte store.
                    Pack4(High16At(c00, c01, ref k.MulHi, ref k.AddHi, ref k.ShiftHi, 0), High16At(c10, c11, ref k.MulHi, ref k.AddHi, ref k.ShiftHi, 0),
                        High16At(c20, c21, ref k.MulHi, ref k.AddHi, ref k.ShiftHi, 0), High16At(c30, c31, ref k.MulHi, ref k.AddHi, ref k.ShiftHi, 0),
                        Vector512.Create((sbyte)lo8), Vector512.Create((sbyte)hi8), clamp).StoreUnsafe(ref yr);
                    continue;
                }

                Vector512<int> mEven = Vector512.LoadUnsafe(ref k.MulHi), mOdd = Vector512.LoadUnsafe(ref k.MulHi, 1);
                Vector512<int> add = Vector512.LoadUnsafe(ref k.AddHi);
                Vector512<uint> shift = Vector512.LoadUnsafe(ref k.ShiftHi).AsUInt32();
                Vector512<int> lo = Vector512.Create(lo8), hi = Vector512.Create(hi8);

                QuantGenKernels.StorePartial16(High16(Join(c00, c01), mEven, mOdd, add, shift, lo, hi), n, ref yr);
                QuantGenKernels.StorePartial16(High16(Join(c10, c11), mEven, mOdd, add, shift, lo, hi), n, ref Unsafe.Add(ref yr, yStride));
                QuantGenKernels.StorePartial16(High16(Join(c20, c21), mEven, mOdd, add, shift, lo, hi), n, ref Unsafe.Add(ref yr, 2 * yStride));
                QuantGenKernels.StorePartial16(High16(Join(c30, c31), mEven, mOdd, add, shift, lo, hi), n, ref Unsafe.Add(ref yr, 3 * yStride));
            }

            for (; r < rows; r++)
            {
                Row1x16(ref Unsafe.Add(ref a, r * aStride), ref w, kQuads, 16, true, 0, ref k, ref Unsafe.Add(ref y, r * yStride));
            }
        }

        /// <summary>
        /// QuantGenKernels.PackClampS8 (64 int32 lanes narrowed with saturation, in order, clamped to [lo, hi] on bytes), the byte
        /// clamp left out when clamp is false: saturation to int8 is then the whole clamp.
        /// </summary>
        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        private static Vector512<sbyte> Pack4(Vector512<int> d0, Vector512<int> d1, Vector512<int> d2, Vector512<int> d3, Vector512<sbyte> lo, Vector512<sbyte> hi, bool clamp)
        {
            if (clamp)
            {
                return QuantGenKernels.PackClampS8(d0, d1, d2, d3, lo, hi);
            }

            Vector512<sbyte> b = Avx512BW.PackSignedSaturate(Avx512BW.PackSignedSaturate(d0, d1), Avx512BW.PackSignedSaturate(d2, d3));
            return Avx512F.PermuteVar16x32(b.AsInt32(), Vector512.Create(0, 4, 8, 12, 1, 5, 9, 13, 2, 6, 10, 14, 3, 7, 11, 15)).AsSByte();
        }

        /// <summary>QuantGenKernels.MulHigh16's operations on 16 lanes with its constants already loaded (lo, hi inside int8).</summary>
        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        private static Vector128<sbyte> High16(Vector512<int> acc, Vector512<int> mEven, Vector512<int> mOdd, Vector512<int> add, Vector512<uint> shift, Vector512<int> lo, Vector512<int> hi)
        {
            Vector512<long> pe = Avx512F.Multiply(acc, mEven);
            Vector512<long> po = Avx512F.Multiply(Avx512F.ShiftRightLogical(acc.AsInt64(), 32).AsInt32(), mOdd);
            Vector512<int> h = Vector512.ConditionalSelect(Vector512.Create(0, -1, 0, -1, 0, -1, 0, -1, 0, -1, 0, -1, 0, -1, 0, -1), po.AsInt32(), Avx512F.ShiftRightLogical(pe, 32).AsInt32());
            h = Avx512F.ShiftRightArithmeticVariable(h + add, shift);
            return Avx512F.ConvertToVector128SByteWithSaturation(Vector512.Min(Vector512.Max(h, lo), hi));
        }

        /// <summary>1 row x 32 channels; even and odd quads in separate chains (a single row is bound by vpdpbusd's latency).</summary>
        [MethodImpl(MethodImplOptions.NoInlining | MethodImplOptions.AggressiveOptimization)]
        private static void Row1x32(ref sbyte a0, ref sbyte wb, int kQuads, int np, int o0, ref Epilogue k, ref sbyte y)
        {
            Vector256<int> c0 = Vector256.LoadUnsafe(ref k.Bias, (nuint)o0), c1 = Vector256.LoadUnsafe(ref k.Bias, (nuint)(o0 + 8));
            Vector256<int> c2 = Vector256.LoadUnsafe(ref k.Bias, (nuint)(o0 + 16)), c3 = Vector256.LoadUnsafe(ref k.Bias, (nuint)(o0 + 24));
            Vector256<int> d0 = default, d1 = default, d2 = default, d3 = default;
            int q = 0;
            for (; q + 2 <= kQuads; q += 2)
            {
                ref sbyte wq = ref Unsafe.Add(ref wb, q * np * 4);
                Vector256<byte> b = Quad(ref a0, q);
                c0 = AvxVnni.MultiplyWideningAndAdd(c0, b, Vector256.LoadUnsafe(ref wq));
                c1 = AvxVnni.MultiplyWideningAndAdd(c1, b, Vector256.LoadUnsafe(ref wq, 32));
                c2 = AvxVnni.MultiplyWideningAndAdd(c2, b, Vector256.LoadUnsafe(ref wq, 64));
                c3 = AvxVnni.MultiplyWideningAndAdd(c3, b, Vector256.LoadUnsafe(ref wq, 96));
                wq = ref Unsafe.Add(ref wq, np * 4);
                b = Quad(ref a0, q + 1);
                d0 = AvxVnni.MultiplyWideningAndAdd(d0, b, Vector256.LoadUnsafe(ref wq));
                d1 = AvxVnni.MultiplyWideningAndAdd(d1, b, Vector256.LoadUnsafe(ref wq, 32));
                d2 = AvxVnni.MultiplyWideningAndAdd(d2, b, Vector256.LoadUnsafe(ref wq, 64));
                d3 = AvxVnni.MultiplyWideningAndAdd(d3, b, Vector256.LoadUnsafe(ref wq, 96));
            }

            if (q < kQuads)
            {
                ref sbyte wq = ref Unsafe.Add(ref wb, q * np * 4);
                Vector256<byte> b = Quad(ref a0, q);
                c0 = AvxVnni.MultiplyWideningAndAdd(c0, b, Vector256.LoadUnsafe(ref wq));
                c1 = AvxVnni.MultiplyWideningAndAdd(c1, b, Vector256.LoadUnsafe(ref wq, 32));
                c2 = AvxVnni.MultiplyWideningAndAdd(c2, b, Vector256.LoadUnsafe(ref wq, 64));
                c3 = AvxVnni.MultiplyWideningAndAdd(c3, b, Vector256.LoadUnsafe(ref wq, 96));
            }

            Store16(c0 + d0, c1 + d1, o0, ref k, ref y);
            Store16(c2 + d2, c3 + d3, o0 + 16, ref k, ref y);
        }

        /// <summary>4 rows x 16 channels (8 when two is false: the second vector's weights are not read).</summary>
        [MethodImpl(MethodImplOptions.NoInlining | MethodImplOptions.AggressiveOptimization)]
        private static void Tile4x16(ref sbyte a0, int aStride, ref sbyte wb, int kQuads, int np, bool two, int o0, ref Epilogue k, ref sbyte y, int yStride)
        {
            ref sbyte a1 = ref Unsafe.Add(ref a0, aStride);
            ref sbyte a2 = ref Unsafe.Add(ref a1, aStride);
            ref sbyte a3 = ref Unsafe.Add(ref a2, aStride);
            Vector256<int> b0 = Vector256.LoadUnsafe(ref k.Bias, (nuint)o0), b1 = Vector256.LoadUnsafe(ref k.Bias, (nuint)(o0 + 8));
            Vector256<int> c00 = b0, c01 = b1, c10 = b0, c11 = b1;
            Vector256<int> c20 = b0, c21 = b1, c30 = b0, c31 = b1;
            for (int q = 0; q < kQuads; q++)
            {
                ref sbyte wq = ref Unsafe.Add(ref wb, q * np * 4);
                Vector256<sbyte> w0 = Vector256.LoadUnsafe(ref wq);
                Vector256<sbyte> w1 = two ? Vector256.LoadUnsafe(ref wq, 32) : default;
                Vector256<byte> b = Quad(ref a0, q);
                c00 = AvxVnni.MultiplyWideningAndAdd(c00, b, w0);
                c01 = AvxVnni.MultiplyWideningAndAdd(c01, b, w1);
                b = Quad(ref a1, q);
                c10 = AvxVnni.MultiplyWideningAndAdd(c10, b, w0);
                c11 = AvxVnni.MultiplyWideningAndAdd(c11, b, w1);
                b = Quad(ref a2, q);
                c20 = AvxVnni.MultiplyWideningAndAdd(c20, b, w0);
                c21 = AvxVnni.MultiplyWideningAndAdd(c21, b, w1);
                b = Quad(ref a3, q);
                c30 = AvxVnni.MultiplyWideningAndAdd(c30, b, w0);
                c31 = AvxVnni.MultiplyWideningAndAdd(c31, b, w1);
            }

            Store16(c00, c01, o0, ref k, ref y);
            Store16(c10, c11, o0, ref k, ref Unsafe.Add(ref y, yStride));
            Store16(c20, c21, o0, ref k, ref Unsafe.Add(ref y, 2 * yStride));
            Store16(c30, c31, o0, ref k, ref Unsafe.Add(ref y, 3 * yStride));
        }

        /// <summary>1 row x 16 (or 8) channels, two quads in flight.</summary>
        [MethodImpl(MethodImplOptions.NoInlining | MethodImplOptions.AggressiveOptimization)]
        private static void Row1x16(ref sbyte a0, ref sbyte wb, int kQuads, int np, bool two, int o0, ref Epilogue k, ref sbyte y)
        {
            Vector256<int> c0 = Vector256.LoadUnsafe(ref k.Bias, (nuint)o0), c1 = Vector256.LoadUnsafe(ref k.Bias, (nuint)(o0 + 8)), d0 = default, d1 = default;
            int step = np * 4;
            int q = 0;
            for (; q + 2 <= kQuads; q += 2)
            {
                ref sbyte wq = ref Unsafe.Add(ref wb, q * step);
                Vector256<byte> b = Quad(ref a0, q), e = Quad(ref a0, q + 1);
                c0 = AvxVnni.MultiplyWideningAndAdd(c0, b, Vector256.LoadUnsafe(ref wq));
                d0 = AvxVnni.MultiplyWideningAndAdd(d0, e, Vector256.LoadUnsafe(ref wq, (nuint)step));
                if (two)
                {
                    c1 = AvxVnni.MultiplyWideningAndAdd(c1, b, Vector256.LoadUnsafe(ref wq, 32));
                    d1 = AvxVnni.MultiplyWideningAndAdd(d1, e, Vector256.LoadUnsafe(ref wq, (nuint)(step + 32)));
                }
            }

            if (q < kQuads)
            {
                ref sbyte wq = ref Unsafe.Add(ref wb, q * step);
                Vector256<byte> b = Quad(ref a0, q);
                c0 = AvxVnni.MultiplyWideningAndAdd(c0, b, Vector256.LoadUnsafe(ref wq));
                c1 = AvxVnni.MultiplyWideningAndAdd(c1, b, two ? Vector256.LoadUnsafe(ref wq, 32) : default);
            }

            Store16(c0 + d0, c1 + d1, o0, ref k, ref y);
        }

        /// <summary>
        /// A convolution with implicit im2col on the 4-row x 32-channel tiles of <see cref="GemmVnniHigh"/> (QuantGenConvKernels.
        /// ConvGemmImplicitHigh's 6 x 16 tiles elsewhere): the GEMM's rows are the output positions, read straight from the padded
        /// channels-last image of u = x + 128 (QuantGenConvKernels.PadImageXor, mask 0x80); quad q of a position's taps lies in
        /// kernel row i = q / (kw * c / 4), at image offset ((y * sh + i) * pw + x * sw) * c + 4 * (q % (kw * c / 4)), the
        /// weights' order [kh * kw * c / 4][np][4]. Per tile 4 positions x 32 channels: 16 accumulators, per quad 4 weight loads
        /// and 4 broadcast loads (no vpxor: the image holds u) for 16 vpdpbusd, then <see cref="Row32"/>'s ymm store (the same
        /// integers as GemmVnniHigh and ConvGemmImplicitHigh: int32 multiply-high, proven exact by the plan for every channel).
        /// A last tile of 1 to 3 positions repeats its last position in the unused rows (computed, not stored). For stems with
        /// few taps per position (DS-CNN's 1-channel 10 x 4 stem, K = 40) the wider tile halves the loads per vpdpbusd of the
        /// 6 x 16 tile. n % 32 == 0, np &gt;= n (np % 8 == 0), kw * c % 4 == 0. Needs AVX-VNNI and AVX-512BW (callers check
        /// <see cref="Implicit32Vector"/> and run QuantGenConvKernels.ConvGemmImplicitHigh elsewhere: the same bytes).
        /// </summary>
        [MethodImpl(MethodImplOptions.AggressiveOptimization)]
        public static void ConvImplicit32High(ReadOnlySpan<sbyte> img, int pw, int c, int kh, int kw, int sh, int sw, int oh, int ow, ref sbyte w, int np, int n,
            ref int bias, ref int mulHi, ref int addHi, ref int shiftHi, int lo, int hi, ref sbyte y, int yStride)
        {
            int rowStride = pw * c, run = kw * c;
            if (!Implicit32Vector || run % 4 != 0 || n % 32 != 0 || np < n || np % 8 != 0 || oh < 1 || ow < 1 || img.Length < (((oh - 1) * sh) + kh) * rowStride
                || ((ow - 1) * sw * c) + run > rowStride || kh * run / 4 > MaxImplicitQuads)
            {
                throw new ArgumentException("ConvImplicit32High needs AVX-VNNI and AVX-512BW (callers check Implicit32Vector), kw * c % 4 == 0, n % 32 == 0, np >= n, at most 1024 tap quads and a large enough image");
            }

            // The image offsets of the quads relative to a position's first tap: one table for every tile.
            int kQuads = kh * run / 4, perRow = run / 4;
            Span<int> quads = stackalloc int[kQuads];
            for (int q = 0; q < kQuads; q++)
            {
                quads[q] = ((q / perRow) * rowStride) + ((q % perRow) * 4);
            }

            var k = new Epilogue(ref bias, ref mulHi, ref addHi, ref shiftHi, lo, hi, n);
            ref sbyte u0 = ref MemoryMarshal.GetReference(img);
            for (int o0 = 0; o0 < n; o0 += 32)
            {
                Implicit4x32(ref u0, ref MemoryMarshal.GetReference(quads), kQuads, sh * rowStride, sw * c, ow, oh * ow, ref Unsafe.Add(ref w, o0 * 4), np, o0, ref k,
                    ref Unsafe.Add(ref y, o0), yStride);
            }
        }

        /// <summary>Whether <see cref="ConvImplicit32High"/> runs on this machine: AVX-VNNI and AVX-512BW (its store's vpermt2d on ymm).</summary>
        public static bool Implicit32Vector => QuantGenKernels.UseVnni && Avx512BW.IsSupported;

        /// <summary>
        /// The most tap quads per position <see cref="ConvImplicit32High"/> takes (its quad table is on the stack); the plan
        /// (Conv2dLowering.Implicit32MaxQuads, the same number) gives larger convs the 6 x 16 tiles.
        /// </summary>
        private const int MaxImplicitQuads = 1024;

        /// <summary>Every tile of 4 positions of one 32-channel block of <see cref="ConvImplicit32High"/>.</summary>
        [MethodImpl(MethodImplOptions.NoInlining | MethodImplOptions.AggressiveOptimization)]
        private static void Implicit4x32(ref sbyte u0, ref int quads, int kQuads, int rowStep, int colStep, int ow, int positions, ref sbyte wb, int np, int o0, ref Epilogue k,
            ref sbyte y, int yStride)
        {
            int step = np * 4;
            int py = 0, px = 0;
            ref int m = ref Unsafe.Add(ref k.MulHi, o0);
            ref int add = ref Unsafe.Add(ref k.AddHi, o0);
            ref int sh = ref Unsafe.Add(ref k.ShiftHi, o0);
            for (int p = 0; p < positions; p += 4)
            {
                int valid = positions - p < 4 ? positions - p : 4;
                int f0 = (py * rowStep) + (px * colStep);
                Advance(ref py, ref px, ow, 1 < valid);
                int f1 = (py * rowStep) + (px * colStep);
                Advance(ref py, ref px, ow, 2 < valid);
                int f2 = (py * rowStep) + (px * colStep);
                Advance(ref py, ref px, ow, 3 < valid);
                int f3 = (py * rowStep) + (px * colStep);
                Advance(ref py, ref px, ow, true);
                ref sbyte r0 = ref Unsafe.Add(ref u0, f0);
                ref sbyte r1 = ref Unsafe.Add(ref u0, f1);
                ref sbyte r2 = ref Unsafe.Add(ref u0, f2);
                ref sbyte r3 = ref Unsafe.Add(ref u0, f3);
                Vector256<int> b0 = Vector256.LoadUnsafe(ref k.Bias, (nuint)o0), b1 = Vector256.LoadUnsafe(ref k.Bias, (nuint)(o0 + 8));
                Vector256<int> b2 = Vector256.LoadUnsafe(ref k.Bias, (nuint)(o0 + 16)), b3 = Vector256.LoadUnsafe(ref k.Bias, (nuint)(o0 + 24));
                Vector256<int> c00 = b0, c01 = b1, c02 = b2, c03 = b3;
                Vector256<int> c10 = b0, c11 = b1, c12 = b2, c13 = b3;
                Vector256<int> c20 = b0, c21 = b1, c22 = b2, c23 = b3;
                Vector256<int> c30 = b0, c31 = b1, c32 = b2, c33 = b3;
                ref sbyte wq = ref wb;
                for (int q = 0; q < kQuads; q++)
                {
                    int o = Unsafe.Add(ref quads, q);
                    Vector256<sbyte> w0 = Vector256.LoadUnsafe(ref wq);
                    Vector256<sbyte> w1 = Vector256.LoadUnsafe(ref wq, 32);
                    Vector256<sbyte> w2 = Vector256.LoadUnsafe(ref wq, 64);
                    Vector256<sbyte> w3 = Vector256.LoadUnsafe(ref wq, 96);
                    wq = ref Unsafe.Add(ref wq, step);
                    Vector256<byte> x = UQuadAt(ref r0, o);
                    c00 = AvxVnni.MultiplyWideningAndAdd(c00, x, w0);
                    c01 = AvxVnni.MultiplyWideningAndAdd(c01, x, w1);
                    c02 = AvxVnni.MultiplyWideningAndAdd(c02, x, w2);
                    c03 = AvxVnni.MultiplyWideningAndAdd(c03, x, w3);
                    x = UQuadAt(ref r1, o);
                    c10 = AvxVnni.MultiplyWideningAndAdd(c10, x, w0);
                    c11 = AvxVnni.MultiplyWideningAndAdd(c11, x, w1);
                    c12 = AvxVnni.MultiplyWideningAndAdd(c12, x, w2);
                    c13 = AvxVnni.MultiplyWideningAndAdd(c13, x, w3);
                    x = UQuadAt(ref r2, o);
                    c20 = AvxVnni.MultiplyWideningAndAdd(c20, x, w0);
                    c21 = AvxVnni.MultiplyWideningAndAdd(c21, x, w1);
                    c22 = AvxVnni.MultiplyWideningAndAdd(c22, x, w2);
                    c23 = AvxVnni.MultiplyWideningAndAdd(c23, x, w3);
                    x = UQuadAt(ref r3, o);
                    c30 = AvxVnni.MultiplyWideningAndAdd(c30, x, w0);
                    c31 = AvxVnni.MultiplyWideningAndAdd(c31, x, w1);
                    c32 = AvxVnni.MultiplyWideningAndAdd(c32, x, w2);
                    c33 = AvxVnni.MultiplyWideningAndAdd(c33, x, w3);
                }

                ref sbyte yt = ref Unsafe.Add(ref y, (nint)p * yStride);
                if (k.Zmm)
                {
                    // Two rows per zmm (Pack4); the rows a last tile repeats are computed, not stored.
                    Vector512<sbyte> r01 = Rows2Zmm(c00, c01, c02, c03, c10, c11, c12, c13, ref m, ref add, ref sh, ref k);
                    r01.GetLower().StoreUnsafe(ref yt);
                    if (valid > 1)
                    {
                        r01.GetUpper().StoreUnsafe(ref Unsafe.Add(ref yt, yStride));
                    }

                    if (valid > 2)
                    {
                        Vector512<sbyte> r23 = Rows2Zmm(c20, c21, c22, c23, c30, c31, c32, c33, ref m, ref add, ref sh, ref k);
                        r23.GetLower().StoreUnsafe(ref Unsafe.Add(ref yt, 2 * yStride));
                        if (valid > 3)
                        {
                            r23.GetUpper().StoreUnsafe(ref Unsafe.Add(ref yt, 3 * yStride));
                        }
                    }

                    continue;
                }

                Vector256<sbyte> lo8 = Vector256.Create((sbyte)(k.Lo > sbyte.MinValue ? k.Lo : sbyte.MinValue)), hi8 = Vector256.Create((sbyte)(k.Hi < sbyte.MaxValue ? k.Hi : sbyte.MaxValue));
                Vector256<int> perm = RowPerm;
                bool clamp8 = k.Clamp;
                Row32(c00, c01, c02, c03, ref m, ref add, ref sh, perm, lo8, hi8, clamp8, false, ref yt);
                if (valid > 1)
                {
                    Row32(c10, c11, c12, c13, ref m, ref add, ref sh, perm, lo8, hi8, clamp8, false, ref Unsafe.Add(ref yt, yStride));
                }

                if (valid > 2)
                {
                    Row32(c20, c21, c22, c23, ref m, ref add, ref sh, perm, lo8, hi8, clamp8, false, ref Unsafe.Add(ref yt, 2 * yStride));
                }

                if (valid > 3)
                {
                    Row32(c30, c31, c32, c33, ref m, ref add, ref sh, perm, lo8, hi8, clamp8, false, ref Unsafe.Add(ref yt, 3 * yStride));
                }
            }
        }

        /// <summary>The next output position of a row-major (py, px) cursor over rows of ow positions, where move is true.</summary>
        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        private static void Advance(ref int py, ref int px, int ow, bool move)
        {
            if (move && ++px == ow)
            {
                px = 0;
                py++;
            }
        }

        /// <summary>4 bytes of u at row + offset broadcast to every int32 lane (a broadcast load).</summary>
        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        private static Vector256<byte> UQuadAt(ref sbyte row, int offset) =>
            Vector256.Create(Unsafe.ReadUnaligned<int>(ref Unsafe.As<sbyte, byte>(ref Unsafe.Add(ref row, offset)))).AsByte();

        /// <summary>
        /// Whether <see cref="Stem8"/> runs on this machine: AVX-VNNI and AVX-512 VBMI (vpmovqd and the byte transpose vpermb);
        /// elsewhere the caller takes the implicit im2col tiles (QuantGenConvKernels.ConvGemmImplicitHigh), the same integers.
        /// </summary>
        public static bool Stem8Vector => QuantGenKernels.UseVnni && Avx512Vbmi.IsSupported;

        /// <summary>
        /// A few-channel stem with 8 output channels (MobileNet's 3x3 stride-2 RGB conv on its 4-channel image), weight
        /// stationary: the lanes are 8 output positions of one output row, not channels. Per tap quad the 8 positions' dwords
        /// of the padded image of u = x + 128 are one 32-byte load (pixel stride sw * c == 4 bytes) or a 64-byte load whose
        /// even dwords one vpermd gathers (sw * c == 8), and meet each channel's weight quad repeated in 8 lanes (the memory
        /// operand of vpdpbusd): 8 accumulators = 8 channels x 8 positions, every vpdpbusd full, no broadcast per multiply.
        /// Two channels' accumulators are requantized as one zmm (the int32 multiply-high form: exact where the plan proved
        /// Conv2dLowering.MulHighApplies for every channel, as <see cref="GemmVnniHigh"/>), narrowed by saturating packs,
        /// transposed to [position][channel] by one vpermb, clamped as bytes to [lo', hi'] = [max(lo, -128), min(hi, 127)]
        /// (clamp(sat8(h), lo', hi') = sat8(clamp(h, lo, hi))) and stored as 64 bytes. A last group of fewer than 8 positions
        /// in a row starts at ow - 8 instead (positions computed twice, the same bytes stored twice).
        /// img: [rows][pw][c] bytes of u, c % 4 == 0, readable 4 bytes past the last tap; w: [kh * kw * c / 4][8][8][4] int8
        /// (each channel's quad 8 times); bias (b - (zx + 128) sum w), mulHi, addHi, shiftHi: 8 channels; y: [oh][ow][8].
        /// The accumulator range was proven to fit int32, so vpdpbusd's wrapped partial sums end at the exact value.
        /// </summary>
        [MethodImpl(MethodImplOptions.AggressiveOptimization)]
        public static void Stem8(ReadOnlySpan<sbyte> img, int pw, int c, int kh, int kw, int sh, int sw, int oh, int ow, ref sbyte w, ref int bias,
            ref int mulHi, ref int addHi, ref int shiftHi, int lo, int hi, ref sbyte y)
        {
            int rowStride = pw * c, step = sw * c;
            if (!Stem8Vector || c % 4 != 0 || (step != 4 && step != 8) || ow < 8
                || img.Length < (((((oh - 1) * sh) + kh - 1) * rowStride) + (((ow - 1) * step) + (kw * c))) + 4)
            {
                throw new ArgumentException("Stem8 needs AVX-VNNI and AVX-512 VBMI (callers check Stem8Vector), c % 4 == 0, sw * c of 4 or 8, 8 output positions a row and a large enough image");
            }

            // The store's constants, read by Groups8 as memory operands: per channel pair P (zmm lanes 0-7 channel 2P, 8-15
            // channel 2P + 1) its m, add and t at [P * 16], [64 + P * 16], [128 + P * 16]; then the vpermb order (16 ints) and
            // the byte clamps (16 ints each). vpermb: output byte p * 8 + o comes from the packs' 128-bit lane (o % 2) * 2 + p / 4,
            // slot (o / 2) * 4 + p % 4 (vpackssdw then vpacksswb put the four pairs' dwords side by side within each lane).
            Span<int> k = stackalloc int[(3 * 64) + 48];
            for (int l = 0; l < 64; l++)
            {
                int o = ((l / 16) * 2) + ((l % 16) / 8);
                k[l] = Unsafe.Add(ref mulHi, o);
                k[64 + l] = Unsafe.Add(ref addHi, o);
                k[128 + l] = Unsafe.Add(ref shiftHi, o);
            }

            Span<byte> order = MemoryMarshal.AsBytes(k.Slice(192, 16));
            for (int b = 0; b < 64; b++)
            {
                int p = b / 8, o = b % 8;
                order[b] = (byte)(((((o % 2) * 2) + (p / 4)) * 16) + ((o / 2) * 4) + (p % 4));
            }

            MemoryMarshal.AsBytes(k.Slice(208, 16)).Fill((byte)(sbyte)(lo > sbyte.MinValue ? (lo < sbyte.MaxValue ? lo : sbyte.MaxValue) : sbyte.MinValue));
            MemoryMarshal.AsBytes(k.Slice(224, 16)).Fill((byte)(sbyte)(hi < sbyte.MaxValue ? (hi > sbyte.MinValue ? hi : sbyte.MinValue) : sbyte.MaxValue));
            // The byte clamp is the identity where [lo', hi'] is all of int8 (MobileNet's stem: ReLU is its zero point -128).
            bool clamp = lo > sbyte.MinValue || hi < sbyte.MaxValue;
            if (step == 8)
            {
                Groups8<EvenDwords>(ref MemoryMarshal.GetReference(img), rowStride, sh, step, oh, ow, kh, kw * c, clamp, ref w, ref bias, ref MemoryMarshal.GetReference(k), ref y);
            }
            else
            {
                Groups8<Dwords>(ref MemoryMarshal.GetReference(img), rowStride, sh, step, oh, ow, kh, kw * c, clamp, ref w, ref bias, ref MemoryMarshal.GetReference(k), ref y);
            }
        }

        /// <summary>
        /// Every group of 8 positions (pixel dwords step bytes apart) x 8 channels over all taps, requantized, stored as
        /// [position][channel]: the output rows and their groups in one method (a call per group, with its arguments on the
        /// stack, cost about as much as the narrowing).
        /// </summary>
        [MethodImpl(MethodImplOptions.NoInlining | MethodImplOptions.AggressiveOptimization)]
        private static void Groups8<TTaps>(ref sbyte u0, int rowStride, int sh, int step, int oh, int ow, int kh, int run, bool clamp, ref sbyte w, ref int bias, ref int k, ref sbyte y)
            where TTaps : struct, IStemTaps
        {
            int gstep = 8 * step;
            for (int yo = 0; yo < oh; yo++)
            {
                int x0 = 0;
                ref sbyte yr = ref Unsafe.Add(ref y, yo * ow * 8);
                for (; x0 + 24 <= ow; x0 += 24)
                {
                    // Three groups of 8 positions at a time, channels 0-3 then 4-7 (Pass3x4): 12 independent accumulator chains
                    // per pass where one group's 8 channels gave 8, so vpdpbusd's latency (5 cycles) no longer limits its issue.
                    ref sbyte r = ref Unsafe.Add(ref u0, (yo * sh * rowStride) + (x0 * step));
                    Pass3x4<TTaps>(ref r, rowStride, gstep, kh, run, ref w, ref bias, 0, ref k, out Vector512<short> p0, out Vector512<short> p1, out Vector512<short> p2);
                    Pass3x4<TTaps>(ref r, rowStride, gstep, kh, run, ref w, ref bias, 4, ref k, out Vector512<short> q0, out Vector512<short> q1, out Vector512<short> q2);
                    Vector512<byte> order = Vector512.LoadUnsafe(ref Unsafe.Add(ref k, 192)).AsByte();
                    Vector512<sbyte> b0 = Avx512Vbmi.PermuteVar64x8(Avx512BW.PackSignedSaturate(p0, q0).AsByte(), order).AsSByte();
                    Vector512<sbyte> b1 = Avx512Vbmi.PermuteVar64x8(Avx512BW.PackSignedSaturate(p1, q1).AsByte(), order).AsSByte();
                    Vector512<sbyte> b2 = Avx512Vbmi.PermuteVar64x8(Avx512BW.PackSignedSaturate(p2, q2).AsByte(), order).AsSByte();
                    if (clamp)
                    {
                        Vector512<sbyte> lo8 = Vector512.LoadUnsafe(ref Unsafe.Add(ref k, 208)).AsSByte(), hi8 = Vector512.LoadUnsafe(ref Unsafe.Add(ref k, 224)).AsSByte();
                        b0 = Vector512.Min(Vector512.Max(b0, lo8), hi8);
                        b1 = Vector512.Min(Vector512.Max(b1, lo8), hi8);
                        b2 = Vector512.Min(Vector512.Max(b2, lo8), hi8);
                    }

                    b0.StoreUnsafe(ref yr, (nuint)(x0 * 8));
                    b1.StoreUnsafe(ref yr, (nuint)((x0 + 8) * 8));
                    b2.StoreUnsafe(ref yr, (nuint)((x0 + 16) * 8));
                }

                for (; x0 < ow; x0 += 8)
                {
                    int xs = x0 + 8 <= ow ? x0 : ow - 8;
                    ref sbyte r = ref Unsafe.Add(ref u0, (yo * sh * rowStride) + (xs * step));
                    Vector256<int> a0 = Vector256.Create(bias), a1 = Vector256.Create(Unsafe.Add(ref bias, 1)), a2 = Vector256.Create(Unsafe.Add(ref bias, 2)), a3 = Vector256.Create(Unsafe.Add(ref bias, 3));
                    Vector256<int> a4 = Vector256.Create(Unsafe.Add(ref bias, 4)), a5 = Vector256.Create(Unsafe.Add(ref bias, 5)), a6 = Vector256.Create(Unsafe.Add(ref bias, 6)), a7 = Vector256.Create(Unsafe.Add(ref bias, 7));
                    ref sbyte wq = ref w;
                    for (int i = 0; i < kh; i++)
                    {
                        ref sbyte ri = ref Unsafe.Add(ref r, i * rowStride);
                        for (int t = 0; t < run; t += 4)
                        {
                            Vector256<byte> v = default(TTaps).Quads(ref Unsafe.Add(ref ri, t));
                            a0 = AvxVnni.MultiplyWideningAndAdd(a0, v, Vector256.LoadUnsafe(ref wq));
                            a1 = AvxVnni.MultiplyWideningAndAdd(a1, v, Vector256.LoadUnsafe(ref wq, 32));
                            a2 = AvxVnni.MultiplyWideningAndAdd(a2, v, Vector256.LoadUnsafe(ref wq, 64));
                            a3 = AvxVnni.MultiplyWideningAndAdd(a3, v, Vector256.LoadUnsafe(ref wq, 96));
                            a4 = AvxVnni.MultiplyWideningAndAdd(a4, v, Vector256.LoadUnsafe(ref wq, 128));
                            a5 = AvxVnni.MultiplyWideningAndAdd(a5, v, Vector256.LoadUnsafe(ref wq, 160));
                            a6 = AvxVnni.MultiplyWideningAndAdd(a6, v, Vector256.LoadUnsafe(ref wq, 192));
                            a7 = AvxVnni.MultiplyWideningAndAdd(a7, v, Vector256.LoadUnsafe(ref wq, 224));
                            wq = ref Unsafe.Add(ref wq, 256);
                        }
                    }

                    // Values are narrowed with saturation and clamped as bytes (lo', hi' inside int8), then put in [position][channel] order.
                    Vector512<short> w01 = Avx512BW.PackSignedSaturate(HighPair(Join(a0, a1), ref k, 0), HighPair(Join(a2, a3), ref k, 16));
                    Vector512<short> w23 = Avx512BW.PackSignedSaturate(HighPair(Join(a4, a5), ref k, 32), HighPair(Join(a6, a7), ref k, 48));
                    Vector512<sbyte> b = Avx512Vbmi.PermuteVar64x8(Avx512BW.PackSignedSaturate(w01, w23).AsByte(), Vector512.LoadUnsafe(ref Unsafe.Add(ref k, 192)).AsByte()).AsSByte();
                    if (clamp)
                    {
                        b = Vector512.Min(Vector512.Max(b, Vector512.LoadUnsafe(ref Unsafe.Add(ref k, 208)).AsSByte()), Vector512.LoadUnsafe(ref Unsafe.Add(ref k, 224)).AsSByte());
                    }

                    b.StoreUnsafe(ref Unsafe.Add(ref y, ((yo * ow) + xs) * 8));
                }
            }
        }

        /// <summary>
        /// Channels c0 .. c0 + 3 of three groups of 8 positions (the groups gstep bytes apart) over all taps: 12 accumulators in
        /// ymm0-15 with the three groups' tap quads (the JIT gives vpdpbusd ymm0-15 only), each channel's weight quad loaded
        /// once per tap for the three groups; then each group's two channel pairs requantized by <see cref="HighPair"/> and
        /// narrowed to int16 by one vpackssdw (the first half of <see cref="Groups8{TTaps}"/>'s narrowing, the same integers).
        /// </summary>
        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        private static void Pass3x4<TTaps>(ref sbyte r, int rowStride, int gstep, int kh, int run, ref sbyte w, ref int bias, int c0, ref int k,
            out Vector512<short> p0, out Vector512<short> p1, out Vector512<short> p2)
            where TTaps : struct, IStemTaps
        {
            Vector256<int> b0 = Vector256.Create(Unsafe.Add(ref bias, c0)), b1 = Vector256.Create(Unsafe.Add(ref bias, c0 + 1));
            Vector256<int> b2 = Vector256.Create(Unsafe.Add(ref bias, c0 + 2)), b3 = Vector256.Create(Unsafe.Add(ref bias, c0 + 3));
            Vector256<int> a00 = b0, a01 = b1, a02 = b2, a03 = b3, a10 = b0, a11 = b1, a12 = b2, a13 = b3, a20 = b0, a21 = b1, a22 = b2, a23 = b3;
            ref sbyte wq = ref Unsafe.Add(ref w, c0 * 32);
            for (int i = 0; i < kh; i++)
            {
                ref sbyte ri = ref Unsafe.Add(ref r, i * rowStride);
                for (int t = 0; t < run; t += 4)
                {
                    Vector256<byte> v0 = default(TTaps).Quads(ref Unsafe.Add(ref ri, t));
                    Vector256<byte> v1 = default(TTaps).Quads(ref Unsafe.Add(ref ri, gstep + t));
                    Vector256<byte> v2 = default(TTaps).Quads(ref Unsafe.Add(ref ri, (2 * gstep) + t));
                    Vector256<sbyte> w0 = Vector256.LoadUnsafe(ref wq), w1 = Vector256.LoadUnsafe(ref wq, 32), w2 = Vector256.LoadUnsafe(ref wq, 64), w3 = Vector256.LoadUnsafe(ref wq, 96);
                    a00 = AvxVnni.MultiplyWideningAndAdd(a00, v0, w0);
                    a10 = AvxVnni.MultiplyWideningAndAdd(a10, v1, w0);
                    a20 = AvxVnni.MultiplyWideningAndAdd(a20, v2, w0);
                    a01 = AvxVnni.MultiplyWideningAndAdd(a01, v0, w1);
                    a11 = AvxVnni.MultiplyWideningAndAdd(a11, v1, w1);
                    a21 = AvxVnni.MultiplyWideningAndAdd(a21, v2, w1);
                    a02 = AvxVnni.MultiplyWideningAndAdd(a02, v0, w2);
                    a12 = AvxVnni.MultiplyWideningAndAdd(a12, v1, w2);
                    a22 = AvxVnni.MultiplyWideningAndAdd(a22, v2, w2);
                    a03 = AvxVnni.MultiplyWideningAndAdd(a03, v0, w3);
                    a13 = AvxVnni.MultiplyWideningAndAdd(a13, v1, w3);
                    a23 = AvxVnni.MultiplyWideningAndAdd(a23, v2, w3);
                    wq = ref Unsafe.Add(ref wq, 256);
                }
            }

            int o = c0 * 8;
            p0 = Avx512BW.PackSignedSaturate(HighPair(Join(a00, a01), ref k, o), HighPair(Join(a02, a03), ref k, o + 16));
            p1 = Avx512BW.PackSignedSaturate(HighPair(Join(a10, a11), ref k, o), HighPair(Join(a12, a13), ref k, o + 16));
            p2 = Avx512BW.PackSignedSaturate(HighPair(Join(a20, a21), ref k, o), HighPair(Join(a22, a23), ref k, o + 16));
        }

        /// <summary>How <see cref="Groups8{TTaps}"/> reads the 8 positions' tap quads: a generic argument, so that its tap loop has no branch.</summary>
        private interface IStemTaps
        {
            Vector256<byte> Quads(ref sbyte at);
        }

        /// <summary>Pixel dwords 4 bytes apart: one 32-byte load.</summary>
        private readonly struct Dwords : IStemTaps
        {
            [MethodImpl(MethodImplOptions.AggressiveInlining)]
            public Vector256<byte> Quads(ref sbyte at) => Vector256.LoadUnsafe(ref Unsafe.As<sbyte, byte>(ref at));
        }

        /// <summary>Pixel dwords 8 bytes apart (stride 2 on 4 channels): the even dwords of a 64-byte load, gathered by one vpermd (vpmovqd takes two uops).</summary>
        private readonly struct EvenDwords : IStemTaps
        {
            [MethodImpl(MethodImplOptions.AggressiveInlining)]
            public Vector256<byte> Quads(ref sbyte at) =>
                Avx512F.PermuteVar16x32(Vector512.LoadUnsafe(ref Unsafe.As<sbyte, int>(ref at)), Vector512.Create(0, 2, 4, 6, 8, 10, 12, 14, 0, 2, 4, 6, 8, 10, 12, 14)).GetLower().AsByte();
        }

        /// <summary>
        /// The int32 multiply-high requantization before the clamp, (hi32(acc * m) + add) &gt;&gt; t, of 16 lanes holding two
        /// channels (lanes 0-7 and 8-15) with the pair's constants at k[o..o + 15], k[64 + o..], k[128 + o..]: every lane pair
        /// shares its m, so vpmuldq of the even lanes and of the odd lanes moved down by a 64-bit shift both meet their own m,
        /// and one vpermt2d gathers the high halves (QuantGenKernels.MulHigh16's integers).
        /// </summary>
        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        private static Vector512<int> HighPair(Vector512<int> acc, ref int k, int o)
        {
            Vector512<int> m = Vector512.LoadUnsafe(ref k, (nuint)o);
            Vector512<long> pe = Avx512F.Multiply(acc, m);
            Vector512<long> po = Avx512F.Multiply(Avx512F.ShiftRightLogical(acc.AsInt64(), 32).AsInt32(), m);
            Vector512<int> h = Avx512F.PermuteVar16x32x2(pe.AsInt32(), Vector512.Create(1, 17, 3, 19, 5, 21, 7, 23, 9, 25, 11, 27, 13, 29, 15, 31), po.AsInt32());
            return Avx512F.ShiftRightArithmeticVariable(h + Vector512.LoadUnsafe(ref k, (nuint)(64 + o)), Vector512.LoadUnsafe(ref k, (nuint)(128 + o)).AsUInt32());
        }

        /// <summary>
        /// Whether the 4-row tiles read their activations pre-flipped (<see cref="FlippedRows"/>): rows packed back to back
        /// (aStride == kQuads * 4, the 1x1 convs' channels-last input) and K &lt;= 32. At K = 8..32 a vpxor per broadcast quad
        /// is one vector operation per 2-4 vpdpbusd; flipping a tile's 4 rows first is 1-4 ymm vpxor for all of them.
        /// </summary>
        private static bool FlipTiles(int aStride, int kQuads) => aStride == kQuads * 4 && kQuads * 16 <= FlipBytes;

        /// <summary>The bytes of 4 rows of at most 32 activations: the flipped tile's stack buffer.</summary>
        private const int FlipBytes = 128;

        /// <summary>
        /// The 4 rows of 4 kQuads bytes each, back to back from a0 (kQuads * 16 &lt;= 128 bytes: <see cref="FlipTiles"/>; not a byte
        /// past them is read), as u = a + 128 (xor 0x80 per byte) into u by ymm and xmm operations (no 512-bit operation: the ymm
        /// stores after K = 32 tiles keep port 1); returns u. The tile's broadcasts then load u's dwords (loads forwarded from
        /// those stores, no vector operation).
        /// </summary>
        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        private static ref sbyte FlipRows4(ref sbyte a0, int kQuads, ref sbyte u)
        {
            int bytes = kQuads * 16, i = 0;
            for (; i + 32 <= bytes; i += 32)
            {
                (Vector256.LoadUnsafe(ref a0, (nuint)i) ^ Vector256.Create(unchecked((sbyte)0x80))).StoreUnsafe(ref u, (nuint)i);
            }

            if (i < bytes)
            {
                (Vector128.LoadUnsafe(ref a0, (nuint)i) ^ Vector128.Create(unchecked((sbyte)0x80))).StoreUnsafe(ref u, (nuint)i);
            }

            return ref u;
        }

        /// <summary>Where a tile's activation quads come from: the int8 rows (flipped per broadcast) or rows already flipped.</summary>
        private interface IQuadRows
        {
            Vector256<byte> Quad(ref sbyte row, int q);
        }

        /// <summary>int8 rows: <see cref="QuantGenPointwiseKernels.Quad"/> (a broadcast load and a vpxor).</summary>
        private readonly struct SignedRows : IQuadRows
        {
            [MethodImpl(MethodImplOptions.AggressiveInlining)]
            public Vector256<byte> Quad(ref sbyte row, int q) => QuantGenPointwiseKernels.Quad(ref row, q);
        }

        /// <summary>Rows of u = a + 128 (<see cref="FlipRows4"/>): a broadcast load only.</summary>
        private readonly struct FlippedRows : IQuadRows
        {
            [MethodImpl(MethodImplOptions.AggressiveInlining)]
            public Vector256<byte> Quad(ref sbyte row, int q) => Vector256.Create(Unsafe.ReadUnaligned<int>(ref Unsafe.As<sbyte, byte>(ref Unsafe.Add(ref row, q * 4)))).AsByte();
        }

        /// <summary>
        /// 4 int8 activations of row a at quad q, broadcast to every int32 lane as u = a + 128 (xor 0x80 per byte): a broadcast
        /// load and a vpxor (QuantGenKernels.Quad's scalar xor + vpbroadcastd from a general register puts two ops on the
        /// vector pipes that vpdpbusd needs).
        /// </summary>
        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        private static Vector256<byte> Quad(ref sbyte a, int q) =>
            (Vector256.Create(Unsafe.ReadUnaligned<int>(ref Unsafe.As<sbyte, byte>(ref Unsafe.Add(ref a, q * 4)))) ^ Vector256.Create(unchecked((int)0x80808080))).AsByte();

        /// <summary>Channels o0 .. o0 + 15 of one row (fewer at the end of the row; bias included), requantized in int32 lanes.</summary>
        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        private static void Store16(Vector256<int> c0, Vector256<int> c1, int o0, ref Epilogue k, ref sbyte yr)
        {
            if (o0 < k.N)
            {
                QuantGenKernels.StoreMulHigh16(c0, c1, o0, k.N - o0, ref k.MulHi, ref k.AddHi, ref k.ShiftHi, k.Lo, k.Hi, ref Unsafe.Add(ref yr, o0));
            }
        }

        /// <summary>
        /// Two ymm halves as one zmm: one vinserti32x8 (Vector512.Create(lo, hi) compiles to a zeroing and two inserts); the same lanes.
        /// </summary>
        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        private static Vector512<int> Join(Vector256<int> lo, Vector256<int> hi) =>
            Avx512F.IsSupported ? Avx512F.InsertVector256(lo.ToVector512Unsafe(), hi, 1) : Vector512.Create(lo, hi);
    }
}
