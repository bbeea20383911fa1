using System;
using System.Collections.Generic;
using System.Globalization;
using System.Linq;
using System.Text;
using System.Xml;
using System.Xml.Linq;

namespace QuantGen.Cli
{
    /// <summary>One bar: a label, a finite value or none (then <see cref="Unbounded"/> says why), an optional marker and note.</summary>
    internal sealed record ChartBar(string Label, double Value, string ValueText, string? Unbounded = null, double? Marker = null, string? Note = null);

    /// <summary>A panel: its own title, its own value axis (label and ticks) and its bars.</summary>
    internal sealed record ChartPanel(string Title, string AxisLabel, IReadOnlyList<ChartBar> Bars, string? MarkerLabel = null);

    /// <summary>
    /// Horizontal bar charts as SVG text, written by the project (no drawing library, no native binaries): one row per bar
    /// with its label on the left, a value axis with "nice" ticks and gridlines under each panel, the value printed at the
    /// end of each bar. A bar without a finite value (infinite SQNR: the layer is bit-exact) is drawn across the whole
    /// panel with a hatched end and labelled, never dropped. Deterministic: invariant culture, "\n" newlines.
    /// </summary>
    internal static class SvgBarChart
    {
        public const string FontFamily = "'DejaVu Sans', 'Segoe UI', Helvetica, Arial, sans-serif";

        private const double Width = 880;
        private const double Margin = 24;
        private const double RowPitch = 24;
        private const double BarHeight = 15;
        private const double ValueColumn = 120;
        private const double CharWidth = 6.9; // at 12 px in a sans-serif face
        private const int MaxLabelChars = 40;
        private static readonly XNamespace Svg = "http://www.w3.org/2000/svg";

        public static string Render(string title, string? subtitle, IReadOnlyList<ChartPanel> panels)
        {
            int longest = panels.SelectMany(p => p.Bars).Select(b => Math.Min(b.Label.Length, MaxLabelChars)).DefaultIfEmpty(8).Max();
            double plotLeft = Margin + Math.Max(80, (longest * CharWidth) + 14);
            double plotRight = Width - Margin - ValueColumn;
            var body = new List<XElement>();
            double y = Margin + 22;
            body.Add(Text(Margin, y, title, 18, "start", bold: true));
            if (subtitle != null)
            {
                y += 20;
                body.Add(Text(Margin, y, subtitle, 12, "start", fill: "#444444"));
            }

            y += 18;
            body.Add(new XElement(Svg + "defs", new XElement(
                Svg + "pattern",
                new XAttribute("id", "unbounded"),
                new XAttribute("width", 6),
                new XAttribute("height", 6),
                new XAttribute("patternUnits", "userSpaceOnUse"),
                new XAttribute("patternTransform", "rotate(45)"),
                new XElement(Svg + "rect", new XAttribute("width", 6), new XAttribute("height", 6), new XAttribute("fill", "#cfe8d4")),
                new XElement(Svg + "line", new XAttribute("x1", 0), new XAttribute("y1", 0), new XAttribute("x2", 0), new XAttribute("y2", 6), new XAttribute("stroke", "#2e7d32"), new XAttribute("stroke-width", 2)))));
            foreach (ChartPanel panel in panels)
            {
                y = RenderPanel(panel, body, y + 16, plotLeft, plotRight);
            }

            double height = y + Margin;
            var svg = new XElement(
                Svg + "svg",
                new XAttribute("width", N(Width)),
                new XAttribute("height", N(height)),
                new XAttribute("viewBox", $"0 0 {N(Width)} {N(height)}"),
                new XAttribute("font-family", FontFamily),
                new XAttribute("role", "img"),
                new XElement(Svg + "title", title),
                new XElement(Svg + "rect", new XAttribute("width", "100%"), new XAttribute("height", "100%"), new XAttribute("fill", "white")),
                body);
            var settings = new XmlWriterSettings { Indent = true, IndentChars = " ", NewLineChars = "\n", OmitXmlDeclaration = true };
            var sb = new StringBuilder();
            using (var writer = XmlWriter.Create(new System.IO.StringWriter(sb, CultureInfo.InvariantCulture), settings))
            {
                new XDocument(svg).Save(writer);
            }

            return "<?xml version=\"1.0\" encoding=\"utf-8\"?>\n" + sb.ToString() + "\n";
        }

