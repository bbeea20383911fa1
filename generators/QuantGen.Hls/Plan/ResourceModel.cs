using System;
using QuantGen.Hls.Devices;

namespace QuantGen.Hls.Plan
{
    /// <summary>Estimated resources of a layer or a model (docs/hls.md section 4).</summary>
    public sealed record HlsResources(long Dsp, long Lut, long Ff, long Bram18, long Uram, long FifoBits)
    {
        public static HlsResources Zero { get; } = new HlsResources(0, 0, 0, 0, 0, 0);

        public static HlsResources operator +(HlsResources a, HlsResources b) =>
            new HlsResources(a.Dsp + b.Dsp, a.Lut + b.Lut, a.Ff + b.Ff, a.Bram18 + b.Bram18, a.Uram + b.Uram, a.FifoBits + b.FifoBits);
    }

    /// <summary>The shape of a multiply-accumulate layer, all the folding needs: rows x (N outputs of K products), operand widths.</summary>
    public sealed record MacShape(int Rows, int N, int K, int XBits, int WBits, int AccBits, int Gather, int WindowValues, bool FoldsOutputs = false)
    {
        /// <summary>The largest reuse factor: N K when the kernel folds across outputs (Dense), else K.</summary>
        public int MaxReuse => FoldsOutputs ? (int)Math.Min(int.MaxValue, (long)N * K) : K;
    }

    /// <summary>
    /// First-order resource formulas, no synthesis. Products whose operands are both at most <see cref="LutProductBits"/>
    /// bits wide are counted in LUTs (Vivado maps such narrow products to fabric, as hls4ml's measurements show below
    /// about 10 bits); wider ones take ceil(wa / DspA) x ceil(wb / 18) DSP slices.
    /// </summary>
    public static class ResourceModel
    {
        /// <summary>Auto-folding keeps every resource at or below this share of the part; above it the report warns.</summary>
        public const int FitPercent = 80;

        public const int LutProductBits = 10;

        /// <summary>Below this depth a ROM stays in LUTs (distributed ROM, 64 bits per LUT6); at or above it, block RAM.</summary>
        public const int BramMinDepth = 64;

        public const int Bram18Bits = 18 * 1024;

        /// <summary>One product of a <paramref name="wa"/>-bit and a <paramref name="wb"/>-bit operand: (DSP, LUT).</summary>
        public static (long Dsp, long Lut) Product(int wa, int wb, FpgaDevice d)
        {
            if (wa <= LutProductBits && wb <= LutProductBits)
            {
                return (0, ((wa * wb) + 1) / 2);
            }

            int big = Math.Max(wa, wb), small = Math.Min(wa, wb);
            return (Ceil(big, d.DspA) * Ceil(small, 18), 0);
        }

        /// <summary>A MAC layer at reuse factor <paramref name="r"/> (any R up to K: the last block is padded).</summary>
        public static HlsResources Mac(MacShape m, int r, FpgaDevice d)
        {
            if (r > m.K)
            {
                return Folded(m, r, d);
            }

            long block = Ceil(m.K, r), products = m.N * block, lanes = Ceil(m.N, r);
            (long pDsp, long pLut) = Product(m.XBits, m.WBits, d);
            (long qDsp, long qLut) = Product(32, m.AccBits, d);   // requantizer: 32-bit multiplier x accumulator
            long dsp = (products * pDsp) + (lanes * qDsp);
            long lut = (products * (pLut + m.AccBits)) + (lanes * (qLut + 64)) + 200;
            long ff = ((long)m.N * m.AccBits) + (products * (m.XBits + m.WBits)) + (lanes * 96) + ((long)m.WindowValues * m.XBits);

            // Weights: N x block banks of depth R, reshaped to one read of N x block values per cycle.
            long width = products * m.WBits, bram = 0;
            if (r >= BramMinDepth)
            {
                bram = Bram18(r, width);
            }
            else
            {
                lut += Ceil((long)m.N * m.K * m.WBits, 64);
            }

            lut += Ceil((long)m.N * (32 + 6 + 32), 64);   // per-channel multiplier, shift and bias
            return new HlsResources(dsp, lut, ff, bram, 0, 0);
        }

        /// <summary>A Dense layer folded across outputs (R > K): NG products, one requantizer, NG accumulators; the weights
        /// in a read-order ROM of G K words of NG weights (block RAM from 64 words).</summary>
        private static HlsResources Folded(MacShape m, int r, FpgaDevice d)
        {
            (int groups, int ng) = QuantGen.Hls.Lowerings.OutputFolding.Of(m.N, m.K, r);
            (long pDsp, long pLut) = Product(m.XBits, m.WBits, d);
            (long qDsp, long qLut) = Product(32, m.AccBits, d);
            long dsp = (ng * pDsp) + qDsp;
            long lut = (ng * (pLut + m.AccBits)) + qLut + 64 + 200 + (ng * 8L);   // + the lane multiplexers of the group's outputs
            long ff = ((long)ng * m.AccBits) + (ng * (m.XBits + m.WBits)) + 96;
            long depth = (long)groups * m.K, bram = 0;
            if (depth >= BramMinDepth)
            {
                bram = Bram18(depth, (long)ng * m.WBits);
            }
            else
            {
                lut += Ceil((long)m.N * m.K * m.WBits, 64);
            }

            lut += Ceil((long)m.N * (32 + 6 + 32), 64);
            return new HlsResources(dsp, lut, ff, bram, 0, 0);
        }

