using System;
using System.Collections.Generic;
using System.Globalization;
using System.Linq;
using QuantGen.Hls.Devices;

namespace QuantGen.Hls.Plan
{
    /// <summary>One MAC layer the folding sizes: its shape, and the reuse factor a user fixed (null: the folding chooses).</summary>
    internal sealed record FoldingLayer(string Name, MacShape Shape, int? UserReuse, string UserSource);

    /// <summary>
    /// Automatic folding: per-layer reuse factors chosen so the estimate stays within <see cref="ResourceModel.FitPercent"/>
    /// percent of the part. Deterministic: start every automatic layer at the smallest R that keeps its unrolled MAC stage
    /// within the unroll limit, then, while the design is over budget, raise the R of the automatic layer that uses the
    /// most of the scarcest resource (ties: the earlier layer), shrinking its block (K / R products per output) by an
    /// eighth at a time. User factors never change; when they alone cannot fit, that is an error.
    /// </summary>
    internal static class Folding
    {
        public static (Dictionary<string, int> Reuse, Dictionary<string, string> Why) Choose(
            IReadOnlyList<FoldingLayer> layers, HlsResources fixedPart, FpgaDevice device, out string? error, out string? warning,
            IReadOnlyList<(string Name, HlsResources Resources)>? fixedLayers = null)
        {
            error = null;
            warning = null;
            var reuse = new Dictionary<string, int>(StringComparer.Ordinal);
            var why = new Dictionary<string, string>(StringComparer.Ordinal);
            foreach (FoldingLayer l in layers)
            {
                if (l.UserReuse is int u)
                {
                    reuse[l.Name] = u;
                    why[l.Name] = "user (" + l.UserSource + ")";
                }
                else
                {
                    int r = Enumerable.Range(1, l.Shape.K).FirstOrDefault(x => (long)l.Shape.N * ResourceModel.Ceil(l.Shape.K, x) <= HlsPlanner.UnrollLimit);
                    reuse[l.Name] = r == 0 ? l.Shape.K : r;
                    why[l.Name] = r > 1 ? $"auto: smallest R that unrolls at most {HlsPlanner.UnrollLimit} multipliers" : "auto: fully parallel fits";
                }
            }

            for (int step = 0; step < 100000; step++)
            {
                HlsResources total = fixedPart;
                foreach (FoldingLayer l in layers)
                {
                    total += ResourceModel.Mac(l.Shape, reuse[l.Name], device);
                }

                (double percent, string resource) = ResourceModel.Utilization(total, device);
                if (percent <= ResourceModel.FitPercent)
                {
                    return (reuse, why);
                }

                // The scarcest resource first; when no layer can lower it (block RAM held by weight ROMs, which keep their
                // bits at any R), the next resource that is over budget, so that those still get folded.
                FoldingLayer? pick = null;
                long most = -1;
                string? folded = null;
                foreach (string r in Over(total, device))
                {
                    foreach (FoldingLayer l in layers.Where(l => l.UserReuse == null && reuse[l.Name] < l.Shape.MaxReuse))
                    {
                        // Only a layer whose next factor lowers the resource is worth raising.
                        long use = Of(ResourceModel.Mac(l.Shape, reuse[l.Name], device), r);
                        if (use > most && Of(ResourceModel.Mac(l.Shape, Next(l, reuse[l.Name]), device), r) < use)
                        {
                            (pick, most) = (l, use);
                        }
                    }

                    if (pick != null)
                    {
                        folded = r;
                        break;
                    }
                }

                if (pick == null || most <= 0)
                {
                    string users = string.Join(", ", layers.Where(l => l.UserReuse != null).Select(l => l.Name + "=" + reuse[l.Name]));
                    string share = $"the design needs {Math.Floor(percent).ToString(CultureInfo.InvariantCulture)} % of the {resource} of {device.Name} ({device.Board}) by the estimate";
                    var users2 = layers.Select(l => (l.Name, Use: Of(ResourceModel.Mac(l.Shape, reuse[l.Name], device), resource)))
                        .Concat((fixedLayers ?? Array.Empty<(string, HlsResources)>()).Select(f => (f.Item1, Use: Of(f.Item2, resource))))
                        .GroupBy(u => u.Item1, StringComparer.Ordinal).Select(g => (Name: g.Key, Use: g.Sum(u => u.Use)))
                        .Where(u => u.Use > 0).OrderByDescending(u => u.Use).ThenBy(u => u.Name, StringComparer.Ordinal).Take(3).ToList();
                    if (users2.Count > 0)
                    {
                        share += " (most: " + string.Join(", ", users2.Select(u => $"\"{u.Name}\" {u.Use.ToString(CultureInfo.InvariantCulture)}")) + ")";
                    }

                    string fix = users.Length > 0 ? $"raise the user's reuse factors ({users}) or leave them to the automatic folding" : "every reuse factor is at its maximum: use a larger part";
                    if (percent > 100)
                    {
                        error = share + "; " + fix;
                    }
                    else
                    {
                        warning = share + $", more than {ResourceModel.FitPercent} %: {fix}";
                    }

                    return (reuse, why);
                }

                reuse[pick.Name] = Next(pick, reuse[pick.Name]);

                why[pick.Name] = folded == resource
                    ? $"auto: raised until the design fits {device.Name} within {ResourceModel.FitPercent} % ({resource} was the scarcest resource)"
                    : $"auto: raised to lower {folded}, over {ResourceModel.FitPercent} % of {device.Name} ({resource}, the scarcest, no reuse factor lowers)";
            }

            error = "the automatic folding did not converge";
            return (reuse, why);
        }

        /// <summary>The next reuse factor of a layer at <paramref name="current"/>: its block (K / R products per output) shrinks
        /// by an eighth, at least by one; past K (Dense) the group of outputs shrinks the same way (R = G K).</summary>
        private static int Next(FoldingLayer l, int current)
        {
            if (current >= l.Shape.K)
            {
                int ng = QuantGen.Hls.Lowerings.OutputFolding.Of(l.Shape.N, l.Shape.K, current).GroupOutputs;
                int fewer = Math.Max(1, Math.Min(ng - 1, ng * 7 / 8));
                return (int)Math.Min(l.Shape.MaxReuse, ResourceModel.Ceil(l.Shape.N, fewer) * l.Shape.K);
            }

            long block = ResourceModel.Ceil(l.Shape.K, current);
            long next = Math.Max(1, Math.Min(block - 1, block * 7 / 8));
            return (int)ResourceModel.Ceil(l.Shape.K, next);
        }

        /// <summary>The resources above <see cref="ResourceModel.FitPercent"/> of the part, scarcest first.</summary>
        private static IEnumerable<string> Over(HlsResources total, FpgaDevice d) =>
            new[] { ("DSP", total.Dsp, d.Dsp), ("LUT", total.Lut, d.Lut), ("FF", total.Ff, d.Ff), ("BRAM18", total.Bram18, d.Bram18), ("URAM", total.Uram, d.Uram) }
                .Where(x => x.Item2 > 0 && (x.Item3 == 0 || 100.0 * x.Item2 / x.Item3 > ResourceModel.FitPercent))
                .OrderByDescending(x => x.Item3 == 0 ? double.PositiveInfinity : (double)x.Item2 / x.Item3)
                .Select(x => x.Item1);

        private static long Of(HlsResources r, string resource) => resource switch
        {
            "DSP" => r.Dsp,
            "LUT" => r.Lut,
            "FF" => r.Ff,
            "BRAM18" => r.Bram18,
            _ => r.Uram,
        };
    }
}
