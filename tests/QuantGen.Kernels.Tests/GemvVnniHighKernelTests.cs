using System;
using System.Runtime.Intrinsics.X86;
using QuantGen.Generated;
using Xunit;

namespace QuantGen.Tests.Kernels
{
    /// <summary>
    /// The one-row Dense kernel with the int32 multiply-high requantization (<c>QuantGenKernels.GemvVnniHigh</c>, the plan's
    /// DenseGemvHigh) against the definition written here: int64 sums of (x - zx) w plus the bias, the reference's int64
    /// requantization zo + ((acc m + 2^(s - 1)) &gt;&gt; s), clamped. The jet tagger's shapes (16 -&gt; 64, 64 -&gt; 32, 32 -&gt; 32,
    /// 32 -&gt; 5) and the block edges (8, 16, 24, 40, 48 channels; an odd number of quads; one quad), random and extreme
    /// operands, shifts at both ends of the proof (33 and 55), multipliers up to int.MaxValue, accumulators near +-2^30 and
    /// clamps inside int8. Run it with DOTNET_EnableAVX512=0 DOTNET_EnableAVX512F=0 as well for the AVX2 store.
    /// </summary>
    public class GemvVnniHighKernelTests
    {
        public static TheoryData<int, int, int> Shapes => new TheoryData<int, int, int>
        {
            // k, n, mode (0 random, 1 all 127 / weights -128, 2 all -128, 3 alternating extremes with clamps inside int8, 4 shift 33 / 55 and int.MaxValue)
            { 16, 64, 0 },
            { 64, 32, 0 },
            { 32, 32, 0 },
            { 32, 5, 0 },
            { 16, 64, 1 },
            { 64, 32, 2 },
            { 32, 5, 3 },
            { 12, 40, 3 },
            { 4, 8, 4 },
            { 20, 24, 4 },
            { 64, 48, 3 },
            { 8, 16, 1 },
            { 28, 64, 4 },
            // The autoencoder's one-row layers (every size takes GemvVnniHigh now): long K, wide N, 8-channel tails.
            { 640, 128, 0 },
            { 640, 128, 1 },
            { 128, 640, 2 },
            { 128, 8, 3 },
            { 8, 128, 4 },
            { 256, 200, 0 },
            { 1020, 40, 3 },
            { 64, 72, 1 },
            { 32, 130, 4 },
            // The wide form's two chains: an odd number of quads (the last one on the even chain), a single quad, 64-channel
            // blocks followed by 32/16/8-channel tails.
            { 68, 64, 3 },
            { 4, 64, 1 },
            { 132, 136, 4 },
            { 260, 192, 2 },
            { 196, 88, 0 },
        };

        [Theory]
        [MemberData(nameof(Shapes))]
        public void OneRowEqualsTheDefinition(int k, int n, int mode)
        {
            var rng = new Random((k * 977) + (n * 31) + mode);
            var x = new sbyte[k];
            var wt = new int[n * k];
            for (int i = 0; i < k; i++)
            {
                x[i] = mode switch { 1 => 127, 2 => -128, 3 => (sbyte)(i % 2 == 0 ? 127 : -128), _ => (sbyte)rng.Next(-128, 128) };
            }

            for (int i = 0; i < wt.Length; i++)
            {
                wt[i] = mode switch { 1 or 2 => -128, 3 => i % 3 == 0 ? 127 : -128, _ => rng.Next(-128, 128) };
            }

            int zx = mode switch { 1 => -128, 2 => 127, 3 => -128, _ => rng.Next(-128, 128) };
            long zo = mode switch { 1 => 127, 2 => -128, _ => rng.Next(-128, 128) };
            int lo = mode == 3 ? -100 : -128, hi = mode == 3 ? 100 : 127;
            var bias = new int[n];
            var mulI = new int[n];
            var shiftI = new int[n];
            var expected = new sbyte[n];
            for (int o = 0; o < n; o++)
            {
                bias[o] = mode >= 3 ? (o % 2 == 0 ? 1 << 30 : -(1 << 30)) : rng.Next(-(1 << 20), 1 << 20);
                mulI[o] = mode == 4 && o % 3 == 0 ? int.MaxValue : rng.Next(1 << 30, int.MaxValue);
                shiftI[o] = mode == 4 ? (o % 2 == 0 ? 33 : 55) : rng.Next(40, 53);
                if (!HighApplies(shiftI[o], zo))
                {
                    shiftI[o] = 33;
                }

                Assert.True(HighApplies(shiftI[o], zo));
                long acc = bias[o];
                for (int j = 0; j < k; j++)
                {
                    acc += (x[j] - (long)zx) * wt[(o * k) + j];
                }

                Assert.InRange(acc, int.MinValue, int.MaxValue);
                long v = zo + (((acc * mulI[o]) + (1L << (shiftI[o] - 1))) >> shiftI[o]);
                expected[o] = (sbyte)Math.Clamp(v, lo, hi);
            }

            if (mode == 0)
            {
                Assert.Contains(expected, v => v > lo && v < hi);
            }

            if (!AvxVnni.IsSupported)
            {
                return;
            }

            // Build-time packing (CpuEmitter.EmitDenseGemm): [kQuads][np8][4] int8, bias - (zx + 128) sum w, the multiply-high constants.
            int kQuads = k / 4, np8 = (n + 7) / 8 * 8, np16 = (n + 15) / 16 * 16;
            var blob = new sbyte[kQuads * np8 * 4];
            var biasU = new int[np16];
            var mulHi = new int[np16 + 1];
            var addHi = new int[np16 + 1];
            var shiftHi = new int[np16 + 1];
            for (int o = 0; o < n; o++)
            {
                long sum = 0;
                for (int j = 0; j < k; j++)
                {
                    blob[((((j / 4) * np8) + o) * 4) + (j % 4)] = (sbyte)wt[(o * k) + j];
                    sum += wt[(o * k) + j];
                }

                biasU[o] = unchecked((int)(bias[o] - ((zx + 128L) * sum)));
                int t = shiftI[o] - 32;
                mulHi[o] = mulI[o];
                addHi[o] = checked((int)((1L << (t - 1)) + (zo << t)));
                shiftHi[o] = t;
            }

            // The output has a guard byte on each side: the kernel writes exactly n bytes. Both forms: two chains per 32 channels,
            // and the wide one (64-channel blocks, two chains of 8; the plan's choice from 64 channels and DenseGemvHigh.WideMinK).
            foreach (bool wide in new[] { false, true })
            {
                var y = new sbyte[n + 2];
                y[0] = 55;
                y[n + 1] = 66;
                QuantGenKernels.GemvVnniHigh(ref x[0], kQuads, ref blob[0], np8, n, ref biasU[0], ref mulHi[0], ref addHi[0], ref shiftHi[0], lo, hi, ref y[1], wide);
                Assert.Equal(expected, y.AsSpan(1, n).ToArray());
                Assert.Equal(55, y[0]);
                Assert.Equal(66, y[n + 1]);
            }
        }

        /// <summary>Conv2dLowering.MulHighApplies, restated: t = s - 32 in [1, 30] and |2^(t - 1) + zo 2^t| &lt; 2^30.</summary>
        private static bool HighApplies(int s, long zo)
        {
            int t = s - 32;
            return t >= 1 && t <= 30 && Math.Abs((1L << (t - 1)) + (zo << t)) < (1L << 30);
        }
    }
}
