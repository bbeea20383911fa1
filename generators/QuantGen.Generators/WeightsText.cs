using System;
using System.Security.Cryptography;
using System.Threading;
using Microsoft.CodeAnalysis.Text;

namespace QuantGen.Generators
{
    /// <summary>
    /// The base64 text QuantGenEncodeWeights writes (first line "#quantgen-base64 " + a name, then base64 lines) -> bytes,
    /// decoded line by line straight from the compiler's SourceText (no whole-file string), plus the SHA-256 of the bytes:
    /// the hash of the .safetensors file itself, which becomes Info.WeightsSha256 and names the embedded resource.
    /// </summary>
    internal static class WeightsText
    {
        public static ModelFile Decode(string path, SourceText text, string? original, CancellationToken ct)
        {
            TextLineCollection lines = text.Lines;
            string header = lines.Count > 0 ? lines[0].ToString() : string.Empty;
            if (original == null && header.StartsWith(QuantizedModelGenerator.EncodedHeader, StringComparison.Ordinal))
            {
                original = header.Substring(QuantizedModelGenerator.EncodedHeader.Length).Trim();
            }

            long chars = 0;
            for (int i = 1; i < lines.Count; i++)
            {
                chars += lines[i].Span.Length;
            }

            byte[] bytes = new byte[chars / 4 * 3];
            int written = 0;
            char[] pending = new char[8192 + 4];
            int count = 0;
            try
            {
                for (int i = 1; i < lines.Count; i++)
                {
                    if ((i & 1023) == 0)
                    {
                        ct.ThrowIfCancellationRequested();
                    }

                    TextSpan span = lines[i].Span;
                    for (int at = 0; at < span.Length;)
                    {
                        int take = Math.Min(pending.Length - 4 - count, span.Length - at);
                        text.CopyTo(span.Start + at, pending, count, take);
                        count += take;
                        at += take;
                        int whole = count / 4 * 4;
                        if (whole > 0)
                        {
                            byte[] chunk = Convert.FromBase64CharArray(pending, 0, whole);
                            Buffer.BlockCopy(chunk, 0, bytes, written, chunk.Length);
                            written += chunk.Length;
                            Array.Copy(pending, whole, pending, 0, count - whole);
                            count -= whole;
                        }
                    }
                }

                if (count != 0)
                {
                    throw new FormatException();
                }
            }
            catch (Exception e) when (e is FormatException || e is ArgumentException)
            {
                return new ModelFile(path, "invalid", null, original);
            }

            if (written != bytes.Length)
            {
                Array.Resize(ref bytes, written);
            }

            using var sha = SHA256.Create();
            string hash = Hex(sha.ComputeHash(bytes));
            return new ModelFile(path, hash, bytes, original);
        }

        public static string Hex(byte[] hash)
        {
            var chars = new char[hash.Length * 2];
            for (int i = 0; i < hash.Length; i++)
            {
                chars[2 * i] = "0123456789abcdef"[hash[i] >> 4];
                chars[(2 * i) + 1] = "0123456789abcdef"[hash[i] & 15];
            }

            return new string(chars);
        }
    }
}
