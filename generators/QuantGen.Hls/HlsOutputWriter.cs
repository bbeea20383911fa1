using System;
using System.Collections.Generic;
using System.IO;
using System.Linq;
using System.Text;
using System.Diagnostics;
using System.Globalization;

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
            string parent = Path.GetDirectoryName(target) ?? throw new IOException("no parent folder for " + target);
            RemoveStaleTemporaries(parent, Path.GetFileName(target), DateTime.UtcNow);
            try
            {
                if (IsUpToDate(target, project))
                {
                    return false;
                }

                Directory.CreateDirectory(parent);
            }
            catch (Exception e) when (e is IOException || e is UnauthorizedAccessException)
            {
                throw new IOException($"cannot write the HLS project to {target}: {e.Message}", e);
            }

            string unique = CurrentProcessId.ToString(CultureInfo.InvariantCulture) + "-" + Guid.NewGuid().ToString("N").Substring(0, 12);
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
                .Select(f => f.Substring(root.Length).TrimStart(Path.DirectorySeparatorChar, Path.AltDirectorySeparatorChar).Replace(Path.DirectorySeparatorChar, '/')) // under root (GetFiles); no Path.GetRelativePath on net472
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

        /// <summary>How long a temporary folder of a live process is trusted to belong to a run still in progress.</summary>
        public static readonly TimeSpan StaleAfter = TimeSpan.FromMinutes(60);

        private static readonly int CurrentProcessId = GetCurrentProcessId();

        /// <summary>
        /// Deletes the hidden folders (<c>.name.tmp-PID-xxxx</c>, <c>.name.old-PID-xxxx</c>) that a killed run left next to
        /// <paramref name="name"/>: those whose process is gone, those older than <see cref="StaleAfter"/> (a recycled
        /// PID), and those of the old naming without a PID once they are a few minutes old. A concurrent run's folder
        /// (its process alive, recently written) is kept. Returns the folders it removed.
        /// </summary>
        public static List<string> RemoveStaleTemporaries(string parent, string name, DateTime nowUtc)
        {
            var removed = new List<string>();
            if (!Directory.Exists(parent))
            {
                return removed;
            }

            string[] candidates;
            try
            {
                candidates = Directory.GetDirectories(parent, "." + name + ".*-*");
            }
            catch (Exception e) when (e is IOException || e is UnauthorizedAccessException)
            {
                return removed;
            }

            foreach (string dir in candidates)
            {
                string suffix = Path.GetFileName(dir).Substring(name.Length + 1);
                string rest;
                if (suffix.StartsWith(".tmp-", StringComparison.Ordinal) || suffix.StartsWith(".old-", StringComparison.Ordinal))
                {
                    rest = suffix.Substring(5);
                }
                else
                {
                    continue;
                }

                DateTime written;
                try
                {
                    written = Directory.GetLastWriteTimeUtc(dir);
                }
                catch (Exception e) when (e is IOException || e is UnauthorizedAccessException)
                {
                    continue;
                }

                TimeSpan age = nowUtc - written;
                int dash = rest.IndexOf('-');
                bool stale;
                if (dash > 0 && int.TryParse(rest.Substring(0, dash), NumberStyles.None, CultureInfo.InvariantCulture, out int pid))
                {
                    stale = age > StaleAfter || (pid != CurrentProcessId && !IsAlive(pid));
                }
                else
                {
                    stale = age > TimeSpan.FromMinutes(5);   // written by a version that did not record its PID
                }

                if (stale)
                {
                    TryDelete(dir);
                    if (!Directory.Exists(dir))
                    {
                        removed.Add(dir);
                    }
                }
            }

            return removed;
        }

        private static bool IsAlive(int pid)
        {
            try
            {
                using (Process p = Process.GetProcessById(pid))
                {
                    return !p.HasExited;
                }
            }
            catch (ArgumentException)
            {
                return false;   // no such process
            }
            catch (InvalidOperationException)
            {
                return false;
            }
            catch (Exception e) when (e is System.ComponentModel.Win32Exception || e is NotSupportedException || e is UnauthorizedAccessException)
            {
                return true;    // cannot tell: keep the folder until it is old
            }
        }

        private static int GetCurrentProcessId()
        {
            using (Process p = Process.GetCurrentProcess())
            {
                return p.Id;
            }
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
