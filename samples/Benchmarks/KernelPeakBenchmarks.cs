using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;
using BenchmarkDotNet.Attributes;

namespace QuantGen.Benchmarks
{
    /// <summary>
    /// The practical exact-int8 peak of this CPU through .NET intrinsics (AVX-512BW, and AVX-VNNI where AvxVnni.IsSupported).
    /// Each method runs one instruction mix over operands that stay in L1 (a 4 x 64 register tile, 16 accumulators, as a
    /// real GEMM tile would), so the only limit is the execution ports. OperationsPerInvoke = MACs, so the reported time is
    /// nanoseconds per multiply-accumulate: GMAC/s = 1 / time. Mixes:
    ///  - Int16Pairs: vpmaddwd on int16-widened weight pairs x a broadcast int16 input pair, vpaddd (the generated GEMM's mix);
    ///    exact for every int8 value.
    ///  - SignExtend: int8 weights sign-extended in the loop (vpmovsxbw) then vpmaddwd + vpaddd; exact for every value.
    ///  - Maddubs: |a| (vpabsb) x sign-transferred w (masked negate) through vpmaddubsw, vpmaddwd by ones, vpaddd;
    ///    exact when weights are in [-127, 127].
    ///  - DotS8Fast: the previous kernel's shape (one output per dot product, horizontal sum at the end), for reference.
    ///  - Vnni4x32 / Vnni6x32: vpdpbusd (AvxVnni.MultiplyWideningAndAdd, u8 x s8, 4 products per int32 lane, non-saturating)
    ///    on 256-bit vectors, 4 or 6 rows x 32 channels (16 or 24 ymm accumulators: the JIT encodes it EVEX and uses ymm16-31).
    ///    Exact for every int8 value when the activations run as u = x + 128 and -128 * sum(w) is folded into the bias.
    /// </summary>
    public class KernelPeakBenchmarks
    {
        private const int Pairs = 64;           // 128 int8 inputs per row (int16 weights: 16 KB, in L1)
        private const int Steps = 128;          // repetitions over the same L1-resident operands
        private readonly short[] w16 = new short[Pairs * 128];   // [pairs][64 channels][2]
        private readonly sbyte[] w8 = new sbyte[Pairs * 128];
        private readonly short[] a16 = new short[4 * Pairs * 2];
        private readonly sbyte[] a8 = new sbyte[4 * Pairs * 4];
        private readonly int[] sink = new int[16 * 16];

        public KernelPeakBenchmarks()
        {
            var rng = new System.Random(1);
            for (int i = 0; i < w16.Length; i++)
            {
                w8[i] = (sbyte)rng.Next(-127, 128);
                w16[i] = w8[i];
            }

            for (int i = 0; i < a16.Length; i++)
            {
                a16[i] = (short)rng.Next(-128, 128);
            }

            for (int i = 0; i < a8.Length; i++)
            {
                a8[i] = (sbyte)rng.Next(-128, 128);
            }

            for (int i = 0; i < u8.Length; i++)
            {
                u8[i] = (byte)rng.Next(0, 256);
            }
        }

        private const int MacsInt16 = Steps * Pairs * 4 * 64 * 2;

