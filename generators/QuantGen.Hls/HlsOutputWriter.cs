using System;
using System.Collections.Generic;
using System.IO;
using System.Linq;
using System.Text;

namespace QuantGen.Hls
{
    /// <summary>
    /// Puts an emitted project on disk all or nothing: the files are written to a temporary sibling folder, which then
    /// replaces the target folder by two renames. An identical project already in place is left untouched (no file is
    /// rewritten, timestamps stay), so an unchanged model costs no downstream rebuild.
    /// </summary>
    public static class HlsOutputWriter
    {
        private static readonly UTF8Encoding Utf8NoBom = new UTF8Encoding(false);

        /// <summary>Writes <paramref name="project"/> to <paramref name="directory"/>; false when it was already identical.</summary>
        /// <exception cref="IOException">The folder could not be written; the previous contents are kept.</exception>
        public static bool Write(string directory, HlsProject project)
        {
            string target = Path.GetFullPath(directory).TrimEnd(Path.DirectorySeparatorChar);
            if (IsUpToDate(target, project))
            {
                return false;
            }

            string parent = Path.GetDirectoryName(target) ?? throw new IOException("no parent folder for " + target);
            Directory.CreateDirectory(parent);
            string unique = Guid.NewGuid().ToString("N").Substring(0, 12);
            string temp = Path.Combine(parent, "." + Path.GetFileName(target) + ".tmp-" + unique);
            string old = Path.Combine(parent, "." + Path.GetFileName(target) + ".old-" + unique);
            try
            {
                foreach (KeyValuePair<string, string> file in project.Files)
                {
                    string path = Path.Combine(temp, file.Key.Replace('/', Path.DirectorySeparatorChar));
                    Directory.CreateDirectory(Path.GetDirectoryName(path)!);
                    File.WriteAllText(path, file.Value, Utf8NoBom);
                }

                if (Directory.Exists(target))
                {
                    Directory.Move(target, old);
                    try
                    {
                        Directory.Move(temp, target);
                    }
                    catch
                    {
                        Directory.Move(old, target);   // put the previous project back
                        throw;
                    }

                    TryDelete(old);
                }
                else
                {
                    Directory.Move(temp, target);
                }
            }
            catch (Exception e) when (e is IOException || e is UnauthorizedAccessException)
            {
                TryDelete(temp);
                throw new IOException($"cannot write the HLS project to {target}: {e.Message}", e);
            }

            return true;
        }

        /// <summary>True when the folder holds exactly these files with exactly these bytes.</summary>
        public static bool IsUpToDate(string directory, HlsProject project)
        {
            if (!Directory.Exists(directory))
            {
                return false;
            }

            string root = Path.GetFullPath(directory);
            var present = Directory.GetFiles(root, "*", SearchOption.AllDirectories)
                .Select(f => Path.GetRelativePath(root, f).Replace(Path.DirectorySeparatorChar, '/'))
                .ToList();
            if (present.Count != project.Files.Count || present.Any(p => !project.Files.ContainsKey(p)))
            {
                return false;
            }

            foreach (KeyValuePair<string, string> file in project.Files)
            {
                byte[] expected = Utf8NoBom.GetBytes(file.Value);
                string path = Path.Combine(root, file.Key.Replace('/', Path.DirectorySeparatorChar));
                var info = new FileInfo(path);
                if (info.Length != expected.Length || !File.ReadAllBytes(path).AsSpan().SequenceEqual(expected))
                {
                    return false;
                }
            }

            return true;
        }

        private static void TryDelete(string directory)
        {
            try
            {
                if (Directory.Exists(directory))
                {
                    Directory.Delete(directory, true);
                }
            }
            catch (Exception e) when (e is IOException || e is UnauthorizedAccessException)
            {
                // A leftover hidden temporary folder is harmless; the next build replaces it.
            }
        }
    }
}
