using System.IO;
using QuantGen.Tasks.Hls;
using Xunit;

namespace QuantGen.Tests.Hls
{
    public class Scratch
    {
        [Fact]
        public void Emit()
        {
            string root = QuantGen.Testing.Baseline.SourceRoot();
            foreach (string m in new[] { "digits_mlp", "digits_vit" })
            {
                foreach (string io in new[] { "io_parallel", "io_stream" })
                {
                    var errors = new System.Collections.Generic.List<(string, string)>();
                    var o = HlsOptions.Parse(io, "2", null, null, null, null, errors);
                    o.TestData = Path.Combine(root, "samples/data/digits/digits.csv");
                    var r = HlsGenerator.Generate(Path.Combine(root, "samples/models", m + ".qmodel.json"), o);
                    Assert.True(r.Success, string.Join("\n", r.Diagnostics));
                    foreach (var kv in r.Project!.Files)
                    {
                        string p = Path.Combine("/tmp/hls", m + "_" + io, kv.Key);
                        Directory.CreateDirectory(Path.GetDirectoryName(p)!);
                        File.WriteAllText(p, kv.Value);
                    }
                }
            }
        }
    }
}
