using System;
using System.Collections.Generic;
using System.IO;
using System.Linq;
using QuantGen.Model;
using Xunit;
using Xunit.Abstractions;

namespace QuantGen.Onnx.Tests
{
    /// <summary>Models/malformed: every file is rejected with the expected id and a place naming the node, input or initializer.</summary>
    public sealed class MalformedCorpusTests
    {
        private readonly ITestOutputHelper output;

        public MalformedCorpusTests(ITestOutputHelper output)
        {
            this.output = output;
        }

        public static IEnumerable<object[]> Cases() =>
            File.ReadAllLines(Path.Combine(AppContext.BaseDirectory, "Models", "malformed", "expect.txt"))
                .Where(l => l.Length > 0)
                .Select(l => l.Split(new[] { ' ' }, 3))
                .Select(p => new object[] { p[0], p[1], p[2] });

        [Fact]
        public void CorpusHasAtLeastFifteenCases() => Assert.True(Cases().Count() >= 15);

        [Theory]
        [MemberData(nameof(Cases))]
        public void RejectedWithLocatedDiagnostic(string file, string id, string place)
        {
            string path = Path.Combine(AppContext.BaseDirectory, "Models", "malformed", file);
            var e = Assert.Throws<OnnxImportException>(() => OnnxImporter.Import(path, Fixtures.Train.Take(2).Select(s => s.Features.Take(4).ToArray()).ToList()));
            ModelDiagnostic d = e.Diagnostics[0];
            output.WriteLine(d.ToString());
            Assert.Equal(id, d.Id);
            Assert.Contains(place, (d.Place ?? string.Empty) + " " + d.Message);
            Assert.Equal(path, d.File);
        }

        [Fact]
        public void RandomCorruptionsNeverEscapeAsOtherExceptions()
        {
            byte[] good = File.ReadAllBytes(Fixtures.Model("mlp_qdq.onnx"));
            var rng = new Random(12345);
            string dir = Path.Combine(Path.GetTempPath(), "qg-onnx-fuzz-" + Guid.NewGuid().ToString("N"));
            Directory.CreateDirectory(dir);
            try
            {
                int rejected = 0;
                for (int i = 0; i < 300; i++)
                {
                    byte[] b = (byte[])good.Clone();
                    int flips = 1 + rng.Next(8);
                    for (int f = 0; f < flips; f++)
                    {
                        b[rng.Next(b.Length)] = (byte)rng.Next(256);
                    }

                    if (rng.Next(4) == 0)
                    {
                        Array.Resize(ref b, rng.Next(b.Length));
                    }

                    string path = Path.Combine(dir, "m.onnx");
                    File.WriteAllBytes(path, b);
                    try
                    {
                        OnnxImporter.Import(path);
                    }
                    catch (OnnxImportException ex)
                    {
                        Assert.NotEmpty(ex.Diagnostics);
                        Assert.StartsWith("QG4", ex.Diagnostics[0].Id, StringComparison.Ordinal);
                        rejected++;
                    }
                }

                output.WriteLine($"{rejected}/300 corruptions rejected with a diagnostic, the rest imported");
            }
            finally
            {
                Directory.Delete(dir, true);
            }
        }
    }
}