        [Benchmark(OperationsPerInvoke = MacsInt16)]
        public void Int16Pairs()
        {
            ref short w = ref w16[0];
            ref int a0 = ref Unsafe.As<short, int>(ref a16[0]);
            Vector512<int> c00 = default, c01 = default, c02 = default, c03 = default, c10 = default, c11 = default, c12 = default, c13 = default;
            Vector512<int> c20 = default, c21 = default, c22 = default, c23 = default, c30 = default, c31 = default, c32 = default, c33 = default;
            for (int s = 0; s < Steps; s++)
            {
                for (int p = 0; p < Pairs; p++)
                {
                    ref short wp = ref Unsafe.Add(ref w, p * 128);
                    Vector512<short> w0 = Vector512.LoadUnsafe(ref wp), w1 = Vector512.LoadUnsafe(ref wp, 32), w2 = Vector512.LoadUnsafe(ref wp, 64), w3 = Vector512.LoadUnsafe(ref wp, 96);
                    Vector512<short> b = Vector512.Create(Unsafe.Add(ref a0, p)).AsInt16();
                    c00 += Avx512BW.MultiplyAddAdjacent(w0, b); c01 += Avx512BW.MultiplyAddAdjacent(w1, b); c02 += Avx512BW.MultiplyAddAdjacent(w2, b); c03 += Avx512BW.MultiplyAddAdjacent(w3, b);
                    b = Vector512.Create(Unsafe.Add(ref a0, p + Pairs)).AsInt16();
                    c10 += Avx512BW.MultiplyAddAdjacent(w0, b); c11 += Avx512BW.MultiplyAddAdjacent(w1, b); c12 += Avx512BW.MultiplyAddAdjacent(w2, b); c13 += Avx512BW.MultiplyAddAdjacent(w3, b);
                    b = Vector512.Create(Unsafe.Add(ref a0, p + (2 * Pairs))).AsInt16();
                    c20 += Avx512BW.MultiplyAddAdjacent(w0, b); c21 += Avx512BW.MultiplyAddAdjacent(w1, b); c22 += Avx512BW.MultiplyAddAdjacent(w2, b); c23 += Avx512BW.MultiplyAddAdjacent(w3, b);
                    b = Vector512.Create(Unsafe.Add(ref a0, p + (3 * Pairs))).AsInt16();
                    c30 += Avx512BW.MultiplyAddAdjacent(w0, b); c31 += Avx512BW.MultiplyAddAdjacent(w1, b); c32 += Avx512BW.MultiplyAddAdjacent(w2, b); c33 += Avx512BW.MultiplyAddAdjacent(w3, b);
                }
            }

            Store(c00 + c01 + c02 + c03 + c10 + c11 + c12 + c13 + c20 + c21 + c22 + c23 + c30 + c31 + c32 + c33);
        }

        [Benchmark(OperationsPerInvoke = MacsInt16)]
        public void SignExtend()
        {
            ref sbyte w = ref w8[0];
            ref int a0 = ref Unsafe.As<short, int>(ref a16[0]);
            Vector512<int> c00 = default, c01 = default, c02 = default, c03 = default, c10 = default, c11 = default, c12 = default, c13 = default;
            Vector512<int> c20 = default, c21 = default, c22 = default, c23 = default, c30 = default, c31 = default, c32 = default, c33 = default;
            for (int s = 0; s < Steps; s++)
            {
                for (int p = 0; p < Pairs; p++)
                {
                    ref sbyte wp = ref Unsafe.Add(ref w, p * 128);
                    Vector512<short> w0 = Avx512BW.ConvertToVector512Int16(Vector256.LoadUnsafe(ref wp)), w1 = Avx512BW.ConvertToVector512Int16(Vector256.LoadUnsafe(ref wp, 32));
                    Vector512<short> w2 = Avx512BW.ConvertToVector512Int16(Vector256.LoadUnsafe(ref wp, 64)), w3 = Avx512BW.ConvertToVector512Int16(Vector256.LoadUnsafe(ref wp, 96));
                    Vector512<short> b = Vector512.Create(Unsafe.Add(ref a0, p)).AsInt16();
                    c00 += Avx512BW.MultiplyAddAdjacent(w0, b); c01 += Avx512BW.MultiplyAddAdjacent(w1, b); c02 += Avx512BW.MultiplyAddAdjacent(w2, b); c03 += Avx512BW.MultiplyAddAdjacent(w3, b);
                    b = Vector512.Create(Unsafe.Add(ref a0, p + Pairs)).AsInt16();
                    c10 += Avx512BW.MultiplyAddAdjacent(w0, b); c11 += Avx512BW.MultiplyAddAdjacent(w1, b); c12 += Avx512BW.MultiplyAddAdjacent(w2, b); c13 += Avx512BW.MultiplyAddAdjacent(w3, b);
                    b = Vector512.Create(Unsafe.Add(ref a0, p + (2 * Pairs))).AsInt16();
                    c20 += Avx512BW.MultiplyAddAdjacent(w0, b); c21 += Avx512BW.MultiplyAddAdjacent(w1, b); c22 += Avx512BW.MultiplyAddAdjacent(w2, b); c23 += Avx512BW.MultiplyAddAdjacent(w3, b);
                    b = Vector512.Create(Unsafe.Add(ref a0, p + (3 * Pairs))).AsInt16();
                    c30 += Avx512BW.MultiplyAddAdjacent(w0, b); c31 += Avx512BW.MultiplyAddAdjacent(w1, b); c32 += Avx512BW.MultiplyAddAdjacent(w2, b); c33 += Avx512BW.MultiplyAddAdjacent(w3, b);
                }
            }

            Store(c00 + c01 + c02 + c03 + c10 + c11 + c12 + c13 + c20 + c21 + c22 + c23 + c30 + c31 + c32 + c33);
        }

