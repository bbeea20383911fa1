// QuantGen kernel library: the pointwise (1x1) and small-K convolution GEMM with the int32 multiply-high requantization
// in its store. Emitted into a model's generated code only when its plan takes that form for some layer.
using System.Runtime.CompilerServices;

namespace QuantGen.Generated
{
    /// <summary>
    /// <see cref="GemmVnniHigh"/>: QuantGenKernels.GemmVnni's tiles (vpdpbusd on u = a + 128; one tile loop,
    /// QuantGenKernels.GemmVnniTiles) with a cheaper epilogue (QuantGenKernels.StoreMulHigh16). At
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
            // QuantGenKernels.GemmVnni's tiles with the multiply-high store (the accumulators start at the bias).
            var k = new QuantGenKernels.VnniStore(ref bias, n, lo, hi) { MulHi = ref mulHi, AddHi = ref addHi, ShiftHi = ref shiftHi };
            QuantGenKernels.GemmVnniTiles(ref a, rows, aStride, ref w, kQuads, np, ref Unsafe.NullRef<int>(), ref k, ref y, yStride);
        }
    }
}