        private static double RenderPanel(ChartPanel panel, List<XElement> body, double top, double plotLeft, double plotRight)
        {
            var group = new XElement(Svg + "g", new XAttribute("class", "panel"), new XAttribute("data-title", panel.Title));
            group.Add(Text(Margin, top, panel.Title, 14, "start", bold: true));
            double rowsTop = top + 12;
            double[] finite = panel.Bars.Where(b => b.Unbounded == null).Select(b => b.Value).Concat(panel.Bars.Where(b => b.Marker.HasValue).Select(b => b.Marker!.Value)).ToArray();
            double lo = Math.Min(0, finite.DefaultIfEmpty(0).Min()), hi = Math.Max(0, finite.DefaultIfEmpty(1).Max());
            if (hi <= lo)
            {
                hi = lo + 1;
            }

            double[] ticks = NiceTicks(lo, hi);
            lo = ticks[0];
            hi = ticks[ticks.Length - 1];
            double Scale(double v) => plotLeft + ((v - lo) / (hi - lo) * (plotRight - plotLeft));
            double rowsBottom = rowsTop + (Math.Max(1, panel.Bars.Count) * RowPitch);

            // gridlines and ticks of the value axis
            var axis = new XElement(Svg + "g", new XAttribute("class", "axis"), new XAttribute("font-size", 11));
            foreach (double t in ticks)
            {
                double x = Scale(t);
                axis.Add(Line(x, rowsTop, x, rowsBottom, t == 0 ? "#888888" : "#e3e3e3", 1));
                axis.Add(Line(x, rowsBottom, x, rowsBottom + 5, "#333333", 1));
                axis.Add(Text(x, rowsBottom + 18, TickText(t, ticks), 11, "middle", cls: "tick"));
            }

            axis.Add(Line(plotLeft, rowsBottom, plotRight, rowsBottom, "#333333", 1));
            axis.Add(Line(plotLeft, rowsTop, plotLeft, rowsBottom, "#333333", 1));
            axis.Add(Text((plotLeft + plotRight) / 2, rowsBottom + 36, panel.AxisLabel, 12, "middle", cls: "axis-label"));
            group.Add(axis);
            if (panel.Bars.Count == 0)
            {
                group.Add(Text(plotLeft + 8, rowsTop + 16, "(nothing to show)", 12, "start", fill: "#666666"));
            }

            for (int i = 0; i < panel.Bars.Count; i++)
            {
                ChartBar bar = panel.Bars[i];
                double rowMid = rowsTop + (i * RowPitch) + (RowPitch / 2);
                var row = new XElement(Svg + "g", new XAttribute("class", bar.Unbounded != null ? "bar unbounded" : "bar"), new XAttribute("data-label", bar.Label));
                string shown = bar.Label.Length > MaxLabelChars ? bar.Label.Substring(0, MaxLabelChars - 1) + "\u2026" : bar.Label;
                row.Add(Text(plotLeft - 8, rowMid + 4, shown, 12, "end", cls: "label"));
                double x0 = Scale(0);
                double barTop = rowMid - (BarHeight / 2);
                if (bar.Unbounded != null)
                {
                    row.Add(Rect(x0, barTop, plotRight - x0, BarHeight, "url(#unbounded)", "#2e7d32"));
                    row.Add(Text(plotRight + 6, rowMid + 4, bar.ValueText, 12, "start", cls: "value", fill: "#2e7d32"));
                    row.Add(Text(x0 + 6, rowMid + 4, bar.Unbounded, 11, "start", fill: "#1b5e20"));
                }
                else
                {
                    double x1 = Scale(bar.Value);
                    row.Add(Rect(Math.Min(x0, x1), barTop, Math.Max(1, Math.Abs(x1 - x0)), BarHeight, "#4a7fb5", null));
                    row.Add(Text(plotRight + 6, rowMid + 4, bar.ValueText, 12, "start", cls: "value"));
                    if (bar.Note != null)
                    {
                        row.Add(Text(Math.Max(x0, x1) + 6, rowMid + 4, bar.Note, 11, "start", fill: "#555555", cls: "note"));
                    }
                }

                if (bar.Marker.HasValue)
                {
                    double xm = Scale(bar.Marker.Value);
                    row.Add(Line(xm, barTop - 2, xm, barTop + BarHeight + 2, "#d35400", 3));
                }

                row.Add(new XElement(Svg + "title", bar.Label + ": " + bar.ValueText));
                group.Add(row);
            }

            double bottom = rowsBottom + 44;
            if (panel.MarkerLabel != null && panel.Bars.Any(b => b.Marker.HasValue))
            {
                group.Add(Line(plotLeft, bottom - 4, plotLeft, bottom + 8, "#d35400", 3));
                group.Add(Text(plotLeft + 8, bottom + 6, panel.MarkerLabel, 11, "start", fill: "#444444", cls: "legend"));
                bottom += 18;
            }

            body.Add(group);
            return bottom;
        }