        // Maddubs: per step 4 rows x 4 weight vectors of 64 int8 (16 channels x 4 inputs), 4 input bytes broadcast per row.
        private const int MacsMaddubs = Steps * (Pairs / 2) * 4 * 4 * 64;

        [Benchmark(OperationsPerInvoke = MacsMaddubs)]
        public void Maddubs()
        {
            ref sbyte w = ref w8[0];
            ref int a0 = ref Unsafe.As<sbyte, int>(ref a8[0]);
            Vector512<short> ones = Vector512.Create((short)1);
            Vector512<int> c00 = default, c01 = default, c02 = default, c03 = default, c10 = default, c11 = default, c12 = default, c13 = default;
            Vector512<int> c20 = default, c21 = default, c22 = default, c23 = default, c30 = default, c31 = default, c32 = default, c33 = default;
            for (int s = 0; s < Steps; s++)
            {
                for (int q = 0; q < Pairs / 2; q++)
                {
                    ref sbyte wp = ref Unsafe.Add(ref w, q * 256);
                    Vector512<sbyte> w0 = Vector512.LoadUnsafe(ref wp), w1 = Vector512.LoadUnsafe(ref wp, 64), w2 = Vector512.LoadUnsafe(ref wp, 128), w3 = Vector512.LoadUnsafe(ref wp, 192);
                    Vector512<sbyte> n0 = -w0, n1 = -w1, n2 = -w2, n3 = -w3;
                    Row(Vector512.Create(Unsafe.Add(ref a0, q)).AsSByte(), w0, w1, w2, w3, n0, n1, n2, n3, ones, ref c00, ref c01, ref c02, ref c03);
                    Row(Vector512.Create(Unsafe.Add(ref a0, q + Pairs)).AsSByte(), w0, w1, w2, w3, n0, n1, n2, n3, ones, ref c10, ref c11, ref c12, ref c13);
                    Row(Vector512.Create(Unsafe.Add(ref a0, q + (2 * Pairs))).AsSByte(), w0, w1, w2, w3, n0, n1, n2, n3, ones, ref c20, ref c21, ref c22, ref c23);
                    Row(Vector512.Create(Unsafe.Add(ref a0, q + (3 * Pairs))).AsSByte(), w0, w1, w2, w3, n0, n1, n2, n3, ones, ref c30, ref c31, ref c32, ref c33);
                }
            }

            Store(c00 + c01 + c02 + c03 + c10 + c11 + c12 + c13 + c20 + c21 + c22 + c23 + c30 + c31 + c32 + c33);
        }

        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        private static void Row(Vector512<sbyte> a, Vector512<sbyte> w0, Vector512<sbyte> w1, Vector512<sbyte> w2, Vector512<sbyte> w3, Vector512<sbyte> n0, Vector512<sbyte> n1, Vector512<sbyte> n2, Vector512<sbyte> n3, Vector512<short> ones, ref Vector512<int> c0, ref Vector512<int> c1, ref Vector512<int> c2, ref Vector512<int> c3)
        {
            Vector512<byte> abs = Avx512BW.Abs(a);
            Vector512<sbyte> neg = Vector512.LessThan(a, Vector512<sbyte>.Zero);
            c0 += Avx512BW.MultiplyAddAdjacent(Avx512BW.MultiplyAddAdjacent(abs, Vector512.ConditionalSelect(neg, n0, w0)), ones);
            c1 += Avx512BW.MultiplyAddAdjacent(Avx512BW.MultiplyAddAdjacent(abs, Vector512.ConditionalSelect(neg, n1, w1)), ones);
            c2 += Avx512BW.MultiplyAddAdjacent(Avx512BW.MultiplyAddAdjacent(abs, Vector512.ConditionalSelect(neg, n2, w2)), ones);
            c3 += Avx512BW.MultiplyAddAdjacent(Avx512BW.MultiplyAddAdjacent(abs, Vector512.ConditionalSelect(neg, n3, w3)), ones);
        }

        // DotS8Fast shape: 64 outputs, each a dot product of 256 int8 with a horizontal sum at the end.
        private const int MacsDot = Steps * 64 * 256;

