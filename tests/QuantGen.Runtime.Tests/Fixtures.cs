using System.Collections.Generic;
using System.IO;
using System.Linq;
using System.Text;
using QuantGen.Data;
using QuantGen.Graph;
using QuantGen.Model;

namespace QuantGen.Tests
{
    /// <summary>The committed digits models and data, found from the test's output folder upwards.</summary>
    public static class Fixtures
    {
        private static readonly object Gate = new object();
        private static LabeledDataset? digits;

        public static string ModelsDir => LabeledDataset.FindUpwards(System.AppContext.BaseDirectory, Path.Combine("samples", "models"));

        public static LabeledDataset Digits
        {
            get
            {
                lock (Gate)
                {
                    return digits ??= LabeledDataset.Load(LabeledDataset.FindUpwards(System.AppContext.BaseDirectory, Path.Combine("samples", "data", "digits", "digits.csv")));
                }
            }
        }

        public static ModelGraph Load(string fileName) => ModelLoader.Load(Path.Combine(ModelsDir, fileName)).GetGraphOrThrow();

        /// <summary>Loads a model held in memory: spec text plus tensors.</summary>
        public static ModelLoadResult FromMemory(string spec, params RawTensor[] tensors) =>
            ModelLoader.Load(spec, "test.qmodel.json", SafeTensors.Write(tensors), "test.safetensors");

        public static List<float[]> Inputs(IEnumerable<Sample> samples) => samples.Select(s => s.Features).ToList();
    }
}
