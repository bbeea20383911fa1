using System;
using System.Collections.Generic;

namespace QuantGen.Quantization
{
    /// <summary>What calibration measured: a range per tensor and the mean of every feature (last axis).</summary>
    public sealed class CalibrationStatistics
    {
        public CalibrationStatistics(IReadOnlyDictionary<string, (double Min, double Max)> ranges, IReadOnlyDictionary<string, double[]>? means = null, IReadOnlyDictionary<string, double[]>? channelMeans = null)
        {
            Ranges = ranges;
            Means = means;
            ChannelMeans = channelMeans;
        }

        public IReadOnlyDictionary<string, (double Min, double Max)> Ranges { get; }

        public IReadOnlyDictionary<string, double[]>? Means { get; }

        /// <summary>Per-channel means (axis 1) of every 4-D (NCHW) tensor: what bias correction of a Conv2d reads.</summary>
        public IReadOnlyDictionary<string, double[]>? ChannelMeans { get; }

        /// <summary>No statistics: every tensor's quantization must be fixed (an imported QDQ model).</summary>
        public static CalibrationStatistics None => new CalibrationStatistics(new Dictionary<string, (double, double)>(StringComparer.Ordinal));
    }

    /// <summary>Range selection from a histogram of observed values (uniform bins between the observed min and max).</summary>
    public static class HistogramRanges
    {
        /// <summary>The quantiles at (100 - p) / 2 and (100 + p) / 2 percent, bin edges, clamped to include 0 by the caller.</summary>
        public static (double Min, double Max) Percentile(long[] hist, double lo, double hi, double percent)
        {
            long total = 0;
            foreach (long c in hist)
            {
                total += c;
            }

            if (total == 0 || !(hi > lo))
            {
                return (lo, hi);
            }

            double tail = Math.Max(0, (100 - percent) / 200.0) * total;
            double width = (hi - lo) / hist.Length;
            int first = 0, last = hist.Length - 1;
            long acc = 0;
            while (first < hist.Length - 1 && acc + hist[first] <= tail)
            {
                acc += hist[first++];
            }

            acc = 0;
            while (last > first && acc + hist[last] <= tail)
            {
                acc += hist[last--];
            }

            return (lo + first * width, lo + (last + 1) * width);
        }

        /// <summary>
        /// The range [a lo', a hi'] (lo', hi' = min/max widened to include 0; a from 1 down to 0.2 in 80 steps) that
        /// minimises the expected squared error of asymmetric quantization to <paramref name="bits"/> bits: for every
        /// bin centre, the clipping error outside the range, the uniform rounding noise step^2 / 12 inside it.
        /// </summary>
        public static (double Min, double Max) MinimumMse(long[] hist, double lo, double hi, int bits)
        {
            if (!(hi > lo))
            {
                return (lo, hi);
            }

            double width = (hi - lo) / hist.Length;
            double wlo = Math.Min(lo, 0), whi = Math.Max(hi, 0);
            double levels = Math.Pow(2, bits) - 1;
            double best = double.PositiveInfinity;
            (double, double) bestRange = (lo, hi);
            for (int step = 0; step <= 80; step++)
            {
                double a = 1.0 - step * 0.01;
                double cl = wlo * a, ch = whi * a;
                double q = (ch - cl) / levels;
                double err = 0;
                for (int b = 0; b < hist.Length; b++)
                {
                    if (hist[b] == 0)
                    {
                        continue;
                    }

                    double v = lo + (b + 0.5) * width;
                    double e = v < cl ? (cl - v) * (cl - v) : v > ch ? (v - ch) * (v - ch) : q * q / 12;
                    err += hist[b] * e;
                }

                if (err < best)
                {
                    best = err;
                    bestRange = (cl, ch);
                }
            }

            return bestRange;
        }
    }
}
