using System;
using System.Collections.Generic;
using System.Linq;
using System.Xml.Linq;
using QuantGen.Cli;
using QuantGen.Fidelity;
using Xunit;

namespace QuantGen.Tests.Cli
{
    /// <summary>The SVG plots of verify --report, parsed back as XML: every layer present, axes, labels, separate panels.</summary>
    public sealed class ReportPlotsTests
    {
        private static readonly XNamespace Svg = "http://www.w3.org/2000/svg";

        internal static IEnumerable<XElement> Panels(XDocument d) => d.Descendants(Svg + "g").Where(g => (string?)g.Attribute("class") == "panel");

        internal static IEnumerable<XElement> Bars(XContainer d) => d.Descendants(Svg + "g").Where(g => ((string?)g.Attribute("class"))?.StartsWith("bar", StringComparison.Ordinal) == true);

        private static IEnumerable<string> Texts(XElement e, string cls) => e.Descendants(Svg + "text").Where(t => (string?)t.Attribute("class") == cls).Select(t => t.Value);

        private static FidelityReport Report()
        {
            var r = new FidelityReport();
            r.LayerSqnr.Add(new TensorSqnr("fc1_out", "fc1", 31.25));
            r.LayerSqnr.Add(new TensorSqnr("flat", "flatten", double.PositiveInfinity));
            r.LayerSqnr.Add(new TensorSqnr("res", "residual <a&b>", 12.5));
            r.LayerSqnr.Add(new TensorSqnr("bad", "collapsed", -3.0));
            r.LayerSqnr.Add(new TensorSqnr("z", "zero_signal", double.NegativeInfinity));
            r.OperatorErrors.Add(new OperatorError("attn", "Softmax", "shiftmax", 0.004, 0.0005, 100));
            r.OperatorErrors.Add(new OperatorError("ln1", "LayerNorm", "ilayernorm", 0.36, 0.02, 100));
            r.OperatorErrors.Add(new OperatorError("ln2", "LayerNorm", "ilayernorm", 0.12, 0.01, 100));
            return r;
        }

        [Fact]
        public void SqnrPlotShowsEveryLayerWithInfiniteOnesLabelled()
        {
            XDocument d = XDocument.Parse(ReportPlots.SqnrSvg(Report(), "m"));
            XElement root = d.Root!;
            Assert.Equal(Svg + "svg", root.Name);
            Assert.Contains("sans-serif", (string)root.Attribute("font-family")!, StringComparison.Ordinal);
            Assert.Equal("m: per-layer SQNR", root.Element(Svg + "title")!.Value);

            // every layer, in report order, including the infinite and the negative ones; the XML-special name survives
            XElement[] bars = Bars(d).ToArray();
            Assert.Equal(new[] { "fc1", "flatten", "residual <a&b>", "collapsed", "zero_signal" }, bars.Select(b => (string)b.Attribute("data-label")!));
            Assert.Equal(new[] { "31.3 dB", "\u221e dB", "12.5 dB", "-3.0 dB", "\u2212\u221e dB" }, bars.Select(b => Texts(b, "value").Single()));
            XElement infinite = bars[1];
            Assert.Equal("bar unbounded", (string)infinite.Attribute("class")!);
            Assert.Contains(infinite.Descendants(Svg + "text"), t => t.Value == "infinite: no quantization error");
            Assert.Equal("url(#unbounded)", (string)infinite.Element(Svg + "rect")!.Attribute("fill")!);
            Assert.Equal(new[] { "the float output is zero: no signal to compare" }, Texts(bars[4], "note"));

            // one axis with its label and ticks spanning the negative value: -5 ... 35 in steps of 5
            XElement panel = Panels(d).Single();
            Assert.Equal(new[] { "SQNR (dB)" }, Texts(panel, "axis-label"));
            Assert.Equal(new[] { "-5", "0", "5", "10", "15", "20", "25", "30", "35" }, Texts(panel, "tick"));

            // the finite bars grow with the value: fc1 (31.25 dB) is 2.5 x residual (12.5 dB)
            double Width(XElement b) => double.Parse((string)b.Element(Svg + "rect")!.Attribute("width")!, System.Globalization.CultureInfo.InvariantCulture);
            Assert.Equal(2.5, Width(bars[0]) / Width(bars[2]), 2);
        }

        [Fact]
        public void OperatorPlotHasOnePanelAndAxisPerOperatorKind()
        {
            XDocument d = XDocument.Parse(ReportPlots.OperatorsSvg(Report(), "vit"));
            XElement[] panels = Panels(d).ToArray();
            Assert.Equal(new[] { "LayerNorm (ilayernorm)", "Softmax (shiftmax)" }, panels.Select(p => (string)p.Attribute("data-title")!));
            Assert.Equal(new[] { "absolute error of the LayerNorm output (normalised units)" }, Texts(panels[0], "axis-label"));
            Assert.Equal(new[] { "absolute error of the Softmax output (probability)" }, Texts(panels[1], "axis-label"));

            // each panel is scaled to its own errors: LayerNorm up to 0.4, Softmax up to 0.004
            Assert.Equal("0.40", Texts(panels[0], "tick").Last());
            Assert.Equal("0.0040", Texts(panels[1], "tick").Last());
            Assert.Equal(new[] { "ln1", "ln2" }, Bars(panels[0]).Select(b => (string)b.Attribute("data-label")!));
            Assert.Equal(new[] { "max 0.3600", "max 0.1200" }, Bars(panels[0]).Select(b => Texts(b, "value").Single()));
            Assert.Equal(new[] { "mean absolute error" }, Texts(panels[0], "legend"));
        }

        [Theory]
        [InlineData(0, 1, new[] { 0.0, 0.2, 0.4, 0.6, 0.8, 1.0 })]
        [InlineData(0, 0.36, new[] { 0.0, 0.05, 0.1, 0.15, 0.2, 0.25, 0.3, 0.35, 0.4 })]
        [InlineData(-3, 31.25, new[] { -5.0, 0, 5, 10, 15, 20, 25, 30, 35 })]
        [InlineData(0, 7, new[] { 0.0, 1, 2, 3, 4, 5, 6, 7 })]
        public void TicksAreRoundNumbersCoveringTheRange(double lo, double hi, double[] expected) =>
            Assert.Equal(expected, SvgBarChart.NiceTicks(lo, hi));

        [Fact]
        public void TheSameReportGivesTheSameBytes() =>
            Assert.Equal(ReportPlots.SqnrSvg(Report(), "m"), ReportPlots.SqnrSvg(Report(), "m"));
    }
}
