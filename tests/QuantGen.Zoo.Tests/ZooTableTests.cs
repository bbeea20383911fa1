using System;
using System.Collections.Generic;
using System.Globalization;
using System.IO;
using System.Linq;
using System.Text;
using System.Text.Json;
using QuantGen.Data;
using QuantGen.Model;
using QuantGen.Onnx;
using QuantGen.Samples.Zoo;
using Xunit;
using Xunit.Abstractions;

namespace QuantGen.Tests.Zoo
{
    /// <summary>
    /// The table of docs/import.md, model x export path x stage, printed from the outcomes the other zoo tests assert on;
    /// a stale page fails, QUANTGEN_ACCEPT_BASELINES=1 rewrites it.
    /// </summary>
    public class ZooTableTests
    {
        private const string DocsFile = "docs/import.md";
        private const string Begin = "<!-- zoo table: printed by ZooTableTests; QUANTGEN_ACCEPT_BASELINES=1 rewrites it -->";
        private const string End = "<!-- end of zoo table -->";

        private static readonly string[] AllModels = { "jet_tagger", "ad_autoencoder", "resnet8", "ds_cnn", "mobilenet_v1", "deit_tiny", "bert_tiny" };

        private readonly ITestOutputHelper output;

        public ZooTableTests(ITestOutputHelper output)
        {
            this.output = output;
        }

        [Fact]
        public void DocsShowTheCurrentZooTable()
        {
            string table = Table();
            output.WriteLine(table);
            string path = LabeledDataset.FindUpwards(AppContext.BaseDirectory, DocsFile);
            string text = File.ReadAllText(path).Replace("\r\n", "\n", StringComparison.Ordinal);
            int b = text.IndexOf(Begin, StringComparison.Ordinal), e = text.IndexOf(End, StringComparison.Ordinal);
            Assert.True(b >= 0 && e > b, DocsFile + " lacks the zoo table markers");
            string expected = Begin + "\n\n" + table + "\n" + End;
            string actual = text.Substring(b, e + End.Length - b);
            if (actual != expected && Environment.GetEnvironmentVariable("QUANTGEN_ACCEPT_BASELINES") == "1")
            {
                File.WriteAllText(path, text.Substring(0, b) + expected + text.Substring(e + End.Length));
                return;
            }

            Assert.Equal(expected, actual);
        }

        public static string Table()
        {
            using JsonDocument results = JsonDocument.Parse(File.ReadAllText(Path.Combine(ZooCatalog.Directory, "results.json")));
            var sb = new StringBuilder();
            sb.Append("| model | export | import | C# on the 6 SIMD paths | ILGPU CPU accelerator | HLS csim (io_stream, auto reuse) | agreement with ONNX Runtime |\n");
            sb.Append("|---|---|---|---|---|---|---|\n");
            foreach (string model in AllModels)
            {
                foreach (string export in ZooCatalog.Exports)
                {
                    string file = model + "_" + export + ".onnx";
                    ZooImport? im = ZooRun.Imports.FirstOrDefault(i => i.Entry.File == file);
                    string[] cells = im == null ? NotInCatalogue(results.RootElement, model, export, file) : Cells(im);
                    sb.Append("| ").Append(model).Append(" | ").Append(export).Append(" | ").Append(string.Join(" | ", cells)).Append(" |\n");
                }
            }

            return sb.ToString();
        }