        /// <summary>Ticks at 1, 2 or 5 x 10^k covering [lo, hi] with 4 to 8 intervals.</summary>
        internal static double[] NiceTicks(double lo, double hi)
        {
            double span = hi - lo;
            double raw = span / 5;
            double magnitude = Math.Pow(10, Math.Floor(Math.Log10(raw)));
            double step = new[] { 1.0, 2.0, 5.0, 10.0 }.Select(m => m * magnitude).First(s => span / s <= 8);
            double first = Math.Floor(lo / step) * step, last = Math.Ceiling(hi / step) * step;
            int count = (int)Math.Round((last - first) / step) + 1;
            return Enumerable.Range(0, count).Select(i => Math.Round(first + (i * step), 12)).ToArray();
        }

        private static string TickText(double t, double[] ticks)
        {
            double step = ticks.Length > 1 ? ticks[1] - ticks[0] : 1;
            int decimals = Math.Max(0, (int)Math.Ceiling(-Math.Log10(step) - 1e-9));
            return t.ToString("F" + Math.Min(decimals, 6).ToString(CultureInfo.InvariantCulture), CultureInfo.InvariantCulture);
        }

        private static string N(double v) => Math.Round(v, 2).ToString("0.##", CultureInfo.InvariantCulture);

        private static XElement Text(double x, double y, string text, int size, string anchor, bool bold = false, string? fill = null, string? cls = null)
        {
            var e = new XElement(Svg + "text", new XAttribute("x", N(x)), new XAttribute("y", N(y)), new XAttribute("font-size", size), new XAttribute("text-anchor", anchor), text);
            if (bold)
            {
                e.Add(new XAttribute("font-weight", "bold"));
            }

            if (fill != null)
            {
                e.Add(new XAttribute("fill", fill));
            }

            if (cls != null)
            {
                e.Add(new XAttribute("class", cls));
            }

            return e;
        }

        private static XElement Line(double x1, double y1, double x2, double y2, string stroke, double width) =>
            new XElement(Svg + "line", new XAttribute("x1", N(x1)), new XAttribute("y1", N(y1)), new XAttribute("x2", N(x2)), new XAttribute("y2", N(y2)), new XAttribute("stroke", stroke), new XAttribute("stroke-width", N(width)));

        private static XElement Rect(double x, double y, double w, double h, string fill, string? stroke)
        {
            var e = new XElement(Svg + "rect", new XAttribute("x", N(x)), new XAttribute("y", N(y)), new XAttribute("width", N(w)), new XAttribute("height", N(h)), new XAttribute("fill", fill));
            if (stroke != null)
            {
                e.Add(new XAttribute("stroke", stroke));
            }

            return e;
        }
    }
}