        [Benchmark(OperationsPerInvoke = MacsDot)]
        public void DotS8FastShape()
        {
            int total = 0;
            Vector512<short> ones = Vector512.Create((short)1);
            for (int s = 0; s < Steps; s++)
            {
                for (int o = 0; o < 64; o++)
                {
                    Vector512<int> acc = Vector512<int>.Zero;
                    for (int i = 0; i < 256; i += 64)
                    {
                        Vector512<sbyte> xv = Vector512.LoadUnsafe(ref a8[0], (nuint)i);
                        Vector512<sbyte> wv = Vector512.LoadUnsafe(ref w8[0], (nuint)((o * 256) + i));
                        Vector512<sbyte> signed = Vector512.ConditionalSelect(Vector512.LessThan(xv, Vector512<sbyte>.Zero), Vector512<sbyte>.Zero - wv, wv);
                        acc += Avx512BW.MultiplyAddAdjacent(Avx512BW.MultiplyAddAdjacent(Avx512BW.Abs(xv), signed), ones);
                    }

                    total += Vector512.Sum(acc);
                }
            }

            sink[0] = total;
        }

        // Vnni: per step 4 (or 6) rows x 4 weight vectors of 32 bytes (8 channels x 4 inputs), 4 input bytes broadcast per row.
        private const int Quads = Pairs;        // 256 int8 inputs per row; w8 holds [quads][32 channels][4]
        private const int MacsVnni4 = Steps * Quads * 4 * 32 * 4;
        private const int MacsVnni6 = Steps * Quads * 6 * 32 * 4;
        private readonly byte[] u8 = new byte[6 * Quads * 4];

        [Benchmark(OperationsPerInvoke = MacsVnni4)]
        public void Vnni4x32()
        {
            if (!AvxVnni.IsSupported)
            {
                throw new System.PlatformNotSupportedException("AVX-VNNI is not available on this machine");
            }

            ref sbyte w = ref w8[0];
            ref int a0 = ref Unsafe.As<byte, int>(ref u8[0]);
            Vector256<int> c00 = default, c01 = default, c02 = default, c03 = default, c10 = default, c11 = default, c12 = default, c13 = default;
            Vector256<int> c20 = default, c21 = default, c22 = default, c23 = default, c30 = default, c31 = default, c32 = default, c33 = default;
            for (int s = 0; s < Steps; s++)
            {
                for (int q = 0; q < Quads; q++)
                {
                    ref sbyte wp = ref Unsafe.Add(ref w, q * 128);
                    Vector256<sbyte> w0 = Vector256.LoadUnsafe(ref wp), w1 = Vector256.LoadUnsafe(ref wp, 32), w2 = Vector256.LoadUnsafe(ref wp, 64), w3 = Vector256.LoadUnsafe(ref wp, 96);
                    Vector256<byte> b = Vector256.Create(Unsafe.Add(ref a0, q)).AsByte();
                    c00 = AvxVnni.MultiplyWideningAndAdd(c00, b, w0); c01 = AvxVnni.MultiplyWideningAndAdd(c01, b, w1); c02 = AvxVnni.MultiplyWideningAndAdd(c02, b, w2); c03 = AvxVnni.MultiplyWideningAndAdd(c03, b, w3);
                    b = Vector256.Create(Unsafe.Add(ref a0, q + Quads)).AsByte();
                    c10 = AvxVnni.MultiplyWideningAndAdd(c10, b, w0); c11 = AvxVnni.MultiplyWideningAndAdd(c11, b, w1); c12 = AvxVnni.MultiplyWideningAndAdd(c12, b, w2); c13 = AvxVnni.MultiplyWideningAndAdd(c13, b, w3);
                    b = Vector256.Create(Unsafe.Add(ref a0, q + (2 * Quads))).AsByte();
                    c20 = AvxVnni.MultiplyWideningAndAdd(c20, b, w0); c21 = AvxVnni.MultiplyWideningAndAdd(c21, b, w1); c22 = AvxVnni.MultiplyWideningAndAdd(c22, b, w2); c23 = AvxVnni.MultiplyWideningAndAdd(c23, b, w3);
                    b = Vector256.Create(Unsafe.Add(ref a0, q + (3 * Quads))).AsByte();
                    c30 = AvxVnni.MultiplyWideningAndAdd(c30, b, w0); c31 = AvxVnni.MultiplyWideningAndAdd(c31, b, w1); c32 = AvxVnni.MultiplyWideningAndAdd(c32, b, w2); c33 = AvxVnni.MultiplyWideningAndAdd(c33, b, w3);
                }
            }

            Store(c00 + c01 + c02 + c03 + c10 + c11 + c12 + c13 + c20 + c21 + c22 + c23 + c30 + c31 + c32 + c33);
        }

