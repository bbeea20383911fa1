using System.Linq;
using QuantGen.Fidelity;
using ScottPlot;

namespace QuantGen.Cli
{
    /// <summary>PNG plots of a fidelity report (ScottPlot).</summary>
    internal static class ReportPlots
    {
        public static void Sqnr(FidelityReport r, string model, string path)
        {
            TensorSqnr[] layers = r.LayerSqnr.Where(s => !double.IsInfinity(s.Decibels)).ToArray();
            Bars(layers.Select(s => s.Decibels).ToArray(), layers.Select(s => s.Layer).ToArray(), $"{model}: per-layer SQNR", "SQNR (dB)", path);
        }

        public static void Operators(FidelityReport r, string model, string path) =>
            Bars(r.OperatorErrors.Select(e => e.MaxAbsError).ToArray(), r.OperatorErrors.Select(e => $"{e.Layer} ({e.Method})").ToArray(), $"{model}: non-linear operator error", "max abs error", path);

        private static void Bars(double[] values, string[] labels, string title, string yLabel, string path)
        {
            var plot = new Plot();
            plot.Add.Bars(values);
            plot.Axes.Bottom.SetTicks(Enumerable.Range(0, labels.Length).Select(i => (double)i).ToArray(), labels);
            plot.Axes.Bottom.TickLabelStyle.Rotation = 60;
            plot.Axes.Bottom.TickLabelStyle.Alignment = Alignment.MiddleLeft;
            plot.Axes.Margins(bottom: 0);
            plot.Title(title);
            plot.YLabel(yLabel);
            plot.Layout.Fixed(new PixelPadding(70, 20, 140, 40));
            plot.SavePng(path, System.Math.Max(640, 28 * labels.Length + 120), 480);
        }
    }
}