        private static string[] Cells(ZooImport im)
        {
            if (im.Model == null)
            {
                return new[] { "**does not import**: " + string.Join(", ", im.Diagnostics.Select(d => d.Id).Distinct()), "-", "-", "-", "-" };
            }

            ZooUnit u = ZooRun.UnitOf(im.Entry)!;
            string import = $"imports, {im.Model.Graph.Nodes.Count} layers";
            string cpu, gpu, hls;
            if (u.Key != im.Entry.Key)
            {
                string same = $"same model as {u.Import.Entry.Export}";
                cpu = gpu = hls = same;
            }
            else
            {
                int n = u.Vectors.Inputs.Count;
                var bad = ZooRun.Paths.Select(p => (p.Path, Row: ZooRun.Cpu(p.Path).GetValueOrDefault(u.Key))).Where(x => x.Row == null || x.Row.Length != 3 || x.Row[2] != "0").ToList();
                cpu = bad.Count == 0 ? $"{n}/{n} equal on each" : "**" + string.Join("; ", bad.Select(x => x.Path + ": " + (x.Row == null ? "no row" : string.Join(" ", x.Row)))) + "**";
                GpuOutcome g = ZooRun.Gpu(u.Key);
                gpu = g.NotRun != null ? "- (not emitted: " + g.NotRun + ")"
                    : g.Error != null ? "**" + g.Error + "**"
                    : g.Inputs == 0 ? $"compiles with every other model (weights as manifest resources), session loads; not run ({ZooRun.DeitGpuVariable}=0)"
                    : g.Mismatches == 0 ? $"{g.Inputs}/{g.Inputs} equal" : $"**{g.Mismatches}/{g.Inputs} differ**";
                HlsOutcome h = ZooRun.Hls(u.Key);
                hls = !h.Emitted ? "- (not emitted: " + h.Detail + ")" : h.Passed ? $"PASS, {h.Vectors} vectors" : "**csim failed**: " + h.Detail;
            }

            OrtOutcome o = ZooRun.Ort(im.Entry.File);
            string top1 = !o.Classifier ? $"{o.Inputs} inputs (reconstruction)"
                : o.Top1AmongOrtTies != o.Top1Same ? $"top-1 {o.Top1Same}/{o.Inputs} ({o.Top1AmongOrtTies}/{o.Inputs} among ORT's tied maxima)" : $"top-1 {o.Top1Same}/{o.Inputs}";
            string ort = o.VersusFloat
                ? $"{im.Entry.FloatPrecision} vs ORT float: {top1}, max abs diff {o.MaxAbsDiff.ToString("G3", CultureInfo.InvariantCulture)}"
                : o.SoftmaxOutput
                    ? $"{top1} (softmax output: Shiftmax int16 vs ORT uint8, LSB not comparable)"
                    : im.Entry.IsTransformer
                        ? $"{top1}; outputs {(o.Within1Lsb * 100).ToString("F1", CultureInfo.InvariantCulture)} % within 1 LSB, max {o.MaxLsb} (ORT: float softmax/GELU/LayerNorm)"
                        : $"{top1}; {(o.Within1Lsb * 100).ToString("F2", CultureInfo.InvariantCulture)} % within 1 LSB (p99 {o.P99Lsb}, max {o.MaxLsb})";
            return new[] { import, cpu, gpu, hls, ort };
        }

        /// <summary>A file the zoo's backend tests do not run (not committed, not exported, or a model not in the catalogue).</summary>
        private static string[] NotInCatalogue(JsonElement results, string model, string export, string file)
        {
            string path = Path.Combine(ZooCatalog.Directory, file);
            if (!File.Exists(path) && File.Exists(Path.Combine(ZooCatalog.Directory, model + "_" + export + ".skeleton.bin")))
            {
                // A skeleton export (written at test time, OnnxSkeleton) outside the default suite: two more DeiT-Tiny runs.
                return new[] { "written from its committed skeleton (samples/zoo/README.md); the backend cells run only with `QUANTGEN_ZOO_DEIT_FLOAT=1` (not in the default suite: CI time)", "-", "-", "-", "-" };
            }

            if (!File.Exists(path))
            {
                string why = "not exported";
                if (results.TryGetProperty(model, out JsonElement m) && m.GetProperty("exports").TryGetProperty(export, out JsonElement x))
                {
                    why = x.TryGetProperty("error", out JsonElement err) ? "torch cannot export: `" + Short(err.GetString() ?? string.Empty) + "`"
                        : x.TryGetProperty("committed", out JsonElement c) && !c.GetBoolean() ? "made, not committed (" + (x.GetProperty("bytes").GetInt64() / 1e6).ToString("F1", CultureInfo.InvariantCulture) + " MB)" : why;
                }

                return new[] { why, "-", "-", "-", "-" };
            }

            // The hook for a committed file of a model the catalogue does not list: import state only.
            try
            {
                LoweredModel lowered = OnnxImporter.Lower(path);
                return new[] { "lowers; not run through the backends by these tests yet" + (lowered.IsQdq ? " (QDQ)" : string.Empty), "-", "-", "-", "-" };
            }
            catch (OnnxImportException e)
            {
                var ops = e.Diagnostics.Where(d => d.Place != "graph").Select(d => d.Place ?? string.Empty)
                    .Select(d => d.Contains('(', StringComparison.Ordinal) ? d.Substring(d.LastIndexOf('(') + 1).TrimEnd(')') : d).Distinct();
                return new[] { "does not import: " + string.Join(", ", ops), "-", "-", "-", "-" };
            }
        }

        private static string Short(string error)
        {
            int colon = error.IndexOf(": ", StringComparison.Ordinal);
            string s = colon > 0 ? error.Substring(colon + 2) : error;
            int dot = s.IndexOf(". ", StringComparison.Ordinal);
            s = dot > 0 ? s.Substring(0, dot) : s;
            return s.Length > 90 ? s.Substring(0, 90) + "..." : s;
        }
    }
}
