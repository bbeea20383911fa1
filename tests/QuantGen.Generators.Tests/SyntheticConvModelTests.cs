using System;
using System.IO;
using System.Text;
using QuantGen.Testing;
using Xunit;

namespace QuantGen.Tests.Generators
{
    /// <summary>
    /// The committed synthetic convolution model (compiled by QuantGen.CpuCheck and QuantGen.Gpu.Tests) is exactly what
    /// <see cref="SyntheticConvModel"/> writes; QUANTGEN_ACCEPT_BASELINES=1 rewrites it.
    /// </summary>
    public class SyntheticConvModelTests
    {
        [Fact]
        public void CommittedFilesAreWhatTheWriterProduces()
        {
            (string spec, byte[] weights) = SyntheticConvModel.Build();
            string dir = Path.Combine(Baseline.SourceRoot(), "tests", "QuantGen.CpuCheck", "models");
            string specPath = Path.Combine(dir, SyntheticConvModel.Name + ".qmodel.json");
            string weightsPath = Path.Combine(dir, SyntheticConvModel.Name + ".safetensors");
            if (Environment.GetEnvironmentVariable(Baseline.AcceptVariable) == "1")
            {
                Directory.CreateDirectory(dir);
                File.WriteAllText(specPath, spec, new UTF8Encoding(false));
                File.WriteAllBytes(weightsPath, weights);
            }

            Assert.Equal(spec, File.ReadAllText(specPath).Replace("\r\n", "\n"));
            Assert.Equal(weights, File.ReadAllBytes(weightsPath));
        }

        [Fact]
        public void WriterIsDeterministic()
        {
            (string spec1, byte[] weights1) = SyntheticConvModel.Build();
            (string spec2, byte[] weights2) = SyntheticConvModel.Build();
            Assert.Equal(spec1, spec2);
            Assert.Equal(weights1, weights2);
        }
    }
}
