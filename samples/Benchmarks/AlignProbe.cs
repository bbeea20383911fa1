using System;
using System.Globalization;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using QuantGen.Generated;

namespace QuantGen.Benchmarks
{
    /// <summary>
    /// `align-probe`: QuantGenPointwiseKernels.GemmVnniHigh on DS-CNN's and MobileNet's pointwise shapes with the packed weights
    /// and the output rows at chosen offsets from a 64-byte boundary (pinned arrays), interleaved in one process (median of the
    /// rounds' per-call process CPU time). Also prints where the zoo models' weight blobs start relative to 64 bytes.
    /// </summary>
    public static unsafe class AlignProbe
    {
        public static int Run(string[] args)
        {
            int rounds = args.Length > 0 ? int.Parse(args[0], CultureInfo.InvariantCulture) : 7;
            foreach (Type model in new[] { typeof(DsCnn), typeof(MobileNetV1), typeof(ResNet8) })
            {
                var f = model.GetField("s_blob", System.Reflection.BindingFlags.NonPublic | System.Reflection.BindingFlags.Static);
                if (f?.GetValue(null) is byte[] blob)
                {
                    fixed (byte* p = blob)
                    {
                        int at = (int)model.GetField("s_blobAt", System.Reflection.BindingFlags.NonPublic | System.Reflection.BindingFlags.Static)!.GetValue(null)!;
                        Console.WriteLine($"{model.Name}: s_blob's weights (from s_blobAt = {at}) at {((long)p + at) % 64} mod 64 (length {blob.Length})");
                    }
                }
            }

            if (args.Length > 1 && args[1] == "alias")
            {
                foreach ((string name, int rows, int k, int n) in new[] { ("ds_cnn pointwise", 125, 64, 64), ("mobilenet 18", 576, 32, 32), ("mobilenet 24", 144, 32, 64), ("mobilenet 12", 576, 16, 32) })
                {
                    int kq = k / 4, aBytes = rows * k, yBytes = rows * n;
                    byte[] arena = GC.AllocateArray<byte>(aBytes + yBytes + 16384, pinned: true);
                    var rng = new Random(5);
                    rng.NextBytes(arena);
                    var wb = new byte[kq * n * 4];
                    rng.NextBytes(wb);
                    var bias = new int[n + 17];
                    var mulHi = new int[n + 17];
                    var addHi = new int[n + 17];
                    var shiftHi = new int[n + 17];
                    for (int o = 0; o < n; o++)
                    {
                        mulHi[o] = 1 << 30;
                        addHi[o] = 1 << 5;
                        shiftHi[o] = 6;
                    }

                    int baseOff;
                    fixed (byte* p0 = arena)
                    {
                        baseOff = (int)((4096 - ((long)p0 % 4096)) % 4096);
                    }

                    // a at baseOff; y at a + aBytes rounded up to 4096, plus d.
                    int yBase = baseOff + ((aBytes + 4095) / 4096 * 4096);
                    int[] ds = { 0, 64, 512, 1024, 2048, 3072, 4032 };
                    var t = new double[ds.Length][];
                    for (int i = 0; i < ds.Length; i++)
                    {
                        t[i] = new double[rounds];
                    }

                    for (int r = 0; r < rounds; r++)
                    {
                        for (int i = 0; i < ds.Length; i++)
                        {
                            int yo = yBase + ds[i];
                            t[i][r] = PwProbe.CpuMicros(() => QuantGenPointwiseKernels.GemmVnniHigh(ref Unsafe.As<byte, sbyte>(ref arena[baseOff]), rows, k, ref Unsafe.As<byte, sbyte>(ref wb[0]), kq, n, n,
                                ref bias[0], ref mulHi[0], ref addHi[0], ref shiftHi[0], -128, 127, ref Unsafe.As<byte, sbyte>(ref arena[yo]), n));
                        }
                    }

                    Console.Write(FormattableString.Invariant($"{name,-18} y - a mod 4096:"));
                    for (int i = 0; i < ds.Length; i++)
                    {
                        Console.Write(FormattableString.Invariant($"  {ds[i]}: {PwProbe.Median(t[i]):F2}"));
                    }

                    Console.WriteLine();
                }

                return 0;
            }

            foreach ((string name, int rows, int k, int n) in new[] { ("ds_cnn pointwise", 125, 64, 64), ("mobilenet 18", 576, 32, 32), ("mobilenet 30", 144, 64, 64), ("mobilenet 42", 36, 128, 128) })
            {
                int kq = (k + 3) / 4, np8 = (n + 7) / 8 * 8, np16 = (n + 15) / 16 * 16;
                var rng = new Random(rows + k + n);
                byte[] aBuf = GC.AllocateArray<byte>((rows * kq * 4) + 128, pinned: true);
                byte[] wBuf = GC.AllocateArray<byte>((kq * np8 * 4) + 128, pinned: true);
                byte[] yBuf = GC.AllocateArray<byte>((rows * n) + 128, pinned: true);
                rng.NextBytes(aBuf);
                var bias = new int[np16 + 1];
                var mulHi = new int[np16 + 1];
                var addHi = new int[np16 + 1];
                var shiftHi = new int[np16 + 1];
                for (int o = 0; o < n; o++)
                {
                    int m = rng.Next(1 << 30, int.MaxValue), s = rng.Next(38, 44), sh = s - 32;
                    bias[o] = rng.Next(-5000, 5000);
                    mulHi[o] = m;
                    addHi[o] = (1 << (sh - 1)) + (-5 << sh);
                    shiftHi[o] = sh;
                }

                int Off(byte[] b, int want)
                {
                    fixed (byte* p = b)
                    {
                        return (int)(((want - ((long)p % 64)) + 128) % 64);
                    }
                }

                var wData = new byte[kq * np8 * 4];
                rng.NextBytes(wData);
                (string label, int wo, int yo)[] cases = { ("w 0 y 0", 0, 0), ("w 8 y 0", 8, 0), ("w 16 y 0", 16, 0), ("w 0 y 8", 0, 8), ("w 8 y 8", 8, 8) };
                var t = new double[cases.Length][];
                var outs = new byte[cases.Length][];
                var acts = new Action[cases.Length];
                for (int c = 0; c < cases.Length; c++)
                {
                    int wo = Off(wBuf, cases[c].wo), yo = Off(yBuf, cases[c].yo), ao = Off(aBuf, 0);
                    t[c] = new double[rounds];
                    outs[c] = new byte[rows * n];
                    byte[] oc = outs[c];
                    acts[c] = () =>
                    {
                        wData.CopyTo(wBuf.AsSpan(wo));
                        Run1(aBuf, ao, rows, kq, wBuf, wo, np8, n, bias, mulHi, addHi, shiftHi, yBuf, yo);
                        yBuf.AsSpan(yo, rows * n).CopyTo(oc);
                    };
                    acts[c]();
                    acts[c] = () => Run1(aBuf, ao, rows, kq, wBuf, wo, np8, n, bias, mulHi, addHi, shiftHi, yBuf, yo);
                }

                for (int r = 0; r < rounds; r++)
                {
                    for (int c = 0; c < cases.Length; c++)
                    {
                        // The weights move with the case: copy them in before timing it.
                        int wo = Off(wBuf, cases[c].wo);
                        wData.CopyTo(wBuf.AsSpan(wo));
                        t[c][r] = PwProbe.CpuMicros(acts[c]);
                    }
                }

                bool same = true;
                for (int c = 1; c < cases.Length; c++)
                {
                    same &= outs[c].AsSpan().SequenceEqual(outs[0]);
                }

                double m0 = PwProbe.Median(t[0]);
                Console.Write(FormattableString.Invariant($"{name,-18} {rows}x{k}x{n}:"));
                for (int c = 0; c < cases.Length; c++)
                {
                    double mc = PwProbe.Median(t[c]);
                    Console.Write(FormattableString.Invariant($"  {cases[c].label} {mc:F2} us ({m0 / mc:F2}x)"));
                }

                Console.WriteLine(same ? "  same bytes" : "  DIFFERENT");
            }

            return 0;
        }

        private static void Run1(byte[] a, int ao, int rows, int kq, byte[] w, int wo, int np8, int n, int[] bias, int[] mulHi, int[] addHi, int[] shiftHi, byte[] y, int yo) =>
            QuantGenPointwiseKernels.GemmVnniHigh(ref Unsafe.As<byte, sbyte>(ref a[ao]), rows, kq * 4, ref Unsafe.As<byte, sbyte>(ref w[wo]), kq, np8, n, ref bias[0], ref mulHi[0], ref addHi[0], ref shiftHi[0], -5, 127, ref Unsafe.As<byte, sbyte>(ref y[yo]), n);
    }
}