        /// <summary>A layer without a reuse factor: its dyadic multipliers (32 x 18 bits), dividers (64/32, pipelined) and control.</summary>
        public static HlsResources Other(HlsCost cost, FpgaDevice d)
        {
            (long qDsp, long qLut) = Product(32, 18, d);
            long lut = 150 + (cost.Multipliers * (qLut + 64)) + (cost.Dividers * 2400L) + Ceil(cost.RomBits, 64);
            long ff = 150 + (cost.Multipliers * 96) + (cost.Dividers * 4200L);
            return new HlsResources(cost.Multipliers * qDsp, lut, ff, 0, 0, 0);
        }

        /// <summary>An array of <paramref name="bits"/> bits in memory: block RAM above 1 Kbit, registers below.</summary>
        public static HlsResources Buffer(long bits) =>
            bits > 1024 ? new HlsResources(0, 0, 0, Ceil(bits, Bram18Bits), 0, 0) : new HlsResources(0, 0, bits, 0, 0, 0);

        /// <summary>One URAM block (UltraScale+ URAM288): 4096 words of 72 bits.</summary>
        public const int UramDepth = 4096, UramWidth = 72;

        /// <summary>A buffer of at least this many bits goes to URAM on a part that has URAM (half a block: smaller ones would
        /// leave most of a 288 Kb block empty, and block RAM takes them at little waste).</summary>
        public const long UramMinBits = 144L * 1024;

        /// <summary>
        /// Elements of <paramref name="bits"/> bits per URAM word when an io_stream buffer of <paramref name="count"/> elements
        /// goes to URAM (ARRAY_RESHAPE cyclic, so consecutive elements share a 72-bit word), or 0 when it stays in block RAM:
        /// the part has no URAM or the buffer is below <see cref="UramMinBits"/>. Large activation buffers are what URAM is for:
        /// block RAM stays for the weight ROMs (UltraScale+ URAM has no initial contents) and the FIFOs.
        /// </summary>
        public static int UramPack(long count, int bits, FpgaDevice d)
        {
            if (d.Uram == 0 || bits <= 0 || bits > UramWidth || count * bits < UramMinBits)
            {
                return 0;
            }

            return UramWidth / bits;
        }

        /// <summary>URAM blocks for <paramref name="count"/> elements of <paramref name="bits"/> bits, <paramref name="pack"/> per word.</summary>
        public static int Uram(long count, int bits, int pack) => (int)(Ceil(Ceil(count, pack), UramDepth) * Ceil((long)pack * bits, UramWidth));

        /// <summary>An io_stream buffer: URAM when <see cref="UramPack"/> says so, else <see cref="Buffer(long, long)"/>.</summary>
        public static HlsResources Buffer(long count, int bits, FpgaDevice d)
        {
            int pack = UramPack(count, bits, d);
            return pack > 0 ? new HlsResources(0, 0, 0, 0, Uram(count, bits, pack), 0) : Buffer(count, (long)bits);
        }

        /// <summary>An array of <paramref name="depth"/> words of <paramref name="width"/> bits: block RAM above 1 Kbit (its
        /// aspect ratios counted), registers below.</summary>
        public static HlsResources Buffer(long depth, long width) =>
            depth * width > 1024 ? new HlsResources(0, 0, 0, Bram18(depth, width), 0, 0) : new HlsResources(0, 0, depth * width, 0, 0, 0);

        /// <summary>
        /// BRAM18 blocks for a memory of <paramref name="depth"/> x <paramref name="width"/> bits: the cheapest of the block's
        /// aspect ratios (16K x 1, 8K x 2, 4K x 4, 2K x 9, 1K x 18, 512 x 36), each block used for one slice of the width
        /// and one slice of the depth.
        /// </summary>
        public static long Bram18(long depth, long width)
        {
            long best = long.MaxValue;
            foreach ((long d, long w) in new (long, long)[] { (16384, 1), (8192, 2), (4096, 4), (2048, 9), (1024, 18), (512, 36) })
            {
                best = Math.Min(best, Ceil(depth, d) * Ceil(width, w));
            }

            return best;
        }

        /// <summary>A FIFO of <paramref name="depth"/> x <paramref name="width"/>: SRL LUTs up to 1 Kbit, block RAM beyond.</summary>
        public static HlsResources Fifo(long depth, int width)
        {
            long bits = depth * width;
            return bits > 1024
                ? new HlsResources(0, 0, 0, Bram18(depth, width), 0, bits)
                : new HlsResources(0, Ceil(bits, 32), width * 2L, 0, 0, bits);
        }

        /// <summary>The largest share of the part any resource takes, in percent, and which resource.</summary>
        public static (double Percent, string Resource) Utilization(HlsResources r, FpgaDevice d)
        {
            (double, string)[] shares =
            {
                (Share(r.Dsp, d.Dsp), "DSP"), (Share(r.Lut, d.Lut), "LUT"), (Share(r.Ff, d.Ff), "FF"), (Share(r.Bram18, d.Bram18), "BRAM18"), (Share(r.Uram, d.Uram), "URAM"),
            };
            (double p, string what) = shares[0];
            foreach ((double q, string w) in shares)
            {
                if (q > p)
                {
                    (p, what) = (q, w);
                }
            }

            return (p, what);
        }

        private static double Share(long used, int available) => used == 0 ? 0 : available == 0 ? double.PositiveInfinity : 100.0 * used / available;

        public static long Ceil(long a, long b) => (a + b - 1) / b;
    }
}