        [Benchmark(OperationsPerInvoke = MacsVnni6)]
        public void Vnni6x32()
        {
            if (!AvxVnni.IsSupported)
            {
                throw new System.PlatformNotSupportedException("AVX-VNNI is not available on this machine");
            }

            ref sbyte w = ref w8[0];
            ref int a0 = ref Unsafe.As<byte, int>(ref u8[0]);
            Vector256<int> c00 = default, c01 = default, c02 = default, c03 = default, c10 = default, c11 = default, c12 = default, c13 = default;
            Vector256<int> c20 = default, c21 = default, c22 = default, c23 = default, c30 = default, c31 = default, c32 = default, c33 = default;
            Vector256<int> c40 = default, c41 = default, c42 = default, c43 = default, c50 = default, c51 = default, c52 = default, c53 = default;
            for (int s = 0; s < Steps; s++)
            {
                for (int q = 0; q < Quads; q++)
                {
                    ref sbyte wp = ref Unsafe.Add(ref w, q * 128);
                    Vector256<sbyte> w0 = Vector256.LoadUnsafe(ref wp), w1 = Vector256.LoadUnsafe(ref wp, 32), w2 = Vector256.LoadUnsafe(ref wp, 64), w3 = Vector256.LoadUnsafe(ref wp, 96);
                    Vector256<byte> b = Vector256.Create(Unsafe.Add(ref a0, q)).AsByte();
                    c00 = AvxVnni.MultiplyWideningAndAdd(c00, b, w0); c01 = AvxVnni.MultiplyWideningAndAdd(c01, b, w1); c02 = AvxVnni.MultiplyWideningAndAdd(c02, b, w2); c03 = AvxVnni.MultiplyWideningAndAdd(c03, b, w3);
                    b = Vector256.Create(Unsafe.Add(ref a0, q + Quads)).AsByte();
                    c10 = AvxVnni.MultiplyWideningAndAdd(c10, b, w0); c11 = AvxVnni.MultiplyWideningAndAdd(c11, b, w1); c12 = AvxVnni.MultiplyWideningAndAdd(c12, b, w2); c13 = AvxVnni.MultiplyWideningAndAdd(c13, b, w3);
                    b = Vector256.Create(Unsafe.Add(ref a0, q + (2 * Quads))).AsByte();
                    c20 = AvxVnni.MultiplyWideningAndAdd(c20, b, w0); c21 = AvxVnni.MultiplyWideningAndAdd(c21, b, w1); c22 = AvxVnni.MultiplyWideningAndAdd(c22, b, w2); c23 = AvxVnni.MultiplyWideningAndAdd(c23, b, w3);
                    b = Vector256.Create(Unsafe.Add(ref a0, q + (3 * Quads))).AsByte();
                    c30 = AvxVnni.MultiplyWideningAndAdd(c30, b, w0); c31 = AvxVnni.MultiplyWideningAndAdd(c31, b, w1); c32 = AvxVnni.MultiplyWideningAndAdd(c32, b, w2); c33 = AvxVnni.MultiplyWideningAndAdd(c33, b, w3);
                    b = Vector256.Create(Unsafe.Add(ref a0, q + (4 * Quads))).AsByte();
                    c40 = AvxVnni.MultiplyWideningAndAdd(c40, b, w0); c41 = AvxVnni.MultiplyWideningAndAdd(c41, b, w1); c42 = AvxVnni.MultiplyWideningAndAdd(c42, b, w2); c43 = AvxVnni.MultiplyWideningAndAdd(c43, b, w3);
                    b = Vector256.Create(Unsafe.Add(ref a0, q + (5 * Quads))).AsByte();
                    c50 = AvxVnni.MultiplyWideningAndAdd(c50, b, w0); c51 = AvxVnni.MultiplyWideningAndAdd(c51, b, w1); c52 = AvxVnni.MultiplyWideningAndAdd(c52, b, w2); c53 = AvxVnni.MultiplyWideningAndAdd(c53, b, w3);
                }
            }

            Store(c00 + c01 + c02 + c03 + c10 + c11 + c12 + c13 + c20 + c21 + c22 + c23 + c30 + c31 + c32 + c33);
            Store(c40 + c41 + c42 + c43 + c50 + c51 + c52 + c53);
        }

        private void Store(Vector256<int> v) => v.CopyTo(sink);

        private void Store(Vector512<int> v) => v.CopyTo(sink);
    }
}
