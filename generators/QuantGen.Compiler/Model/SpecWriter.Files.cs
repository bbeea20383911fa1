using System;
using System.Collections.Generic;
using System.IO;
using System.Text;

namespace QuantGen.Model
{
    /// <summary>The file-system half of the writer (not compiled into the Roslyn generator).</summary>
    public static partial class SpecWriter
    {
        /// <summary>Writes <c>specPath</c> and the weights file it names, each through a temporary file and a move.</summary>
        public static void Save(ModelSpec spec, IEnumerable<RawTensor> weights, string specPath)
        {
            string weightsPath = ModelLoader.ResolveWeightsPath(specPath, spec.Weights);
            var metadata = new List<KeyValuePair<string, string>> { new KeyValuePair<string, string>("format", "quantgen"), new KeyValuePair<string, string>("model", spec.Name) };
            WriteAtomically(weightsPath, SafeTensors.Write(weights, metadata));
            WriteAtomically(specPath, new UTF8Encoding(false).GetBytes(ToJson(spec)));
        }

        private static void WriteAtomically(string path, byte[] bytes)
        {
            string full = Path.GetFullPath(path);
            string temp = full + ".tmp-" + Guid.NewGuid().ToString("N");
            try
            {
                File.WriteAllBytes(temp, bytes);
                if (File.Exists(full))
                {
                    File.Delete(full);
                }

                File.Move(temp, full);
            }
            finally
            {
                if (File.Exists(temp))
                {
                    File.Delete(temp);
                }
            }
        }
    }
}
