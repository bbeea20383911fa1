using System;
using System.IO;
using System.Runtime.InteropServices;
using Microsoft.Win32.SafeHandles;

namespace QuantGen.Model
{
    /// <summary>Why <see cref="BoundedFile.TryRead"/> refused a file.</summary>
    public enum BoundedFileProblem
    {
        None,

        /// <summary>Nothing at the path, or it cannot be opened (permissions, a broken link).</summary>
        Unreadable,

        /// <summary>A folder, FIFO, socket, terminal or device: only regular files are read.</summary>
        NotRegularFile,

        /// <summary>Larger than the cap.</summary>
        TooLarge,
    }

    /// <summary>
    /// Reads a whole regular file with a hard size cap, for paths that come from untrusted model files. Never blocks on a
    /// FIFO (opened non-blocking on Linux and macOS; anything that cannot seek is refused), never trusts the reported
    /// length (at most <c>min(length, cap) + 1</c> bytes are read: a device such as /dev/zero that reports 0 bytes and
    /// then yields data is refused after one byte), never reads a folder.
    /// </summary>
    public static class BoundedFile
    {
        public static byte[]? TryRead(string path, long maxBytes, out BoundedFileProblem problem, out string message)
        {
            problem = BoundedFileProblem.Unreadable;
            if (path.IndexOf('\0') >= 0)
            {
                message = "the path contains a NUL character";
                return null;
            }

            try
            {
                if (Directory.Exists(path))
                {
                    problem = BoundedFileProblem.NotRegularFile;
                    message = $"{path} is a folder, not a file";
                    return null;
                }

                if (!File.Exists(path))
                {
                    message = $"{path} does not exist";
                    return null;
                }

                if (IsWindows && (path.StartsWith(@"\\.\", StringComparison.Ordinal) || path.StartsWith(@"\\?\", StringComparison.Ordinal) ||
                    (File.GetAttributes(path) & FileAttributes.Device) != 0))
                {
                    problem = BoundedFileProblem.NotRegularFile;
                    message = $"{path} is a device, not a regular file";
                    return null;
                }

                using (FileStream? fs = Open(path, out string? openError))
                {
                    if (fs == null)
                    {
                        message = $"cannot open {path}: {openError}";
                        return null;
                    }

                    if (!fs.CanSeek)
                    {
                        problem = BoundedFileProblem.NotRegularFile;
                        message = $"{path} is not a regular file (a FIFO, socket, terminal or device)";
                        return null;
                    }

                    long length = fs.Length;
                    if (length > maxBytes)
                    {
                        problem = BoundedFileProblem.TooLarge;
                        message = $"{path} is {length} bytes; the limit is {maxBytes}";
                        return null;
                    }

                    var bytes = new byte[length];
                    int read = 0;
                    while (read < bytes.Length)
                    {
                        int r = fs.Read(bytes, read, bytes.Length - read);
                        if (r <= 0)
                        {
                            break;
                        }

                        read += r;
                    }

                    if (read < bytes.Length)
                    {
                        message = $"{path} shrank while it was read ({read} of {length} bytes)";
                        return null;
                    }

                    if (fs.ReadByte() >= 0)
                    {
                        // More data than the file system reported: a device (/dev/zero reports 0 bytes) or a file
                        // growing under us. Either way not a file to trust.
                        problem = BoundedFileProblem.NotRegularFile;
                        message = $"{path} yields more bytes than its reported length {length}: it is a device or is being written; give a regular file";
                        return null;
                    }

                    problem = BoundedFileProblem.None;
                    message = string.Empty;
                    return bytes;
                }
            }
            catch (Exception e) when (e is IOException || e is UnauthorizedAccessException || e is ArgumentException || e is NotSupportedException || e is System.Security.SecurityException)
            {
                message = $"cannot read {path}: {e.Message}";
                return null;
            }
        }

        /// <summary>True when <paramref name="path"/> (absolute, normalised) lies in <paramref name="folder"/> or below it.</summary>
        public static bool IsInside(string path, string folder)
        {
            string f = Path.GetFullPath(folder).TrimEnd(Path.DirectorySeparatorChar, Path.AltDirectorySeparatorChar) + Path.DirectorySeparatorChar;
            string p = Path.GetFullPath(path);
            return p.StartsWith(f, IsWindows || IsMac ? StringComparison.OrdinalIgnoreCase : StringComparison.Ordinal);
        }

        private static bool IsWindows => RuntimeInformation.IsOSPlatform(OSPlatform.Windows);

        private static bool IsMac => RuntimeInformation.IsOSPlatform(OSPlatform.OSX);

        private static FileStream? Open(string path, out string? error)
        {
            error = null;
            int flags;
            if (RuntimeInformation.IsOSPlatform(OSPlatform.Linux))
            {
                flags = 0x800 | 0x80000;            // O_RDONLY | O_NONBLOCK | O_CLOEXEC
            }
            else if (IsMac)
            {
                flags = 0x4 | 0x1000000;            // O_RDONLY | O_NONBLOCK | O_CLOEXEC
            }
            else
            {
                // Windows has no FIFOs at file paths; other systems fall back to a plain open.
                return new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.Read, 1);
            }

            int fd = NativeOpen(System.Text.Encoding.UTF8.GetBytes(path + "\0"), flags);
            if (fd < 0)
            {
                error = "errno " + Marshal.GetLastWin32Error();
                return null;
            }

            var handle = new SafeFileHandle(new IntPtr(fd), ownsHandle: true);
            try
            {
                return new FileStream(handle, FileAccess.Read, 1);
            }
            catch
            {
                handle.Dispose();
                throw;
            }
        }

        [DllImport("libc", EntryPoint = "open", SetLastError = true)]
        private static extern int NativeOpen(byte[] utf8Path, int flags);
    }
}
