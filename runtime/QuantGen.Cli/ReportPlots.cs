using System.Collections.Generic;
using System.Globalization;
using System.IO;
using System.Linq;
using QuantGen.Fidelity;

namespace QuantGen.Cli
{
    /// <summary>
    /// The SVG plots of a fidelity report: per-layer SQNR (every layer, infinite SQNR included and labelled) and the error
    /// of every non-linear operator, one panel (with its own axis) per operator kind, since a Softmax probability error and
    /// a LayerNorm error in normalised units do not share a scale.
    /// </summary>
    internal static class ReportPlots
    {
        public static string SqnrSvg(FidelityReport r, string model)
        {
            var bars = r.LayerSqnr.Select(SqnrBar).ToList();
            int exact = r.LayerSqnr.Count(s => double.IsPositiveInfinity(s.Decibels));
            string subtitle = $"{r.Samples} samples; higher is better; {r.LayerSqnr.Count} layers" + (exact > 0 ? $", {exact} with infinite SQNR (no error: the integer output equals the float output)" : string.Empty);
            return SvgBarChart.Render($"{model}: per-layer SQNR", subtitle, new[] { new ChartPanel("Signal-to-quantization-noise ratio of each layer's output", "SQNR (dB)", bars) });
        }

        public static string OperatorsSvg(FidelityReport r, string model)
        {
            var panels = r.OperatorErrors
                .GroupBy(e => e.Op)
                .OrderBy(g => g.Key, System.StringComparer.Ordinal)
                .Select(g => new ChartPanel(
                    $"{g.Key} ({string.Join(", ", g.Select(e => e.Method).Distinct())})",
                    $"absolute error of the {g.Key} output ({Unit(g.Key)})",
                    g.Select(e => new ChartBar(e.Layer, e.MaxAbsError, "max " + Number(e.MaxAbsError), Marker: e.MeanAbsError)).ToList(),
                    MarkerLabel: "mean absolute error"))
                .ToList();
            return SvgBarChart.Render($"{model}: error of the integer non-linear operators", $"{r.Samples} samples; bars: maximum absolute error over every output element, against the float operator on the same inputs", panels);
        }

        public static void Write(string path, string svg) => File.WriteAllText(path, svg);

        private static ChartBar SqnrBar(TensorSqnr s)
        {
            if (double.IsPositiveInfinity(s.Decibels))
            {
                return new ChartBar(s.Layer, 0, "\u221e dB", Unbounded: "infinite: no quantization error");
            }

            if (double.IsNegativeInfinity(s.Decibels) || double.IsNaN(s.Decibels))
            {
                return new ChartBar(s.Layer, 0, "\u2212\u221e dB", Note: "the float output is zero: no signal to compare");
            }

            return new ChartBar(s.Layer, s.Decibels, s.Decibels.ToString("0.0", CultureInfo.InvariantCulture) + " dB");
        }

        private static string Unit(string op) => op switch
        {
            "Softmax" => "probability",
            "LayerNorm" => "normalised units",
            _ => "float units",
        };

        private static string Number(double v) => v.ToString(v >= 0.01 || v == 0 ? "0.0000" : "0.00E+0", CultureInfo.InvariantCulture);

        internal static IReadOnlyList<string> FileNames(FidelityReport r) =>
            r.OperatorErrors.Count > 0 ? new[] { "sqnr.svg", "operators.svg" } : new[] { "sqnr.svg" };
    }
}
