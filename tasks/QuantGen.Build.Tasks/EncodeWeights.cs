using System;
using System.Collections.Generic;
using System.IO;
using System.Security.Cryptography;
using System.Text;
using Microsoft.Build.Framework;
using Microsoft.Build.Utilities;

namespace QuantGen.Build.Tasks
{
    /// <summary>
    /// Encodes each *.safetensors AdditionalFiles item as base64 text for the source generator (the compiler passes only
    /// text AdditionalFiles to generators; a binary file is CS2015) and writes its SHA-256 next to it. The target that runs
    /// it (QuantGen.Generators.targets) has Inputs/Outputs, so a no-op build never loads this task. The encoded file holds
    /// no path: its first line is "#quantgen-base64 " + the file name, the original path travels as item metadata that only
    /// the generator sees (never the generated code). A missing or unreadable file is error QG2013 with the file.
    /// </summary>
    public sealed class QuantGenEncodeWeights : Task
    {
        public const string Header = "#quantgen-base64 ";

        /// <summary>Base64 characters per line: a multiple of 4, so each line decodes on its own.</summary>
        public const int LineChars = 4096;

        /// <summary>The weights files; metadata QuantGenEncoded: where to write the text; QuantGenHashFile: the SHA-256.</summary>
        [Required]
        public ITaskItem[] Weights { get; set; } = Array.Empty<ITaskItem>();

        public override bool Execute()
        {
            foreach (ITaskItem item in Weights)
            {
                string source = item.GetMetadata("FullPath");
                string target = item.GetMetadata("QuantGenEncoded");
                string hashFile = item.GetMetadata("QuantGenHashFile");
                if (!File.Exists(source))
                {
                    Log.LogError(null, "QG2013", null, item.ItemSpec, 0, 0, 0, 0, "The weights file \"{0}\" listed as AdditionalFiles does not exist; fix the path or remove the item.", item.ItemSpec);
                    continue;
                }

                try
                {
                    Encode(source, target, hashFile);
                }
                catch (Exception e) when (e is IOException || e is UnauthorizedAccessException)
                {
                    Log.LogError(null, "QG2013", null, item.ItemSpec, 0, 0, 0, 0, "The weights file \"{0}\" could not be read or encoded: {1}", item.ItemSpec, e.Message);
                }
            }

            return !Log.HasLoggedErrors;
        }

        /// <summary>Streams source -> base64 lines (bounded memory), then replaces target atomically.</summary>
        internal static void Encode(string source, string target, string hashFile)
        {
            Directory.CreateDirectory(Path.GetDirectoryName(Path.GetFullPath(target))!);
            string temp = target + ".tmp";
            byte[] buffer = new byte[LineChars / 4 * 3 * 64];
            using (var sha = SHA256.Create())
            {
                using (FileStream input = new FileStream(source, FileMode.Open, FileAccess.Read, FileShare.Read, 1 << 16))
                using (var output = new StreamWriter(temp, false, new UTF8Encoding(false), 1 << 16))
                {
                    output.NewLine = "\n";
                    output.Write(Header);
                    output.Write(Path.GetFileName(source));
                    output.Write('\n');
                    int filled;
                    while ((filled = ReadFull(input, buffer)) > 0)
                    {
                        sha.TransformBlock(buffer, 0, filled, null, 0);
                        int lineBytes = LineChars / 4 * 3;
                        for (int at = 0; at < filled; at += lineBytes)
                        {
                            output.Write(Convert.ToBase64String(buffer, at, Math.Min(lineBytes, filled - at)));
                            output.Write('\n');
                        }
                    }
                }

                sha.TransformFinalBlock(Array.Empty<byte>(), 0, 0);
                var hex = new StringBuilder(64);
                foreach (byte b in sha.Hash!)
                {
                    hex.Append(b.ToString("x2", System.Globalization.CultureInfo.InvariantCulture));
                }

                Replace(temp, target);
                File.WriteAllText(hashFile + ".tmp", hex.ToString(), new UTF8Encoding(false));
                Replace(hashFile + ".tmp", hashFile);
            }
        }

        private static int ReadFull(Stream s, byte[] buffer)
        {
            int total = 0, n;
            while (total < buffer.Length && (n = s.Read(buffer, total, buffer.Length - total)) > 0)
            {
                total += n;
            }

            return total;
        }

        private static void Replace(string temp, string target)
        {
            if (File.Exists(target))
            {
                File.Delete(target);
            }

            File.Move(temp, target);
        }
    }
}
