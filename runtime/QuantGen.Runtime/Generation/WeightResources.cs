using System;
using System.IO;
using System.Reflection;
using System.Security.Cryptography;

namespace QuantGen.Generation
{
    /// <summary>
    /// Weights of large generated models (docs/generator.md, "Weights"): the build embeds each .safetensors file as the
    /// resource QuantGen.Weights.&lt;sha256&gt;.safetensors; the generated code calls <see cref="BuildBlob"/> once, at first
    /// use, which reads it, checks its SHA-256 against the hash the generator saw, and packs the kernels' blob from it
    /// with the recipe the generator recorded. Not for hand-written code.
    /// </summary>
    public static class WeightResources
    {
        /// <summary>Recipe operations, 6 longs each: kind, blob offset, then the kind's arguments.</summary>
        public const long Literal = 0, Rows = 1, Quads = 2, Copy = 3, Transposed = 4;

        public static string ResourceName(string sha256) => "QuantGen.Weights." + sha256 + ".safetensors";

        public static byte[] BuildBlob(Assembly assembly, string sha256, long rawLength, int blobLength, long[] recipe, string[] literals)
        {
            if (assembly == null || sha256 == null || recipe == null || literals == null)
            {
                throw new ArgumentNullException(assembly == null ? nameof(assembly) : sha256 == null ? nameof(sha256) : recipe == null ? nameof(recipe) : nameof(literals));
            }

            byte[] raw = Read(assembly, sha256, rawLength);
            var blob = new byte[blobLength];
            for (int i = 0; i + 6 <= recipe.Length; i += 6)
            {
                long kind = recipe[i];
                int at = checked((int)recipe[i + 1]);
                long a = recipe[i + 2];
                int b = checked((int)recipe[i + 3]), c = checked((int)recipe[i + 4]), d = checked((int)recipe[i + 5]);
                switch (kind)
                {
                    case Literal:
                        byte[] bytes = Convert.FromBase64String(literals[a]);
                        bytes.CopyTo(blob, at);
                        break;
                    case Rows:
                        // int8 rows [n = b][k = c], each padded to kp = d bytes.
                        for (int o = 0; o < b; o++)
                        {
                            Buffer.BlockCopy(raw, checked((int)(a + ((long)o * c))), blob, at + (o * d), c);
                        }

                        break;
                    case Quads:
                        // int8 [n = b][k = c] -> [ceil(k / 4)][np8 = d][4], zero padded.
                        int kQuads = (c + 3) / 4;
                        for (int q = 0; q < kQuads; q++)
                        {
                            for (int o = 0; o < b; o++)
                            {
                                int dst = at + (((q * d) + o) * 4);
                                long src = a + ((long)o * c) + (4 * q);
                                int count = Math.Min(4, c - (4 * q));
                                Buffer.BlockCopy(raw, checked((int)src), blob, dst, count);
                            }
                        }

                        break;
                    case Copy:
                        Buffer.BlockCopy(raw, checked((int)a), blob, at, b);
                        break;
                    case Transposed:
                        // int8 [n = b][k = c] -> [k][n] (the GPU's Dense layout: a warp's loads coalesce).
                        for (int o = 0; o < b; o++)
                        {
                            int src = checked((int)(a + ((long)o * c)));
                            for (int j = 0; j < c; j++)
                            {
                                blob[at + (j * b) + o] = raw[src + j];
                            }
                        }

                        break;
                    default:
                        throw new InvalidDataException("QuantGen: unknown weight recipe operation " + kind + "; the generated code and QuantGen.Runtime differ in version.");
                }
            }

            return blob;
        }

        private static byte[] Read(Assembly assembly, string sha256, long rawLength)
        {
            string name = ResourceName(sha256);
            using Stream? stream = assembly.GetManifestResourceStream(name);
            if (stream == null)
            {
                throw new InvalidOperationException($"QuantGen: the weights resource \"{name}\" is missing from {assembly.GetName().Name}; build the project with the QuantGen.Runtime package (its targets embed the .safetensors file).");
            }

            if (stream.Length != rawLength)
            {
                throw new InvalidDataException($"QuantGen: the weights resource \"{name}\" holds {stream.Length} bytes, the generator saw {rawLength}.");
            }

            var raw = new byte[rawLength];
            int total = 0, n;
            while (total < raw.Length && (n = stream.Read(raw, total, raw.Length - total)) > 0)
            {
                total += n;
            }

            string actual = Convert.ToHexString(SHA256.HashData(raw)).ToLowerInvariant();
            if (total != raw.Length || actual != sha256)
            {
                throw new InvalidDataException($"QuantGen: the weights resource \"{name}\" has SHA-256 {actual}, not the {sha256} the generator compiled against.");
            }

            return raw;
        }
    }
}
